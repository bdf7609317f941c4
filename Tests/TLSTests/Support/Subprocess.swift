import Glibc

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a program with posix_spawn (stdin from /dev/null, stdout and stderr into one file) and
/// waits for it with a deadline; a program still running at the deadline is killed and the
/// result says so, so a hung peer fails the test instead of hanging it.
struct Subprocess {
    var status: Int32
    var timedOut: Bool
    var output: String
    var succeeded: Bool { !timedOut && status == 0 }

    static func run(_ argv: [String], timeout: Double = 20) throws -> Subprocess {
        let logPath = try TempDirectory.shared.path("spawn-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).log")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let r = posix_spawnp(&pid, argv[0], &actions, nil, &cargs, environ)
        guard r == 0 else { throw TestFailure("posix_spawnp \(argv[0]): \(String(cString: strerror(r)))") }
        var status: Int32 = 0
        var timedOut = true
        let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: timeout)
        while Monotonic.now() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { timedOut = false; break }
            usleep(5000)
        }
        if timedOut {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        let output = (try? readFile(logPath)) ?? ""
        unlink(logPath)
        return Subprocess(status: status, timedOut: timedOut, output: output)
    }
}

func readFile(_ path: String) throws -> String {
    guard let f = fopen(path, "r") else { throw TestFailure("cannot open \(path)") }
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

import EventLoop
