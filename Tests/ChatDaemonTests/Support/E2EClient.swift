// A small blocking test client for the end-to-end tests: a real TCP socket on loopback that
// speaks the framed protocol (10-byte ASCII length header + payload). Every wait is bounded by
// poll(2) with a deadline, so a test that expects something that never comes fails instead of
// hanging.

import EventLoop
import Glibc
import TLS

/// One chat message as the daemon delivers it: a sender frame, then a text frame.
struct Msg: Equatable, Hashable, CustomStringConvertible, Sendable {
    var sender: String
    var text: String
    init(_ sender: String, _ text: String) {
        self.sender = sender
        self.text = text
    }
    var description: String { "\(sender)> \(text)" }
    /// A notice from the server (`*`).
    static func notice(_ text: String) -> Msg { Msg("*", text) }
    var isNotice: Bool { sender == "*" }
}

struct E2EError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Monotonic seconds, for deadlines and measuring.
func e2eNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func e2eSleep(_ seconds: Double) {
    usleep(UInt32(max(0, seconds) * 1_000_000))
}

/// A 10-byte header as the seed's client writes it: `f"{n:<10}"`.
func frameHeader(_ n: Int) -> [UInt8] {
    let digits = Array(String(n).utf8)
    return digits + Array(repeating: UInt8(ascii: " "), count: max(0, 10 - digits.count))
}

func encodeFrame(_ payload: [UInt8]) -> [UInt8] { frameHeader(payload.count) + payload }
func encodeFrame(_ text: String) -> [UInt8] { encodeFrame(Array(text.utf8)) }

final class E2EClient {
    private(set) var fd: CInt
    private var buffer: [UInt8] = []
    /// Where the unparsed bytes of `buffer` start (consumed bytes are dropped in batches).
    private var start = 0
    /// The peer closed (EOF) or reset the connection.
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private(set) var closedByPeer = false
    private(set) var resetByPeer = false
    var name: String = ""
    /// With `tls`: the session every byte goes through (the socket is then non-blocking).
    private var tls: TLSConnection?

    /// Connects (blocking, with a 5 s send/receive timeout on the socket as a last resort).
    /// `receiveBuffer` (SO_RCVBUF, set before connecting so the window stays small) makes a
    /// client that does not read fall behind quickly.
    init(port: Int, host: String = "127.0.0.1", receiveBuffer: Int? = nil, tls: TLSClientContext? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket: errno \(errno)") }
        if let receiveBuffer {
            var v = CInt(receiveBuffer)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, socklen_t(MemoryLayout<CInt>.size))
        }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: CInt = 1
        setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if r != 0 {
            let e = errno
            Glibc.close(fd)
            fd = -1
            throw E2EError("connect to \(host):\(port): errno \(e)")
        }
        if let tls { try startTLS(tls) }
    }

    /// The TLS handshake, as "localhost" (the test certificates' name), within 5 s.
    private func startTLS(_ context: TLSClientContext) throws {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let session = try TLSConnection(client: context, fd: fd, serverName: "localhost")
        let deadline = e2eNow() + 5
        while true {
            switch session.handshake() {
            case .established:
                tls = session
                return
            case .wantRead: _ = waitFor(POLLIN, until: deadline)
            case .wantWrite: _ = waitFor(POLLOUT, until: deadline)
            case .failed(let reason): throw E2EError("TLS handshake: \(reason)")
            }
            if e2eNow() >= deadline { throw E2EError("TLS handshake: no answer within 5 s") }
        }
    }

    /// The subject of the certificate a TLS server presented.
    var peerSubject: String { tls?.peerSubject ?? "" }

    /// poll(2) for `event` until `deadline`; false on timeout.
    private func waitFor(_ event: Int32, until deadline: Double) -> Bool {
        while true {
            let remaining = deadline - e2eNow()
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: fd, events: Int16(event), revents: 0)
            let p = poll(&pfd, 1, CInt(min(remaining * 1000 + 1, 60_000)))
            if p > 0 { return true }
            if p < 0 && errno != EINTR { return false }
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Connects and sends `name` as the username frame.
    static func connect(port: Int, name: String, tls: TLSClientContext? = nil) throws -> E2EClient {
        let c = try E2EClient(port: port, tls: tls)
        c.name = name
        try c.send(frame: name)
        return c
    }

    /// Connects, logs in and waits until the daemon has processed the login (a `/who` reply is
    /// the barrier: once it arrives the client is a member of the lobby and will get every
    /// message published after this returns).
    static func login(port: Int, name: String, tls: TLSClientContext? = nil) throws -> E2EClient {
        let c = try connect(port: port, name: name, tls: tls)
        try c.sync()
        return c
    }

    /// Round trip through the daemon: `/who`, wait for its reply; frames before it are kept.
    func sync(timeout: Double = 5) throws {
        try send(frame: "/who")
        guard receiveUntil(timeout: timeout, keepOthers: true, { $0.isNotice && $0.text.hasPrefix("in #") }) != nil else {
            throw E2EError("\(name): no /who reply within \(timeout) s (closed: \(closedByPeer))")
        }
    }

    // MARK: sending

    /// Sends all of `bytes` (MSG_NOSIGNAL); false if the socket failed.
    @discardableResult
    func sendRaw(_ bytes: [UInt8]) -> Bool {
        if let tls { return sendTLS(tls, bytes) }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { p in
                Glibc.send(fd, p.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            sent += n
        }
        return true
    }

    private func sendTLS(_ tls: TLSConnection, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        let deadline = e2eNow() + 10
        while sent < bytes.count {
            switch bytes.withUnsafeBytes({ tls.write(UnsafeRawBufferPointer(rebasing: $0[sent...])) }) {
            case .bytes(let n): sent += n
            case .wantWrite: guard waitFor(POLLOUT, until: deadline) else { return false }
            case .wantRead: guard waitFor(POLLIN, until: deadline) else { return false }
            case .closed: return false
            }
        }
        return true
    }

    func send(frame text: String) throws {
        guard sendRaw(encodeFrame(text)) else { throw E2EError("\(name): send failed: errno \(errno)") }
    }

    func send(frame payload: [UInt8]) throws {
        guard sendRaw(encodeFrame(payload)) else { throw E2EError("\(name): send failed: errno \(errno)") }
    }

    /// Several frames in one write.
    func send(frames texts: [String]) throws {
        guard sendRaw(texts.flatMap { encodeFrame($0) }) else { throw E2EError("\(name): send failed: errno \(errno)") }
    }

    // MARK: receiving

    /// Reads what is available into the buffer, waiting until `deadline` for the first byte.
    /// Returns false on timeout or when the peer is gone.
    private func fill(deadline: Double) -> Bool {
        if closedByPeer { return false }
        if let tls { return fillTLS(tls, deadline: deadline) }
        while true {
            let remaining = deadline - e2eNow()
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let p = poll(&pfd, 1, CInt(min(remaining * 1000 + 1, 60_000)))
            if p < 0 { if errno == EINTR { continue }; return false }
            if p == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n == 0 {
                closedByPeer = true
                return false
            }
            if errno == EAGAIN || errno == EINTR { continue }
            if errno == ECONNRESET { resetByPeer = true }
            closedByPeer = true
            return false
        }
    }

    private func fillTLS(_ tls: TLSConnection, deadline: Double) -> Bool {
        while true {
            // Records already inside OpenSSL raise no poll event.
            switch chunk.withUnsafeMutableBytes({ tls.read(into: $0) }) {
            case .bytes(let n):
                buffer.append(contentsOf: chunk[0..<n])
                return true
            case .wantRead: guard waitFor(POLLIN, until: deadline) else { return false }
            case .wantWrite: guard waitFor(POLLOUT, until: deadline) else { return false }
            case .closed(let reason):
                if case .socket(let e) = reason, e.rawValue == ECONNRESET { resetByPeer = true }
                closedByPeer = true
                return false
            }
        }
    }

    /// Parses one complete frame from the buffer. Throws if the daemon sent a malformed header.
    private func takeFrame() -> [UInt8]? {
        let available = buffer.count - start
        guard available >= 10 else { return nil }
        let header = String(decoding: buffer[start..<(start + 10)], as: UTF8.self)
        let trimmed = header.filter { $0 != " " }
        guard let n = Int(trimmed), n >= 0 else {
            // Not a frame: surface it as a frame that no test expects.
            let bad = buffer[start...]
            buffer.removeAll()
            start = 0
            return Array("<<malformed header: \(bad.prefix(20))>>".utf8)
        }
        guard available >= 10 + n else { return nil }
        let payload = Array(buffer[(start + 10)..<(start + 10 + n)])
        start += 10 + n
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 1 << 16 {
            buffer.removeFirst(start)
            start = 0
        }
        return payload
    }

    /// The next frame's payload, or nil after `timeout` seconds or when the connection closed.
    func receiveFrame(timeout: Double = 5) -> [UInt8]? {
        receiveFrame(deadline: e2eNow() + timeout)
    }

    private func receiveFrame(deadline: Double) -> [UInt8]? {
        while true {
            if let f = takeFrame() { return f }
            if !fill(deadline: deadline) { return takeFrame() }
        }
    }

    /// The next message (sender frame + text frame).
    func receive(timeout: Double = 5) -> Msg? {
        let deadline = e2eNow() + timeout
        guard let s = receiveFrame(deadline: deadline) else { return nil }
        guard let t = receiveFrame(deadline: deadline) else {
            return Msg(String(decoding: s, as: UTF8.self), "<<missing text frame>>")
        }
        return Msg(String(decoding: s, as: UTF8.self), String(decoding: t, as: UTF8.self))
    }

    /// `count` messages (nil if they did not all arrive in time; what came is in `partial`).
    func receive(count: Int, timeout: Double = 5) -> [Msg]? {
        let deadline = e2eNow() + timeout
        var out: [Msg] = []
        while out.count < count {
            guard let m = receive(timeout: deadline - e2eNow()) else {
                partial = out
                return nil
            }
            out.append(m)
        }
        return out
    }

    /// Messages received by the last call that gave up (for failure messages).
    var partial: [Msg] = []
    /// Messages skipped by `receiveUntil(keepOthers: true)`; later receives do not see them.
    var skipped: [Msg] = []

    /// Receives until `match` is true; returns every message up to and including the match,
    /// or nil on timeout/close. With `keepOthers` the non-matching ones also go to `skipped`.
    func receiveUntil(timeout: Double = 5, keepOthers: Bool = false, _ match: (Msg) -> Bool) -> [Msg]? {
        let deadline = e2eNow() + timeout
        var out: [Msg] = []
        while let m = receive(timeout: deadline - e2eNow()) {
            out.append(m)
            if match(m) { return out }
            if keepOthers { skipped.append(m) }
        }
        partial = out
        return nil
    }

    /// Receives until `expected` arrives; returns the messages before it, or nil.
    func receiveUntil(_ expected: Msg, timeout: Double = 5) -> [Msg]? {
        receiveUntil(timeout: timeout) { $0 == expected }.map { Array($0.dropLast()) }
    }

    /// Messages that arrive within `seconds` (used to check that nothing else comes).
    func drain(for seconds: Double) -> [Msg] {
        let deadline = e2eNow() + seconds
        var out: [Msg] = []
        while let m = receive(timeout: deadline - e2eNow()) { out.append(m) }
        return out
    }

    /// True if the daemon closes the connection within `timeout`; messages received on the way
    /// are returned in `partial`.
    func expectClosed(timeout: Double = 5) -> Bool {
        let deadline = e2eNow() + timeout
        var out: [Msg] = []
        while !closedByPeer && e2eNow() < deadline {
            if let m = receive(timeout: deadline - e2eNow()) { out.append(m) }
        }
        // Frames buffered before the FIN.
        while let m = receive(timeout: 0) { out.append(m) }
        partial = out
        return closedByPeer
    }

    // MARK: closing

    /// Closes with an RST instead of a FIN (SO_LINGER with a zero timeout).
    func closeWithRST() {
        guard fd >= 0 else { return }
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(fd)
        fd = -1
    }

    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
