import BenchCore
import Glibc

/// A chatd-bench worker process: this executable started again with `--proc-index`, which
/// runs its share of the clients and talks to the coordinator in lines over its standard
/// input (commands) and standard output (answers). Its standard error is the coordinator's.
final class WorkerProcess {
    let pid: pid_t
    private let toChild: CInt
    private let fromChild: UnsafeMutablePointer<FILE>

    /// Starts `/proc/self/exe` with `arguments` (argv[1...]).
    init(arguments: [String]) throws {
        var inPipe: [CInt] = [0, 0], outPipe: [CInt] = [0, 0]
        guard pipe(&inPipe) == 0 else { throw BenchError("pipe failed") }
        guard pipe(&outPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1])
            throw BenchError("pipe failed")
        }
        // Close-on-exec: a worker must not inherit its siblings' pipes, or none would see
        // the end of its input. (The child gets its own ends through dup2, which clears it.)
        for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        var cArgs: [UnsafeMutablePointer<CChar>?] = (["chatd-bench"] + arguments).map { strdup($0) } + [nil]
        var child: pid_t = 0
        let r = posix_spawn(&child, "/proc/self/exe", &actions, nil, &cArgs, environ)
        for p in cArgs { free(p) }
        posix_spawn_file_actions_destroy(&actions)
        close(inPipe[0])
        close(outPipe[1])
        guard r == 0, let file = fdopen(outPipe[0], "r") else {
            close(inPipe[1]); close(outPipe[0])
            throw BenchError("cannot start a worker process: \(String(cString: strerror(r)))")
        }
        pid = child
        toChild = inPipe[1]
        fromChild = file
    }

    func send(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(toChild, $0.baseAddress! + off, $0.count - off) }
            if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }

    /// The next line the worker printed, split on spaces; nil once it has exited.
    func readLine() -> [Substring]? {
        var buf: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(buf) }
        let n = getline(&buf, &cap, fromChild)
        guard n > 0, let buf else { return nil }
        let text = String(cString: buf)
        return text.split(separator: " ").map { $0.hasSuffix("\n") ? $0.dropLast() : $0 }
    }

    /// Sends `command` and returns the worker's answer if it starts with `answer`.
    func ask(_ command: String, answer: String) -> [Substring]? {
        send(command)
        guard let words = readLine(), words.first.map(String.init) == answer else { return nil }
        return Array(words.dropFirst())
    }

    /// utime + stime of the worker so far.
    var cpuTicks: UInt64 { readText("/proc/\(pid)/stat").flatMap(ProcessSample.cpuTicks(stat:)) ?? 0 }

    /// Closes the command pipe (the worker stops when its input ends) and reaps it.
    func wait() {
        close(toChild)
        fclose(fromChild)
        var status: CInt = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
