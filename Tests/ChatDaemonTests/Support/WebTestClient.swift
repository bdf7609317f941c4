// A raw-socket HTTP/WebSocket client for the end-to-end tests: writes exactly the bytes a test
// wants (including broken ones) and reads responses and frames with deadlines.

import Foundation
import Glibc
import Testing
import WebProtocol

final class WebTestClient {
    let fd: CInt
    private var buffer: [UInt8] = []
    private(set) var closedByPeer = false
    let port: Int

    /// `receiveBuffer` (SO_RCVBUF, set before connecting) makes a client that does not read fall
    /// behind quickly.
    init(port: Int, receiveBuffer: Int? = nil) throws {
        self.port = port
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

    var host: String { "127.0.0.1:\(port)" }

    /// Whether all bytes were written (false once the daemon closed the connection).
    @discardableResult
    func sendRaw(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    func sendRaw(_ text: String) -> Bool { sendRaw(Array(text.utf8)) }

    /// Reads until `count` bytes are buffered; false at the deadline or on close.
    private func fill(_ count: Int, deadline: Double) -> Bool {
        while buffer.count < count {
            let remaining = deadline - e2eNow()
            if remaining <= 0 || closedByPeer { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, CInt(remaining * 1000 + 1)) <= 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { buffer += chunk[0..<n] } else if n == 0 || (errno != EAGAIN && errno != EINTR) { closedByPeer = true }
        }
        return true
    }

    /// One HTTP response: the head's lines and the body (by Content-Length).
    func response(timeout: Double = 5) -> (status: Int, headers: [String], body: String)? {
        let deadline = e2eNow() + timeout
        var end: Int?
        while end == nil {
            end = buffer.indices.dropLast(3).first { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }
            if end == nil && !fill(buffer.count + 1, deadline: deadline) { return nil }
        }
        let head = String(decoding: buffer[..<end!], as: UTF8.self)
        buffer.removeSubrange(..<(end! + 4))
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        let headers = Array(lines.dropFirst())
        let length = headers.first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        // A HEAD or 304 answer announces a length but has no body: tests read those with length 0.
        guard fill(length, deadline: deadline) else { return nil }
        let body = String(decoding: buffer[..<length], as: UTF8.self)
        buffer.removeSubrange(..<length)
        return (status, headers, body)
    }

    /// Reads a response to a bodiless request (HEAD, 304) without consuming a body.
    func responseHead(timeout: Double = 5) -> (status: Int, headers: [String])? {
        let deadline = e2eNow() + timeout
        while true {
            if let end = buffer.indices.dropLast(3).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }) {
                let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                buffer.removeSubrange(..<(end + 4))
                return (Int(lines[0].split(separator: " ")[1]) ?? 0, Array(lines.dropFirst()))
            }
            if !fill(buffer.count + 1, deadline: deadline) { return nil }
        }
    }

    static func upgradeRequest(host: String, extra: [String] = [], key: String = "dGhlIHNhbXBsZSBub25jZQ==") -> String {
        var lines = [
            "GET /ws HTTP/1.1", "Host: \(host)", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: chatd.v1",
        ]
        lines += extra
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// Opens a WebSocket and says hello; returns once the welcome arrived.
    static func open(port: Int, nick: String, receiveBuffer: Int? = nil) throws -> WebTestClient {
        let c = try WebTestClient(port: port, receiveBuffer: receiveBuffer)
        c.sendRaw(upgradeRequest(host: c.host))
        guard let head = c.responseHead(), head.status == 101 else { throw E2EError("\(nick): no 101") }
        c.send(#"{"type":"hello","nick":"\#(nick)"}"#)
        guard c.text(until: { $0.contains(#""type":"welcome""#) }) != nil else { throw E2EError("\(nick): no welcome") }
        return c
    }

    /// Joins `room`; returns the history message that completes the join.
    func join(_ room: String) -> String? {
        send(#"{"type":"join","room":"\#(room)"}"#)
        return text(until: { $0.contains(#""type":"history""#) && $0.contains(#""room":"\#(room)""#) })?.last
    }

    func sendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) {
        let frame = masked
            ? WebSocketFrameEncoder.clientFrame(opcode, payload: payload, mask: 0x1234_5678, fin: fin)
            : WebSocketFrameEncoder.frame(opcode, payload: payload, fin: fin)
        sendRaw(frame)
    }

    /// A chatd.v1 message (one masked text frame).
    func send(_ json: String) { sendFrame(.text, Array(json.utf8)) }

    /// The next server frame (unmasked, RFC 6455 §5.1), or nil at the deadline or on close.
    func frame(timeout: Double = 5) -> (opcode: UInt8, fin: Bool, payload: [UInt8])? {
        let deadline = e2eNow() + timeout
        guard fill(2, deadline: deadline) else { return nil }
        #expect(buffer[1] & 0x80 == 0, "server frames are never masked")
        var length = Int(buffer[1] & 0x7F)
        var header = 2
        if length == 126 {
            guard fill(4, deadline: deadline) else { return nil }
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            header = 4
        } else if length == 127 {
            guard fill(10, deadline: deadline) else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[$1]) }
            header = 10
        }
        guard fill(header + length, deadline: deadline) else { return nil }
        let result = (buffer[0] & 0x0F, buffer[0] & 0x80 != 0, Array(buffer[header..<(header + length)]))
        buffer.removeSubrange(..<(header + length))
        return result
    }

    /// Text messages up to and including the first that matches (nil if none did in time);
    /// control frames are skipped.
    func text(timeout: Double = 5, until match: (String) -> Bool) -> [String]? {
        let deadline = e2eNow() + timeout
        var seen: [String] = []
        while let f = frame(timeout: max(0, deadline - e2eNow())) {
            guard f.opcode == 1 else { continue }
            let text = String(decoding: f.payload, as: UTF8.self)
            seen.append(text)
            if match(text) { return seen }
        }
        return nil
    }

    /// The status code of the Close frame that ends the stream (text frames before it are
    /// skipped), nil if none came in time.
    func closeCode(timeout: Double = 5) -> UInt16? {
        let deadline = e2eNow() + timeout
        while let f = frame(timeout: max(0, deadline - e2eNow())) {
            if f.opcode == 8 { return f.payload.count >= 2 ? UInt16(f.payload[0]) << 8 | UInt16(f.payload[1]) : 1005 }
        }
        return nil
    }

    /// Whether the daemon closed the TCP connection within `timeout` (reading to EOF).
    func closedWithin(_ timeout: Double) -> Bool {
        let deadline = e2eNow() + timeout
        while !closedByPeer && e2eNow() < deadline {
            buffer.removeAll()
            _ = fill(1, deadline: deadline)
        }
        return closedByPeer
    }
}
