#if canImport(BenchCore)
import BenchCore
#endif
import EventLoop
import Glibc

/// The server under test: a PID given with `--server-pid`, or a process started with
/// `--spawn` (and stopped by its PID at the end). Samples CPU time and memory from /proc.
final class ServerProcess {
    let pid: pid_t
    let owned: Bool
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    init(pid: pid_t) {
        self.pid = pid
        owned = false
    }

    /// Starts `command` (split on spaces, no shell) and waits until `target` accepts.
    init(spawn command: String, target: SocketAddress) throws {
        let argv = command.split(separator: " ").map(String.init)
        guard let path = argv.first else { throw BenchError("--spawn needs a command") }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let r = posix_spawnp(&child, path, nil, nil, &cArgs, environ)
        guard r == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(r)))") }
        pid = child
        owned = true
        let deadline = Monotonic.now() + 15_000_000_000
        while Monotonic.now() < deadline {
            if Self.accepts(target) { return }
            var status: CInt = 0
            if waitpid(child, &status, WNOHANG) == child { throw BenchError("\(path) exited during start-up") }
            usleep(50_000)
        }
        stop()
        throw BenchError("\(path) did not accept connections on \(target) within 15 s")
    }

    static func accepts(_ target: SocketAddress) -> Bool {
        guard let (fd, result) = try? Socket.connect(target) else { return false }
        defer { Posix.close(fd) }
        if case .processed = result { return true }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, 1000) == 1 else { return false }
        return Socket.pendingError(fd) == 0
    }

    func sample() -> ProcessSample? {
        guard let stat = readText("/proc/\(pid)/stat"), let status = readText("/proc/\(pid)/status"),
            let ticks = ProcessSample.cpuTicks(stat: stat)
        else { return nil }
        return ProcessSample(
            cpuTicks: ticks, rssKB: ProcessSample.statusKB(status, key: "VmRSS") ?? 0,
            peakRSSKB: ProcessSample.statusKB(status, key: "VmHWM") ?? 0)
    }

    /// Stops a process this run started: SIGTERM, then SIGKILL after 3 s. Never signals a
    /// process it did not start.
    func stop() {
        guard owned else { return }
        kill(pid, SIGTERM)
        let deadline = Monotonic.now() + 3_000_000_000
        var status: CInt = 0
        while Monotonic.now() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func readText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

func writeText(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BenchError("cannot write \(path)") }
    defer { close(fd) }
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { throw BenchError("cannot write \(path)") }
        off += n
    }
}
