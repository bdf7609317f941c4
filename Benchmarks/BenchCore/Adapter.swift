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
    /// WebSocket (RFC 6455) with chatd.v1 JSON (docs/PROTOCOLS.md): `GET /ws`, hello, join,
    /// say; chatd's http:// listener and scripts/bench/ws-peer.js (Node's `ws`).
    case ws
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
    public var serverGreets: Bool { kind == .irc || kind == .ws }
    /// Whether a sender receives its own messages back (chatd.v1 echoes `say` to the sender so
    /// the page shows it with its room sequence): the generator ignores those copies.
    public var echoesToSender: Bool { kind == .ws }
    /// Whether the protocol has rooms (framed: chatd's `/join`; the seed and NIOChatServer
    /// ignore it and have one room only, so scenarios refuse `--rooms > 1` for `line`).
    public var supportsRooms: Bool { kind != .line }

    /// The IRC channel of a room: `#bench` for the default room, `#NAME` for the others.
    public static func ircChannel(_ room: String?) -> String { "#" + (room ?? "bench") }

    /// Bytes a client sends right after connecting: its name (framed) and room choice.
    /// `room` nil means the server's default room (chatd's lobby, the seed's only room).
    public func hello(name: String, room: String?, isSender: Bool) -> [UInt8] {
        switch kind {
        case .ws:
            // The upgrade, then the first messages at once: a server reads the bytes after the
            // request head as frames (RFC 6455 §4.1 lets a client send once the 101 arrives; both
            // servers measured here accept them pipelined, which saves a round trip per client).
            var out = Array(Self.wsUpgrade.utf8)
            Self.appendWSFrame(to: &out, Array(#"{"type":"hello","nick":"\#(name)"}"#.utf8))
            Self.appendWSFrame(to: &out, Array(#"{"type":"join","room":"\#(Self.wsRoom(room))"}"#.utf8))
            return out
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
        case .ws:
            let json = Self.wsSayPrefixLength + Self.wsRoom(room).utf8.count + payloadSize + Self.wsSaySuffix.count
            return Self.wsHeaderLength(json) + json
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
        case .ws:
            let roomName = Self.wsRoom(room)
            let json = Self.wsSayPrefixLength + roomName.utf8.count + payloadSize + Self.wsSaySuffix.count
            Self.appendWSHeader(to: &out, payloadLength: json)
            out.append(contentsOf: #"{"type":"say","room":""#.utf8)
            out.append(contentsOf: roomName.utf8)
            out.append(contentsOf: #"","text":""#.utf8)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: payloadSize))
            out.withUnsafeMutableBytes { b in payload(b.baseAddress! + start) }
            out.append(contentsOf: Self.wsSaySuffix)
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

    // MARK: WebSocket

    /// A fixed key is fine for a load generator (the server only hashes it, §4.2.2).
    static let wsUpgrade = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chatd.v1\r\n\r\n"
    /// `{"type":"say","room":"` + `","text":"`
    @usableFromInline static let wsSayPrefixLength = 22 + 10
    @usableFromInline static let wsSaySuffix: [UInt8] = Array(#""}"#.utf8)

    /// chatd.v1 has no default room: the default room is `lobby`, as framed clients'.
    @usableFromInline static func wsRoom(_ room: String?) -> String { room ?? "lobby" }

    /// Header of a client frame: 2, 4 or 10 bytes, then the 4-byte masking key (§5.2).
    @usableFromInline static func wsHeaderLength(_ payloadLength: Int) -> Int {
        (payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10) + 4
    }

    /// A final text frame's header. Every client frame must be masked (§5.3); the key is zero, so
    /// the payload goes out as written (XOR with 0) and the generator never touches it again.
    @usableFromInline static func appendWSHeader(to out: inout [UInt8], payloadLength n: Int, opcode: UInt8 = 0x1) {
        out.append(0x80 | opcode)
        if n < 126 {
            out.append(0x80 | UInt8(n))
        } else if n <= 0xFFFF {
            out.append(contentsOf: [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)])
        } else {
            out.append(0x80 | 127)
            for i in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: n >> (8 * i))) }
        }
        out.append(contentsOf: [0, 0, 0, 0])
    }

    static func appendWSFrame(to out: inout [UInt8], _ payload: [UInt8], opcode: UInt8 = 0x1) {
        appendWSHeader(to: &out, payloadLength: payload.count, opcode: opcode)
        out.append(contentsOf: payload)
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
