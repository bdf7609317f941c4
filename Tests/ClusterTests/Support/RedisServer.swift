import EventLoop
import Glibc
import Redis

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A real redis-server (Debian's `redis-server`, installed by scripts/setup.sh) on a loopback
/// port with its own temporary directory and no persistence, started for one test and stopped
/// by its PID. Missing redis-server fails the test: a suite that cannot run fails.
final class RedisServer {
    let port: Int
    let directory: String
    private(set) var pid: pid_t = 0
    private let extraArguments: [String]

    init(arguments: [String] = []) throws {
        var template = Array("/tmp/chatd-redis-XXXXXX".utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed")
        }
        directory = String(cString: dir)
        port = try Self.freePort()
        extraArguments = arguments
        try start()
    }

    deinit {
        stop()
        _ = try? Subprocess.run(["rm", "-rf", directory])
    }

    var url: String { "redis://127.0.0.1:\(port)" }
    var endpoint: RedisEndpoint { RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port)) }

    /// Starts (or restarts, on the same port) and waits until it answers PING.
    func start() throws {
        precondition(pid == 0)
        let argv = [
            "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--logfile", "\(directory)/redis.log",
        ] + extraArguments
        pid = try Subprocess.spawn(argv)
        let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: 10)
        while Monotonic.now() < deadline {
            // Any reply means it serves (with --requirepass PING answers -NOAUTH).
            if let reply = try? command(["PING"]), reply.hasPrefix("+PONG") || reply.hasPrefix("-NOAUTH") { return }
            usleep(20_000)
        }
        stop()
        throw TestFailure("redis-server did not answer PING within 10 s (is it installed? scripts/setup.sh)")
    }

    /// SIGTERM by PID and wait for the exit.
    func stop() {
        guard pid != 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: 10)
        while waitpid(pid, &status, WNOHANG) != pid {
            if Monotonic.now() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(2000)
        }
        pid = 0
    }

    /// One command over a fresh blocking connection (test set-up and inspection, not the code
    /// under test); returns the raw reply.
    @discardableResult
    func command(_ args: [String]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        var ss = address.storage
        let ok = withUnsafePointer(to: &ss) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        guard ok == 0 else { throw TestFailure("connect to redis: errno \(errno)") }
        let bytes = RESPCommand.encode(args)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        // Enough for the small replies tests inspect: read until the reader has one reply.
        let reader = RESPReader()
        while true {
            let n = read(fd, &buf, buf.count)
            guard n > 0 else { throw TestFailure("redis closed or timed out") }
            reply += buf[0..<n]
            try buf.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            if try reader.next() != nil { break }
        }
        return String(decoding: reply, as: UTF8.self)
    }

    private static func freePort() throws -> Int {
        let fd = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Posix.close(fd) }
        return try Socket.localAddress(fd).port
    }
}

enum Subprocess {
    /// posix_spawnp with stdin from /dev/null and output to /dev/null; returns the PID.
    static func spawn(_ argv: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        // The child starts with no signal blocked and default dispositions: a test process
        // may block SIGTERM (signalfd), and an inherited mask would make `stop` wait forever.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let r = posix_spawnp(&pid, argv[0], &actions, &attributes, &cargs, environ)
        guard r == 0 else { throw TestFailure("cannot start \(argv[0]): \(String(cString: strerror(r)))") }
        return pid
    }

    /// Runs to completion (at most `timeout` s), for helpers like rm.
    @discardableResult
    static func run(_ argv: [String], timeout: Double = 20) throws -> Int32 {
        let pid = try spawn(argv)
        var status: Int32 = 0
        let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: timeout)
        while Monotonic.now() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return status }
            usleep(5000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return status
    }
}

/// Polls `condition` every millisecond until it holds or `seconds` pass.
@discardableResult
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: seconds)
    while !condition() {
        if Monotonic.now() > deadline { return false }
        usleep(1000)
    }
    return true
}
