import EventLoop
import Room

/// A room event as it travels through Redis (the payload of the room's stream entries and
/// pub/sub messages): chatd's own compact binary layout, since only chatd nodes read it.
/// Presence kinds (join, part, quit, nick, away) travel too: `origin` and `except` then name
/// the member (`ClusterKeys.member`).
///
///     "c1" kind:u8 time:i64 except:u64 origin room nick user host text…
///
/// integers big-endian; origin…host are u16-length-prefixed UTF-8; the text is the rest.
/// `origin` names the publishing process, so only it honours `except` (a connection ID means
/// nothing on another node). Decoding checks every length and every string: bytes from Redis
/// are input like any other, and a bad payload is reported, not trusted.
public struct RelayedEvent: Equatable, Sendable {
    public var kind: RoomEventKind
    public var time: Int64
    public var except: UInt64
    public var origin: String
    public var room: String
    public var nick: String
    public var user: String
    public var host: String
    public var text: [UInt8]

    public init(
        kind: RoomEventKind, time: Int64, except: UInt64, origin: String, room: String, nick: String, user: String, host: String,
        text: [UInt8]
    ) {
        self.kind = kind
        self.time = time
        self.except = except
        self.origin = origin
        self.room = room
        self.nick = nick
        self.user = user
        self.host = host
        self.text = text
    }

    public init(_ event: RoomEvent, room: String, origin: String, except: ConnectionID) {
        self.init(
            kind: event.kind, time: event.time, except: except.rawValue, origin: origin, room: room,
            nick: event.source.nick, user: event.source.user, host: event.source.host,
            text: event.withText { Array($0) })
    }

    static let magic: [UInt8] = Array("c1".utf8)

    public var encoded: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(32 + origin.utf8.count + room.utf8.count + nick.utf8.count + user.utf8.count + host.utf8.count + text.count)
        out.append(kind.rawValue)
        Self.append(UInt64(bitPattern: time), to: &out)
        Self.append(except, to: &out)
        for s in [origin, room, nick, user, host] {
            let bytes = Array(s.utf8.prefix(Int(UInt16.max)))
            out.append(UInt8(bytes.count >> 8))
            out.append(UInt8(bytes.count & 0xFF))
            out.append(contentsOf: bytes)
        }
        out.append(contentsOf: text)
        return out
    }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notChatd, truncated, unknownKind(UInt8), invalidUTF8
        public var description: String {
            switch self {
            case .notChatd: "not a chatd event (bad magic)"
            case .truncated: "truncated event"
            case .unknownKind(let k): "unknown event kind \(k)"
            case .invalidUTF8: "event text or name is not valid UTF-8"
            }
        }
    }

    public init(decoding bytes: some Collection<UInt8>) throws(DecodeError) {
        let b = Array(bytes)
        guard b.count >= 2, b[0] == Self.magic[0], b[1] == Self.magic[1] else { throw .notChatd }
        var i = 2
        guard b.count >= i + 17 else { throw .truncated }
        guard let kind = RoomEventKind(rawValue: b[i]) else { throw .unknownKind(b[i]) }
        i += 1
        let time = Int64(bitPattern: Self.load(b, at: i))
        let except = Self.load(b, at: i + 8)
        i += 16
        var strings: [String] = []
        for _ in 0..<5 {
            guard b.count >= i + 2 else { throw .truncated }
            let n = Int(b[i]) << 8 | Int(b[i + 1])
            i += 2
            guard b.count >= i + n else { throw .truncated }
            guard let s = String(validating: b[i..<(i + n)], as: UTF8.self) else { throw .invalidUTF8 }
            strings.append(s)
            i += n
        }
        let text = Array(b[i...])
        guard String(validating: text, as: UTF8.self) != nil else { throw .invalidUTF8 }
        self.init(
            kind: kind, time: time, except: except, origin: strings[0], room: strings[1], nick: strings[2], user: strings[3],
            host: strings[4], text: text)
    }

    /// The event for this node's room `room` (the relay numbers it on delivery).
    public func roomEvent(in room: Room) -> RoomEvent {
        let storage = SharedBytes.make(text)
        return RoomEvent(
            kind: kind, room: room.name, source: EventSource(nick: nick, user: user, host: host), text: storage, start: 0,
            count: storage.count, time: time)
    }

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    private static func load(_ b: [UInt8], at i: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v = v << 8 | UInt64(b[i + k]) }
        return v
    }
}
