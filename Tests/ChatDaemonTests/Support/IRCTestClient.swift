// A raw-socket IRC client for the end-to-end tests: sends lines, reads lines with deadlines.

import Glibc
import Testing

final class IRCTestClient {
    let fd: CInt
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false
    var nick = ""

    init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket: errno \(errno)") }
        if let receiveBuffer {
            var v = CInt(receiveBuffer)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, socklen_t(MemoryLayout<CInt>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 { throw E2EError("connect: errno \(errno)") }
    }

    deinit { Glibc.close(fd) }

    /// Connects and registers (optionally requesting `caps`); returns once 376/422 arrived.
    static func register(port: Int, nick: String, caps: [String] = [], receiveBuffer: Int? = nil) throws -> IRCTestClient {
        let c = try IRCTestClient(port: port, receiveBuffer: receiveBuffer)
        c.nick = nick
        if !caps.isEmpty { c.send("CAP LS 302", "CAP REQ :" + caps.joined(separator: " ")) }
        c.send("NICK \(nick)", "USER \(nick) 0 * :Real \(nick)")
        if !caps.isEmpty { c.send("CAP END") }
        guard c.until({ $0.contains(" 422 ") || $0.contains(" 376 ") }) != nil else {
            throw E2EError("\(nick): no end of MOTD")
        }
        return c
    }

    func send(_ lines: String...) {
        for line in lines {
            let bytes = Array((line + "\r\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// The next line (without CR LF), or nil at the deadline or on close.
    func line(timeout: Double = 5) -> String? {
        let deadline = e2eNow() + timeout
        while true {
            if let lf = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<lf])
                buffer.removeSubrange(...lf)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            let remaining = deadline - e2eNow()
            if remaining <= 0 || closedByPeer { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, CInt(remaining * 1000 + 1)) <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { buffer += chunk[0..<n] } else if n == 0 || (errno != EAGAIN && errno != EINTR) { closedByPeer = true }
        }
    }

    /// Lines up to and including the first that matches; nil if none did in time.
    func until(timeout: Double = 5, _ match: (String) -> Bool) -> [String]? {
        var seen: [String] = []
        let deadline = e2eNow() + timeout
        while let l = line(timeout: max(0, deadline - e2eNow())) {
            seen.append(l)
            if match(l) { return seen }
        }
        return nil
    }

    /// Round trip: PING a token and collect the lines before its PONG.
    func sync(_ token: String = "sync") -> [String] {
        send("PING \(token)")
        return (until { $0.hasSuffix(" PONG irc.test \(token)") || $0.hasSuffix(" PONG irc.test :\(token)") } ?? ["<no pong>"]).dropLast()
    }
}
