/// What happened in a room, as the daemon's protocol-neutral room event carries it.
public enum ChatV1EventKind: String, Equatable, Sendable {
    case message
    case action
    case notice
    case join
    case part
    case nick
    /// A moderator changed the room's modes: `modes` is the mode string with its arguments.
    case mode
    /// A moderator removed `nick` from the room, with the reason `text`.
    case kick
}

/// One room event as chatd.v1 sends it. `time` is the server's clock in milliseconds since
/// the Unix epoch, `seq` the room's sequence number (history scroll-back asks by it).
public struct ChatV1Event: Equatable, Sendable {
    public var kind: ChatV1EventKind
    public var room: String
    public var sender: String
    /// Message/action/notice text; for `nick`, the new nickname; empty for join/part.
    public var text: String
    public var time: Int64
    public var seq: UInt64
    /// `kick`: the member removed.
    public var target: String

    public init(kind: ChatV1EventKind, room: String, sender: String, text: String, time: Int64, seq: UInt64, target: String = "") {
        self.target = target
        self.kind = kind
        self.room = room
        self.sender = sender
        self.text = text
        self.time = time
        self.seq = seq
    }
}

/// Encodes server→client chatd.v1 messages (docs/PROTOCOLS.md). Each returns the JSON
/// text; the daemon wraps it in one WebSocket frame once and shares it with every
/// WebSocket recipient.
public enum ChatV1ServerMessage {
    /// `{"type":"message","room":"lobby","from":"alice","text":"hi","time":…,"seq":7}`;
    /// `type` is the event kind (message, action, notice, join, part, nick).
    public static func event(_ event: ChatV1Event) -> [UInt8] {
        var writer = JSONWriter()
        writeEvent(event, into: &writer)
        return writer.bytes
    }

    /// `{"type":"welcome","nick":"alice","server":"chatd"}`: the hello was accepted.
    public static func welcome(nick: String) -> [UInt8] {
        object { $0.member("type", "welcome"); $0.member("nick", nick); $0.member("server", "chatd") }
    }

    /// `{"type":"private","from":"alice","to":"bob","text":"psst","time":…}`
    public static func privateMessage(from: String, to: String, text: String, time: Int64) -> [UInt8] {
        object {
            $0.member("type", "private"); $0.member("from", from); $0.member("to", to)
            $0.member("text", text); $0.member("time", time)
        }
    }

    /// `{"type":"notice","text":"…"}`: a server notice not tied to a room.
    public static func notice(_ text: String) -> [UInt8] {
        object { $0.member("type", "notice"); $0.member("text", text) }
    }

    /// `{"type":"error","code":"nick-taken","text":"…"}`: `code` is stable for programs,
    /// `text` for people.
    public static func error(code: String, text: String) -> [UInt8] {
        object { $0.member("type", "error"); $0.member("code", code); $0.member("text", text) }
    }

    /// `{"type":"rooms","rooms":[{"room":"lobby","members":3},…]}`
    public static func rooms(_ rooms: [(name: String, members: Int)]) -> [UInt8] {
        object { writer in
            writer.member("type", "rooms")
            writer.key("rooms")
            writer.beginArray()
            for room in rooms {
                writer.beginObject(); writer.member("room", room.name); writer.member("members", room.members); writer.endObject()
            }
            writer.endArray()
        }
    }

    /// `{"type":"who","room":"lobby","members":["alice","bob"]}`
    public static func who(room: String, members: [String]) -> [UInt8] {
        object { writer in
            writer.member("type", "who"); writer.member("room", room)
            writer.key("members")
            writer.beginArray()
            for member in members { writer.string(member) }
            writer.endArray()
        }
    }

    /// `{"type":"history","room":"lobby","events":[…oldest first…],"more":true}`: the answer
    /// to a history request and the replay on join; `more` says older events exist.
    public static func history(room: String, events: [ChatV1Event], more: Bool) -> [UInt8] {
        object { writer in
            writer.member("type", "history"); writer.member("room", room)
            writer.key("events")
            writer.beginArray()
            for event in events { writeEvent(event, into: &writer) }
            writer.endArray()
            writer.key("more"); writer.bool(more)
        }
    }

    static func writeEvent(_ event: ChatV1Event, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("type", event.kind.rawValue)
        writer.member("room", event.room)
        writer.member("from", event.sender)
        switch event.kind {
        case .join, .part: break
        case .nick: writer.member("nick", event.text)
        case .message, .action, .notice: writer.member("text", event.text)
        case .mode: writer.member("modes", event.text)
        case .kick:
            writer.member("nick", event.target)
            writer.member("text", event.text)
        }
        writer.member("time", event.time)
        writer.member("seq", Int64(truncatingIfNeeded: event.seq))
        writer.endObject()
    }

    static func object(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        body(&writer)
        writer.endObject()
        return writer.bytes
    }
}
