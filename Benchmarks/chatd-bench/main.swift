import ArgumentParser
#if canImport(BenchCore)
import BenchCore
#endif
import EventLoop
import Glibc
import TLS

/// Options every scenario shares.
struct Common: ParsableArguments {
    @Option(help: "Server host (loopback only: 127.0.0.0/8, ::1, localhost).") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 7575
    @Option(help: "Protocol adapter: framed (chatd, seed), line (NIOChatServer), resp (Redis pub/sub), irc (ngIRCd, chatd's irc:// listener), ws (chatd's http:// listener, a Node ws server).")
    var adapter = "framed"
    @Option(help: "Load-generator event-loop threads.") var threads = 1
    @Option(help: "New connections per second.") var connectRate = 5000.0
    @Option(help: "Connects in progress at once (keeps small listen backlogs from overflowing).")
    var maxPendingConnects = 128
    @Flag(help: "Connect from 127.0.0.1 only instead of sources spread over 127.0.0.0/8.")
    var noSpreadSources = false
    @Option(help: "Sample this server process's CPU time and RSS from /proc.") var serverPid: Int32?
    @Option(help: "Start the server with this command line (split on spaces), measure it, stop it by PID.")
    var spawn: String?
    @Option(help: "A name for this run in the output.") var label = ""
    @Flag(help: "Speak TLS to the server (framed+tls://, ircs://, Redis --tls-port): OpenSSL on the client side, certificates not verified (loopback only).")
    var tls = false
    @Flag(help: "Print one JSON object instead of the table.") var json = false

    func validate() throws {
        guard Self.isLoopback(host) else { throw ValidationError("--host must be a loopback address") }
        guard AdapterKind(rawValue: adapter) != nil else { throw ValidationError("unknown --adapter \(adapter)") }
        guard threads >= 1 && threads <= 64 else { throw ValidationError("--threads must be 1…64") }
    }

    static func isLoopback(_ h: String) -> Bool {
        h == "localhost" || h == "::1" || h == "[::1]" || (h.hasPrefix("127.") && h.split(separator: ".").count == 4)
    }

    func target() throws -> SocketAddress { try SocketAddress(host: host, port: port) }

    /// One client context per generator process, shared by its loops (SSL_new up-refs it).
    var tlsContext: TLSClientContext? {
        guard tls else { return nil }
        do {
            return try TLSClientContext(trust: .insecure)
        } catch {
            fatalError("TLS client context: \(error)")
        }
    }

    func server(target: SocketAddress) throws -> ServerProcess? {
        if let spawn { return try ServerProcess(spawn: spawn, target: target) }
        if let serverPid { return ServerProcess(pid: serverPid) }
        return nil
    }

    func makeReport(_ scenario: String) -> Report {
        Report(scenario: scenario, adapter: adapter, target: "\(host):\(port)", label: label, tls: tls)
    }

    func emit(_ report: Report) {
        print(json ? report.json.rendered : report.human)
        fflush(nil)
    }
}

/// Options of the traffic scenarios (fanout, latency).
struct Traffic: ParsableArguments {
    @Option(help: "Client connections.") var clients = 100
    @Option(help: "Rooms (client i joins room i % rooms).") var rooms = 1
    @Option(help: "Sending clients (the first ones, spread over the rooms).") var senders = 1
    @Option(help: "Messages per second in total, 0 = as fast as the server takes them.") var rate = 0.0
    @Option(help: "Message text size in bytes (at least \(Payload.minimumSize)).") var size = 64
    @Option(help: "Measured seconds.") var duration = 5.0
    @Option(help: "Warm-up seconds before measuring.") var warmup = 1.0
    @Option(help: "Messages in flight per sender when --rate is 0.") var window = 256
    @Option(help: "Write the latency distribution (HdrHistogram .hgrm, milliseconds) to this file.")
    var hgrm: String?
}

/// How the load is generated in the traffic scenarios.
struct Generators: ParsableArguments {
    @Option(help: "Load-generator processes (clients dealt round robin): use more when one process is the bottleneck.")
    var procs = 1
    @Option(help: "A load-generator process above this CPU share of its loop threads invalidates the run (percent).")
    var maxGeneratorCpu = 90.0
    @Option(help: .hidden) var procIndex: Int?
}

func runTraffic(_ name: String, _ common: Common, _ t: Traffic, _ g: Generators) throws {
    guard t.size >= Payload.minimumSize else { throw ValidationError("--size must be at least \(Payload.minimumSize)") }
    guard t.clients >= 2, t.senders >= 1, t.senders <= t.clients, t.rooms >= 1 else {
        throw ValidationError("need clients ≥ 2, 1 ≤ senders ≤ clients, rooms ≥ 1")
    }
    guard t.senders <= Payload.maxSender else { throw ValidationError("at most \(Payload.maxSender) senders") }
    guard t.duration > 0 && t.duration <= 600 else { throw ValidationError("--duration must be in (0, 600]") }
    guard g.procs >= 1 && g.procs <= 64 else { throw ValidationError("--procs must be 1…64") }
    let adapter = Adapter(AdapterKind(rawValue: common.adapter)!)
    guard t.rooms == 1 || adapter.supportsRooms else { throw ValidationError("the \(common.adapter) adapter has one room only") }
    let limit = Posix.raiseFileLimit()
    let perProc = (t.clients + g.procs - 1) / g.procs
    guard perProc + 64 <= limit else {
        throw ValidationError("\(perProc) clients per process need more than this process's \(limit) file descriptors: raise --procs")
    }
    let target = try common.target()
    let plan = RoomPlan(clients: t.clients, rooms: t.rooms, senders: t.senders)
    func config(_ index: Int) -> RunConfig {
        RunConfig(
            mode: .fanout, adapter: adapter, target: target, plan: plan, rate: t.rate, size: t.size, window: t.window,
            threads: common.threads, connectRate: common.connectRate / Double(g.procs),
            maxPendingConnects: max(1, common.maxPendingConnects / g.procs), spreadSources: !common.noSpreadSources,
            procIndex: index, procs: g.procs, churnConcurrency: 0, tls: common.tlsContext)
    }
    if t.rate == 0, g.procs > 1, (0..<g.procs).contains(where: { config($0).localExpectedDeliveries().contains(0) }) {
        // The in-flight window counts deliveries to receivers in the sender's own process.
        throw ValidationError("with --rate 0 and --procs \(g.procs), every sender needs receivers in its own process: add clients")
    }
    if let index = g.procIndex {
        guard index >= 0 && index < g.procs else { throw ValidationError("--proc-index must be below --procs") }
        try runTrafficWorker(config(index))
        return
    }
    let server = try common.server(target: target)
    defer { server?.stop() }
    let generators: any TrafficGenerators =
        g.procs == 1
        ? try Runner(config: config(0), timing: Timing(), server: nil, progress: !common.json)
        : try GeneratorProcesses(arguments: Array(CommandLine.arguments.dropFirst()), procs: g.procs, loopThreads: common.threads)
    let run = TrafficRun(
        generators: generators, timing: Timing(warmup: t.warmup, duration: t.duration), server: server,
        progress: !common.json && isatty(2) == 1, clients: t.clients, busyLimit: g.maxGeneratorCpu / 100)
    var report = common.makeReport(name)
    report.clients = t.clients
    report.rooms = t.rooms
    report.senders = t.senders
    report.rate = t.rate
    report.size = t.size
    report.threads = common.threads
    report.procs = g.procs
    try run.run(report: &report)
    if let path = t.hgrm, let h = report.histogram { try writeText(path, LatencySummary.hgrm(h)) }
    common.emit(report)
    if report.verdict?.valid == false { throw ExitCode.failure }
}

struct Fanout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N clients in R rooms, S senders at a total rate or as fast as possible: deliveries/s, loss, latency.",
        discussion: """
            Every delivery is checked by sender and sequence number: the report counts lost, duplicated and \
            out-of-order deliveries. The run fails (exit status 1, JSON "valid": false) when the load generator \
            skipped sends or one of its processes was CPU-bound.
            """)
    @OptionGroup var common: Common
    @OptionGroup var traffic: Traffic
    @OptionGroup var generators: Generators

    init() {}
    func run() throws { try runTraffic("fanout", common, traffic, generators) }
}

struct Latency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A fixed low rate; reports end-to-end latency (send timestamp carried in each payload).")
    @OptionGroup var common: Common
    @OptionGroup var generators: Generators
    @Option(help: "Client connections.") var clients = 100
    @Option(help: "Rooms.") var rooms = 1
    @Option(help: "Senders.") var senders = 10
    @Option(help: "Messages per second in total.") var rate = 100.0
    @Option(help: "Message text size in bytes.") var size = 64
    @Option(help: "Measured seconds.") var duration = 5.0
    @Option(help: "Warm-up seconds.") var warmup = 1.0
    @Option(help: "Write the latency distribution (.hgrm, milliseconds) to this file.") var hgrm: String?

    func run() throws {
        guard rate > 0 else { throw ValidationError("latency needs --rate > 0") }
        var t = try Traffic.parse([])
        t.clients = clients
        t.rooms = rooms
        t.senders = senders
        t.rate = rate
        t.size = size
        t.duration = duration
        t.warmup = warmup
        t.hgrm = hgrm
        try runTraffic("latency", common, t, generators)
    }
}

struct Connections: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ramp to N idle (greeted) connections; connect rate, then the server's RSS and kB per connection.")
    @OptionGroup var common: Common
    @Option(help: "Idle connections to open.") var clients = 1000
    @Option(help: "Seconds to hold them before reading the server's memory.") var hold = 2.0
    @Option(help: "Rooms the clients join (client i joins room i % rooms). IRC and WebSocket joins answer with the member list, so one room of N members costs O(N²) at the ramp: spread big runs over rooms of ~100.")
    var rooms = 1
    @Option(help: "Worker processes (each holds clients/procs sockets; use when N exceeds one process's fd limit).")
    var procs = 1
    @Option(help: .hidden) var procIndex: Int?

    func run() throws {
        let target = try common.target()
        let adapter = Adapter(AdapterKind(rawValue: common.adapter)!)
        let limit = Posix.raiseFileLimit()
        if let procIndex {
            try runWorker(procIndex, target: target, adapter: adapter)
            return
        }
        guard rooms >= 1, rooms == 1 || adapter.supportsRooms else {
            throw ValidationError("--rooms must be ≥ 1, and the \(common.adapter) adapter has one room only")
        }
        let perProc = (clients + procs - 1) / procs
        guard perProc + 64 <= limit else {
            throw ValidationError("\(perProc) connections per process exceed the fd limit \(limit): raise --procs")
        }
        let server = try common.server(target: target)
        defer { server?.stop() }
        var report = common.makeReport("connections")
        report.clients = clients
        report.procs = procs
        if procs == 1 {
            let runner = try Runner(
                config: config(target, adapter, 0), timing: Timing(hold: hold), server: server, progress: !common.json)
            runner.runConnections(report: &report)
        } else {
            try runProcs(server: server, report: &report)
        }
        common.emit(report)
    }

    func config(_ target: SocketAddress, _ adapter: Adapter, _ index: Int) -> RunConfig {
        RunConfig(
            mode: .connections, adapter: adapter, target: target, plan: RoomPlan(clients: clients, rooms: rooms, senders: 0),
            rate: 0, size: 64, window: 1, threads: common.threads, connectRate: common.connectRate / Double(procs),
            maxPendingConnects: max(1, common.maxPendingConnects / procs), spreadSources: !common.noSpreadSources,
            procIndex: index, procs: procs, churnConcurrency: 0, tls: common.tlsContext)
    }

    /// A worker process: ramps its share, prints "ready CONNECTED FAILURES SECONDS", holds the
    /// connections until a line or the end of its standard input, then prints "done CLOSED_BY_SERVER".
    func runWorker(_ index: Int, target: SocketAddress, adapter: Adapter) throws {
        let runner = try Runner(config: config(target, adapter, index), timing: Timing(), server: nil, progress: false)
        runner.start()
        let secs = runner.connectAll()
        print("ready \(runner.shared.connected.load) \(runner.shared.connectFailures.load) \(secs)")
        fflush(nil)
        _ = readLine()
        let closedByServer = runner.shared.closedByServer.load
        runner.stop()
        print("done \(closedByServer)")
        fflush(nil)
    }

    func runProcs(server: ServerProcess?, report: inout Report) throws {
        let before = server?.sample()
        let args =
            [
                "connections", "--host", common.host, "--port", "\(common.port)", "--adapter", common.adapter,
                "--threads", "\(common.threads)", "--connect-rate", "\(common.connectRate)",
                "--max-pending-connects", "\(common.maxPendingConnects)", "--clients", "\(clients)", "--procs", "\(procs)",
                "--rooms", "\(rooms)",
            ] + (common.noSpreadSources ? ["--no-spread-sources"] : []) + (common.tls ? ["--tls"] : [])
        var children: [WorkerProcess] = []
        defer { for c in children { c.wait() } }
        for i in 0..<procs { children.append(try WorkerProcess(arguments: args + ["--proc-index", "\(i)"])) }
        var rampSeconds = 0.0
        for c in children {
            if let f = c.readLine(), f.count == 4, f[0] == "ready" {
                report.connected += Int(f[1]) ?? 0
                report.connectFailures += UInt64(f[2]) ?? 0
                rampSeconds = max(rampSeconds, Double(f[3]) ?? 0)
            }
        }
        report.connectSeconds = rampSeconds
        usleep(UInt32(hold * 1e6))
        let after = server?.sample()
        for c in children {
            if let f = c.ask("stop", answer: "done"), f.count == 1 { report.disconnects += UInt64(f[0]) ?? 0 }
        }
        if let server, let before, let after {
            report.server = ServerFigures(
                pid: Int(server.pid), cpuSeconds: 0, cpuPercent: 0, rssKB: after.rssKB, peakRSSKB: after.peakRSSKB,
                rssBeforeKB: before.rssKB)
        }
    }
}

struct Churn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect, greet, send one message, wait until an observer in the room receives it, close: cycles per second.")
    @OptionGroup var common: Common
    @Option(help: "Cycles in progress at once.") var concurrency = 32
    @Option(help: "Measured seconds.") var duration = 5.0
    @Option(help: "Warm-up seconds.") var warmup = 1.0

    func run() throws {
        let target = try common.target()
        Posix.raiseFileLimit()
        let config = RunConfig(
            mode: .churn, adapter: Adapter(AdapterKind(rawValue: common.adapter)!), target: target,
            plan: RoomPlan(clients: concurrency, rooms: 1, senders: concurrency), rate: 0, size: 64, window: 1,
            threads: common.threads, connectRate: 1e9, maxPendingConnects: concurrency,
            spreadSources: !common.noSpreadSources, procIndex: 0, procs: 1, churnConcurrency: concurrency,
            tls: common.tlsContext)
        let server = try common.server(target: target)
        defer { server?.stop() }
        let runner = try Runner(
            config: config, timing: Timing(warmup: warmup, duration: duration), server: server, progress: !common.json)
        var report = common.makeReport("churn")
        report.clients = concurrency
        report.threads = common.threads
        runner.runChurn(report: &report)
        common.emit(report)
    }
}

struct ChatdBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatd-bench",
        abstract: "Load benchmark for chatd and comparable servers (loopback only; every run bounded in time).",
        discussion: """
            Scenarios, with a one-line example each (a chatd listening on 127.0.0.1:7575, started with \
            --msg-rate 0 --max-conns-per-ip 0 so that neither limit is what gets measured):

              fanout       chatd-bench fanout --clients 100 --procs 2 --server-pid PID
              latency      chatd-bench latency --clients 1000 --senders 10 --rate 1000
              connections  chatd-bench connections --clients 19000 --procs 2
              churn        chatd-bench churn --concurrency 32 --duration 5

            Other servers: --adapter resp --port 6379 (redis-server pub/sub), --adapter line (NIOChatServer), \
            --adapter irc --port 6667 (ngIRCd, or chatd --listen irc://127.0.0.1:6667; rooms are channels), \
            --adapter ws --port 8080 (chatd --listen http://127.0.0.1:8080, or scripts/bench/ws-peer.js), \
            --spawn "COMMAND" starts the server and stops it after the run. `chatd-bench help SCENARIO` \
            lists a scenario's options.
            """,
        subcommands: [Fanout.self, Latency.self, Connections.self, Churn.self])
}

signal(SIGPIPE, SIG_IGN)
ChatdBench.main()
