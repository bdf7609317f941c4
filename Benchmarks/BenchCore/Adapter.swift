import ChatProtocol

/// Wire protocols the load generator can speak. Each adapter only knows how to greet, how to
/// encode one message and how to find benchmark payloads in what the server sends back; the
/// scenarios know nothing about bytes on the wire.
public enum AdapterKind: String, CaseIterable, Sendable {
    /// chatd and the seed's Python server: 10-byte length header frames (DESIGN.md §2).
    case framed
    /// Newline-delimited chat servers such as SwiftNIO's NIOChatServer example.
    case line
    /// Redis pub/sub: SUBSCRIBE for receivers, PUBLISH for senders.
    case resp
    /// IRC (RFC 2812 / modern.ircdocs.horse): NICK + USER, JOIN a channel per room, PRIVMSG.
    case irc
}

public struct Adapter: Sendable {
    public let kind: AdapterKind

    public init(_ kind: AdapterKind) { self.kind = kind }

    /// Whether a sender is also a member of its room and receives the others' messages (a chat
    /// client is; a Redis connection that publishes does not subscribe).
    public var senderReceives: Bool { kind != .resp }
    /// Whether the server answers a new client's greeting (IRC: 001 after NICK + USER). Such a
    /// connection counts as in progress until its first bytes arrive, so `--max-pending-connects`
    /// bounds the connections the server has not accepted yet: TCP completes a connect before
    /// the server's accept(2), and a server with a short listen backlog (ngIRCd listens with 10)
    /// would otherwise drop the overflow while the client believes it is connected.
    public var serverGreets: Bool { kind == .irc }
    /// Whether the protocol has rooms (framed: chatd's `/join`; the seed and NIOChatServer
    /// ignore it and have one room only, so scenarios refuse `--rooms > 1` for `line`).
    public var supportsRooms: Bool { kind != .line }

    /// The IRC channel of a room: `#bench` for the default room, `#NAME` for the others.
    public static func ircChannel(_ room: String?) -> String { "#" + (room ?? "bench") }

    /// Bytes a client sends right after connecting: its name (framed) and room choice.
    /// `room` nil means the server's default room (chatd's lobby, the seed's only room).
    public func hello(name: String, room: String?, isSender: Bool) -> [UInt8] {
        switch kind {
        case .irc:
            // Registration (NICK then USER, RFC 2812 §3.1), then the room's channel; a server
            // processes a connection's lines in order, so no need to wait for 001 first.
            return Array("NICK \(name)\r\nUSER \(name) 0 * :chatd-bench\r\nJOIN \(Self.ircChannel(room))\r\n".utf8)
        case .framed:
            var out = FrameEncoder.frame(name)
            if let room { out += FrameEncoder.frame("/join \(room)") }
            return out
        case .line:
            return []
        case .resp:
            if isSender { return [] }
            return Self.respCommand(["SUBSCRIBE", room ?? "lobby"])
        }
    }

    /// Encoded size of one message with a payload of `payloadSize` bytes.
    public func messageLength(payloadSize: Int, room: String?) -> Int {
        switch kind {
        case .irc: return "PRIVMSG  :\r\n".utf8.count + Self.ircChannel(room).utf8.count + payloadSize
        case .framed: return Framing.headerLength + payloadSize
        case .line: return payloadSize + 1
        case .resp:
            let r = (room ?? "lobby").utf8.count
            return 17 + Self.bulkHeaderLength(r) + r + 2 + Self.bulkHeaderLength(payloadSize) + payloadSize + 2
        }
    }

    /// Appends one message to `out`; `payload` writes exactly `payloadSize` bytes.
    @inlinable
    public func appendMessage(
        to out: inout [UInt8], room: String?, payloadSize: Int, payload: (UnsafeMutableRawPointer) -> Void
    ) {
        switch kind {
        case .framed:
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: Framing.headerLength + payloadSize))
            out.withUnsafeMutableBytes { b in
                let base = b.baseAddress! + start
                FrameEncoder.writeHeader(payloadLength: payloadSize, into: base)
                payload(base + Framing.headerLength)
            }
        case .line:
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: payloadSize))
            out.withUnsafeMutableBytes { b in payload(b.baseAddress! + start) }
            out.append(UInt8(ascii: "\n"))
        case .resp:
            out.append(contentsOf: "*3\r\n$7\r\nPUBLISH\r\n".utf8)
            Self.appendBulk(to: &out, Array((room ?? "lobby").utf8))
            out.append(contentsOf: "$\(payloadSize)\r\n".utf8)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: payloadSize))
            out.withUnsafeMutableBytes { b in payload(b.baseAddress! + start) }
            out.append(contentsOf: [13, 10])
        case .irc:
            out.append(contentsOf: "PRIVMSG \(Self.ircChannel(room)) :".utf8)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: payloadSize))
            out.withUnsafeMutableBytes { b in payload(b.baseAddress! + start) }
            out.append(contentsOf: [13, 10])
        }
    }

    /// Convenience for tests and tools: one message with the given payload bytes.
    public func message(_ payload: [UInt8], room: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        appendMessage(to: &out, room: room, payloadSize: payload.count) { dst in
            payload.withUnsafeBytes { dst.copyMemory(from: $0.baseAddress!, byteCount: payload.count) }
        }
        return out
    }

    public static func respCommand(_ parts: [String]) -> [UInt8] {
        var out = Array("*\(parts.count)\r\n".utf8)
        for p in parts { appendBulk(to: &out, Array(p.utf8)) }
        return out
    }

    @usableFromInline static func appendBulk(to out: inout [UInt8], _ bytes: [UInt8]) {
        out.append(contentsOf: "$\(bytes.count)\r\n".utf8)
        out.append(contentsOf: bytes)
        out.append(contentsOf: [13, 10])
    }

    static func bulkHeaderLength(_ n: Int) -> Int { 3 + String(n).utf8.count }
}
