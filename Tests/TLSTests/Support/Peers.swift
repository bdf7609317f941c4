import EventLoop
import Glibc

/// Tests/TLSTests/tls_peer.py, found next to this file's directory.
let tlsPeerScript: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)  // "Support", "Peers.swift"
    return parts.joined(separator: "/") + "/tls_peer.py"
}()

func runPeer(_ mode: String, port: Int, caFile: String, _ extra: [String] = []) throws -> Subprocess {
    try Subprocess.run(["python3", tlsPeerScript, mode, String(port), caFile] + extra, timeout: 30)
}

/// A plain blocking TCP client with a receive timeout, for clients that are not TLS clients.
final class RawClient {
    let fd: CInt

    init(port: Int) throws {
        let (fd, result) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: port))
        self.fd = fd
        if case .wouldBlock = result {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, 5000) == 1, Socket.pendingError(fd) == 0 else { throw TestFailure("connect failed") }
        }
    }

    deinit { Posix.close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes (EOF or reset) or `seconds` pass; returns whether it
    /// closed, and what it sent before.
    func waitForClose(seconds: Double = 10) -> (closed: Bool, received: [UInt8]) {
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: seconds)
        while Monotonic.now() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) == 1 else { continue }
            let n = buf.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { received += buf[0..<n]; continue }
            if n == 0 || (errno != EAGAIN && errno != EINTR) { return (true, received) }
        }
        return (false, received)
    }
}
