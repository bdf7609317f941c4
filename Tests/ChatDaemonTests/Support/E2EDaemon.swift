// Runs a real chatd in-process on an ephemeral loopback port, and helpers shared by the
// end-to-end tests (health check, unique names, the real binary for the tests that need one).

@testable import ChatDaemon
import EventLoop
import Glibc
import Logging
import Synchronization
import Testing

/// One in-process daemon per test: tests run in parallel in one process, so nothing is shared.
final class E2EDaemon: @unchecked Sendable {
    let server: ChatServer
    let port: Int
    let config: ChatConfig
    private final class RunState: Sendable {
        let finished = Atomic<Bool>(false)
        let status = Atomic<Int32>(-1)
    }
    private let state = RunState()
    private var thread: LoopThread?
    private var stopped = false

    /// Defaults for tests: loopback, 2 loops, no rate limit, no per-IP limit (many clients share
    /// 127.0.0.1), no history, short deadlines. `configure` adjusts them.
    init(ignoreSIGPIPE: Bool = true, _ configure: (inout ChatConfig) -> Void = { _ in }) throws {
        // A client that vanishes mid-write must not kill the test process. chatd ignores
        // SIGPIPE only when it handles signals itself (ControlLoop.setUp), which an in-process
        // daemon with handleSignals: false does not (see E2ELibraryModeTests).
        if ignoreSIGPIPE { signal(SIGPIPE, SIG_IGN) }
        var c = ChatConfig()
        c.listen = [ListenAddress(host: "127.0.0.1", port: 0)]
        c.threads = 2
        c.msgRate = 0
        c.maxConnsPerIP = 0
        c.handshakeTimeout = 5
        c.shutdownTimeout = 2
        c.logLevel = .error
        // History replay on join would interleave with what tests expect; the history tests
        // turn it on.
        c.history = 0
        // Each test's daemon starts with no past; E2EHistoryStoreTests use SQLite in a temp dir.
        c.historyStore = .memory
        configure(&c)
        try c.validate()
        config = c
        var logger = Logger(label: "chatd-e2e")
        logger.logLevel = E2EDaemon.logLevel
        server = try ChatServer(config: c, loader: nil, logger: logger, handleSignals: false)
        try server.start()
        port = server.listeningPorts[0]
        let s = server
        let st = state
        thread = LoopThread.spawn(name: "e2e-control") {
            let rc = s.run()
            st.status.store(rc, ordering: .releasing)
            st.finished.store(true, ordering: .releasing)
        }
    }

    /// `E2E_LOG=debug swift test …` shows the daemon's log.
    static var logLevel: Logger.Level {
        if let p = getenv("E2E_LOG"), let l = Logger.Level(rawValue: String(cString: p)) { return l }
        return .critical
    }

    var hasFinished: Bool { state.finished.load(ordering: .acquiring) }

    /// Requests a graceful shutdown and waits for `run()` to return. Returns the seconds it
    /// took, or nil (and records an issue) if it did not return within `timeout`.
    @discardableResult
    func stop(timeout: Double = 8, sourceLocation: SourceLocation = #_sourceLocation) -> Double? {
        if stopped { return 0 }
        stopped = true
        let start = e2eNow()
        server.requestShutdown()
        while !state.finished.load(ordering: .acquiring) {
            if e2eNow() - start > timeout {
                Issue.record("daemon run() did not return within \(timeout) s of requestShutdown()", sourceLocation: sourceLocation)
                return nil
            }
            usleep(5_000)
        }
        thread?.join()
        #expect(state.status.load(ordering: .acquiring) == 0, "run() exit status", sourceLocation: sourceLocation)
        return e2eNow() - start
    }

    deinit {
        if !stopped { _ = stop() }
    }

    // MARK: helpers

    private static let counter = Atomic<Int>(0)

    /// A name unique in this process: `prefix` + a counter.
    static func uniqueName(_ prefix: String = "u") -> String {
        "\(prefix)\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    /// Two fresh clients can still log in and chat both ways, with exact frames.
    func expectHealthy(_ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        Self.expectHealthy(port: port, context, sourceLocation: sourceLocation)
    }

    static func expectHealthy(port: Int, _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let aName = uniqueName("healthyA"), bName = uniqueName("healthyB")
            let a = try E2EClient.login(port: port, name: aName)
            let b = try E2EClient.login(port: port, name: bName)
            // a sees b arrive (so b is a member of the lobby before anyone talks).
            #expect(a.receiveUntil(.notice("\(bName) joined #lobby")) != nil,
                    "health check \(context): join notice missing; got \(a.partial)", sourceLocation: sourceLocation)
            try a.send(frame: "ping from a")
            try b.send(frame: "pong from b")
            // Other clients' notices may interleave (e.g. "x disconnected"); chat must not.
            let bGot = b.receiveUntil { !$0.isNotice }?.last
            #expect(bGot == Msg(aName, "ping from a"), "health check \(context): b got \(b.partial)",
                    sourceLocation: sourceLocation)
            let aGot = a.receiveUntil { !$0.isNotice }?.last
            #expect(aGot == Msg(bName, "pong from b"), "health check \(context): a got \(a.partial)",
                    sourceLocation: sourceLocation)
            a.close()
            b.close()
        } catch {
            Issue.record("health check \(context) failed: \(error)", sourceLocation: sourceLocation)
        }
    }
}

struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

// MARK: - The real chatd binary

enum ChatdBinary {
    /// `CHATD_BIN`, else the debug build in this scratch directory or the default one.
    static var path: String? {
        if let p = getenv("CHATD_BIN") {
            let s = String(cString: p)
            return access(s, X_OK) == 0 ? s : nil
        }
        for candidate in [".build-e2e/debug/chatd", ".build/debug/chatd"] where access(candidate, X_OK) == 0 {
            return candidate
        }
        return nil
    }

    static var isAvailable: Bool { path != nil }

    /// A port that was free a moment ago (bind port 0, read it, close).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A child process started with posix_spawn (no Foundation needed); stdout/stderr go to a file.
final class ChildProcess {
    let pid: pid_t
    let logPath: String
    private(set) var exitStatus: Int32?

    init(_ argv: [String], logPath: String) throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        // Start the child the way systemd or a shell would: empty signal mask, default
        // dispositions. (Test threads are often dispatch workers that block every signal, and
        // a spawned child would inherit that mask and hide signal-handling bugs.)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var p: pid_t = 0
        let r = posix_spawn(&p, argv[0], &actions, &attr, &cargs, environ)
        guard r == 0 else { throw E2EError("posix_spawn \(argv[0]): \(r)") }
        pid = p
    }

    /// Waits up to `timeout` s for the child to exit; returns its wait status or nil.
    @discardableResult
    func wait(timeout: Double) -> Int32? {
        if let s = exitStatus { return s }
        let deadline = e2eNow() + timeout
        while e2eNow() < deadline {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                exitStatus = status
                return status
            }
            usleep(10_000)
        }
        return nil
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace` seconds.
    func terminate(grace: Double = 5) {
        guard exitStatus == nil else { return }
        kill(pid, SIGTERM)
        if wait(timeout: grace) == nil {
            kill(pid, SIGKILL)
            wait(timeout: 5)
        }
    }

    var log: String {
        guard let f = fopen(logPath, "r") else { return "" }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Waits until `port` on loopback accepts a connection (a started child daemon is ready).
func waitForPort(_ port: Int, timeout: Double = 10) -> Bool {
    let deadline = e2eNow() + timeout
    while e2eNow() < deadline {
        if let c = try? E2EClient(port: port) {
            c.close()
            return true
        }
        usleep(50_000)
    }
    return false
}

/// A joinable pthread for test helpers (reader threads).
struct LoopThreadHandle {
    let thread: LoopThread
    static func spawn(_ body: @escaping @Sendable () -> Void) -> LoopThreadHandle {
        LoopThreadHandle(thread: LoopThread.spawn(name: "e2e-reader", body))
    }
    func join() { thread.join() }
}

// MARK: - Groups of clients and transcripts

/// Logs in `names` one after another and consumes the join notices, checking them exactly:
/// client i sees "<name> joined #lobby" for every later client, in order. On return every
/// client's stream is empty.
func loginAll(port: Int, _ names: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [E2EClient] {
    var clients: [E2EClient] = []
    for n in names { clients.append(try E2EClient.login(port: port, name: n)) }
    for (i, c) in clients.enumerated() {
        let later = names[(i + 1)...].map { Msg.notice("\($0) joined #lobby") }
        let got = later.isEmpty ? [] : (c.receive(count: later.count) ?? c.partial)
        #expect(got == later, "\(c.name): join notices", sourceLocation: sourceLocation)
    }
    return clients
}

/// Checks that transcripts of one room are consistent with a single order: every member got
/// every other member's messages exactly once (none of its own), each sender's messages in
/// send order, and any two members agree on the relative order of the messages both got.
/// `sent[name]` is what `name` sent, in order.
func expectConsistentTranscripts(
    _ transcripts: [String: [Msg]], sent: [String: [String]], _ context: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let members = transcripts.keys.sorted()
    for m in members {
        let t = transcripts[m]!
        let expectedCount = sent.filter { $0.key != m && members.contains($0.key) }.map(\.value.count).reduce(0, +)
        #expect(t.count == expectedCount, "\(context) \(m): \(t.count) messages, expected \(expectedCount)",
                sourceLocation: sourceLocation)
        #expect(!t.contains { $0.sender == m }, "\(context) \(m) received its own message", sourceLocation: sourceLocation)
        for (sender, texts) in sent where sender != m && members.contains(sender) {
            let fromSender = t.filter { $0.sender == sender }.map(\.text)
            #expect(fromSender == texts, "\(context) \(m): messages from \(sender) missing or out of order",
                    sourceLocation: sourceLocation)
        }
    }
    // Pairwise agreement: any two members see the same order of the messages neither sent.
    var disagreements = 0
    for (i, x) in members.enumerated() {
        for y in members[(i + 1)...] {
            let a = transcripts[x]!.filter { $0.sender != y }
            let b = transcripts[y]!.filter { $0.sender != x }
            if a != b {
                disagreements += 1
                if disagreements <= 3 {
                    let at = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
                    Issue.record("\(context): \(x) and \(y) disagree on the order at position \(at) of \(a.count)",
                                 sourceLocation: sourceLocation)
                }
            }
        }
    }
}
