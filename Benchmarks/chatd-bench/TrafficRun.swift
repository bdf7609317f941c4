import BenchCore
import EventLoop
import Glibc
import Histogram

/// The load generators of a traffic run (fanout, latency): the loops of this process, or
/// several worker processes so that the generator is not the bottleneck.
protocol TrafficGenerators: AnyObject {
    /// Starts the clients and connects them all; the ramp's seconds.
    func connect() throws -> Double
    /// Receivers that must be seen receiving before the warm-up starts.
    var mustReceive: UInt64 { get }
    func set(_ phase: Phase)
    func counts() -> TrafficCounts
    /// CPU ticks (utime + stime) each generator process has used so far.
    func cpuTicks() -> [UInt64]
    /// Stops every client; the final counts and the merged latency histogram.
    func finish() -> (TrafficCounts, Histogram<UInt64>)
    /// Loop threads per generator process.
    var loopThreads: Int { get }
    /// Why some of the generators' counts are missing (worker processes that exited).
    var failures: [String] { get }
}

extension Runner: TrafficGenerators {
    func connect() -> Double {
        start()
        return connectAll()
    }

    var mustReceive: UInt64 { UInt64(workers.reduce(0) { $0 + $1.mustReceiveCount }) }
    func set(_ phase: Phase) { shared.set(phase) }
    func counts() -> TrafficCounts { shared.counts }
    func cpuTicks() -> [UInt64] { [selfCPUTicks()] }
    var loopThreads: Int { config.threads }
    var failures: [String] { [] }

    func finish() -> (TrafficCounts, Histogram<UInt64>) {
        stop()
        var h = LatencySummary.makeHistogram()
        for w in workers { h.add(w.histogram) }
        return (shared.counts, h)
    }
}

/// Worker processes, each running `Runner` on its share of the clients (`runTrafficWorker`).
final class GeneratorProcesses: TrafficGenerators {
    let workers: [WorkerProcess]
    let loopThreads: Int
    private(set) var mustReceive: UInt64 = 0
    /// Indices of the workers that stopped answering: their counts are missing.
    private var exited = Set<Int>()
    var failures: [String] {
        exited.sorted().map { "load-generator process \($0) exited during the run: its clients' counts are missing" }
    }

    /// `arguments`: this run's command line (argv[1...]); each worker gets it plus its index.
    init(arguments: [String], procs: Int, loopThreads: Int) throws {
        var started: [WorkerProcess] = []
        do {
            for i in 0..<procs { started.append(try WorkerProcess(arguments: arguments + ["--proc-index", "\(i)"])) }
        } catch {
            for w in started { w.wait() }
            throw error
        }
        workers = started
        self.loopThreads = loopThreads
    }

    func connect() throws -> Double {
        var seconds = 0.0
        for (i, w) in workers.enumerated() {
            // "connected SECONDS MUST_RECEIVE" once the worker's ramp is over.
            guard let f = w.readLine(), f.count == 3, f[0] == "connected" else {
                _ = finish()
                throw BenchError("worker process \(i) failed before connecting (its error is above)")
            }
            seconds = max(seconds, Double(f[1]) ?? 0)
            mustReceive += UInt64(f[2]) ?? 0
        }
        return seconds
    }

    func set(_ phase: Phase) { for w in workers { w.send("phase \(phase.rawValue)") } }

    func counts() -> TrafficCounts {
        var total = TrafficCounts()
        for (i, w) in workers.enumerated() where !exited.contains(i) { w.send("counts") }
        for (i, w) in workers.enumerated() where !exited.contains(i) {
            if let f = w.readLine(), f.first == "counts", let c = TrafficCounts(line: f.dropFirst()) {
                total.add(c)
            } else {
                exited.insert(i)
            }
        }
        return total
    }

    func cpuTicks() -> [UInt64] { workers.map(\.cpuTicks) }

    func finish() -> (TrafficCounts, Histogram<UInt64>) {
        var total = TrafficCounts()
        var h = LatencySummary.makeHistogram()
        for w in workers { w.send("finish") }
        for (i, w) in workers.enumerated() {
            // "final COUNTS… HISTOGRAM"
            if let f = w.readLine(), f.first == "final", f.count == 17, let c = TrafficCounts(line: f[1...15]),
                LatencySummary.decode(f[16] == "-" ? "" : f[16], into: &h)
            {
                total.add(c)
            } else {
                exited.insert(i)
            }
            w.wait()
        }
        return (total, h)
    }
}

/// One worker process of a traffic run: connects its share, reports, then obeys the
/// coordinator's commands on standard input until "finish" (or the end of its input).
func runTrafficWorker(_ config: RunConfig) throws {
    let runner = try Runner(config: config, timing: Timing(), server: nil, progress: false)
    let seconds = runner.connect()
    print("connected \(seconds) \(runner.mustReceive)")
    fflush(nil)
    while let line = readLine() {
        let f = line.split(separator: " ")
        switch f.first {
        case "phase":
            if f.count == 2, let n = Int(f[1]), let p = Phase(rawValue: n) { runner.set(p) }
        case "counts":
            print("counts \(runner.counts().line)")
        case "finish":
            let (c, h) = runner.finish()
            let hist = LatencySummary.encode(h)
            print("final \(c.line) \(hist.isEmpty ? "-" : hist)")
            fflush(nil)
            return
        default:
            break
        }
        fflush(nil)
    }
    _ = runner.finish()
}

/// Drives a traffic run through its phases, samples the server, prints progress and fills
/// the report.
struct TrafficRun {
    let generators: any TrafficGenerators
    let timing: Timing
    let server: ServerProcess?
    let progress: Bool
    let clients: Int
    /// Fraction of a generator process's loop-thread capacity at which it counts as the bottleneck.
    let busyLimit: Double

    private final class Progress {
        var last: UInt64 = 0, sent: UInt64 = 0, deliveries: UInt64 = 0, maxServerRSS = 0
    }
    private let state = Progress()

    /// Waits up to `seconds` or until `done` holds for the latest counts.
    func wait(_ seconds: Double, until done: (TrafficCounts) -> Bool = { _ in false }) {
        let end = Monotonic.now() + UInt64(seconds * 1e9)
        while true {
            let c = generators.counts()
            tick(c)
            if done(c) || Monotonic.now() >= end { return }
            usleep(20_000)
        }
    }

    private func tick(_ c: TrafficCounts) {
        let now = Monotonic.now()
        guard now - state.last >= 1_000_000_000 else { return }
        let dt = state.last == 0 ? 1 : Double(now - state.last) / 1e9
        state.last = now
        if let s = server?.sample() { state.maxServerRSS = max(state.maxServerRSS, s.rssKB) }
        let sRate = Double(c.sentAll &- state.sent) / dt, dRate = Double(c.deliveriesAll &- state.deliveries) / dt
        state.sent = c.sentAll
        state.deliveries = c.deliveriesAll
        guard progress else { return }
        let inflight = c.loss.expected &- min(c.loss.expected, c.loss.unique)
        writeStderr(
            "\r\u{1B}[K conns \(c.connected - c.closedByServer)/\(clients) sent/s \(Int(sRate))"
                + " deliveries/s \(Int(dRate)) in-flight \(inflight)")
    }

    func run(report: inout Report) throws {
        let serverBefore = server?.sample()
        report.connectSeconds = try generators.connect()
        let mustReceive = generators.mustReceive
        generators.set(.ready)
        var seen: UInt64 = 0
        wait(timing.readyTimeout) { seen = $0.seenReceivers; return seen >= mustReceive }
        report.unseenReceivers = Int(mustReceive - min(mustReceive, seen))
        generators.set(.warmup)
        wait(timing.warmup)
        generators.set(.measuring)
        let t0 = Monotonic.now()
        let s0 = server?.sample()
        let b0 = generators.cpuTicks()
        let d0 = generators.counts().deliveriesCounted
        wait(timing.duration)
        let d1 = generators.counts().deliveriesCounted
        let t1 = Monotonic.now()
        let s1 = server?.sample()
        let b1 = generators.cpuTicks()
        generators.set(.draining)
        wait(timing.drainTimeout) { $0.loss.unique >= $0.loss.expected }
        let drained = Double(Monotonic.now() - t1) / 1e9
        let (c, h) = generators.finish()
        if progress { writeStderr("\r\u{1B}[K") }
        let seconds = Double(t1 - t0) / 1e9
        report.seconds = seconds
        report.drainSeconds = drained
        report.loss = c.loss
        report.deliveriesPerSecond = Double(d1 - d0) / seconds
        report.sentPerSecond = Double(c.loss.sent - c.refusedSends) / seconds
        report.skippedSends = c.skippedSends
        report.refusedSends = c.refusedSends
        report.disconnects = c.closedByServer
        report.connectFailures = c.connectFailures
        report.protocolErrors = c.protocolErrors
        report.histogram = h
        report.generatorCPU = zip(b0, b1).map { Double($1 &- min($0, $1)) / ServerProcess.ticksPerSecond / seconds }
        report.verdict = RunVerdict(
            skippedSends: c.skippedSends, generatorCPU: report.generatorCPU, loopThreads: generators.loopThreads,
            busyLimit: busyLimit)
        for f in generators.failures { report.verdict?.add(f) }
        if let server, let s0, let s1 {
            let cpu = Double(s1.cpuTicks - s0.cpuTicks) / ServerProcess.ticksPerSecond
            report.server = ServerFigures(
                pid: Int(server.pid), cpuSeconds: cpu, cpuPercent: cpu / seconds * 100,
                rssKB: max(state.maxServerRSS, s1.rssKB), peakRSSKB: s1.peakRSSKB, rssBeforeKB: serverBefore?.rssKB ?? 0)
        }
    }
}
