import EventLoop
import Room
import WebProtocol

/// chatd.v1 bytes (docs/PROTOCOLS.md): JSON text messages inside WebSocket text frames. A room
/// event becomes one complete frame — header and payload in one buffer — made by the first loop
/// with a browser recipient and shared by all of them through the event's web slot, exactly like
/// a framed or IRC encoding; no per-recipient masking or compression exists to prevent that
/// (server frames are unmasked, and permessage-deflate is not offered).
public enum WebEncoding {
    /// One text frame carrying `json`.
    static func frame(_ json: [UInt8]) -> SharedBytes {
        let header = WebSocketFrameEncoder.headerLength(payloadLength: json.count)
        return SharedBytes.make(count: header &+ json.count) { dst in
            let written = WebSocketFrameEncoder.writeHeader(
                .text, payloadLength: json.count, into: UnsafeMutableRawBufferPointer(start: dst, count: header))
            json.withUnsafeBytes { (dst + written).copyMemory(from: $0.baseAddress!, byteCount: json.count) }
        }
    }

    /// The frame every browser member of the event's room shares; nil when browsers are not
    /// shown the event (away changes, presence in crowded rooms).
    @inline(__always)
    public static func bytes(for event: RoomEvent) -> SharedBytes? {
        if let done = event.encoded(slot: ProtocolSlot.web) { return done }
        guard let chat = chatV1(event) else { return nil }
        return event.storeEncoding(frame(ChatV1ServerMessage.event(chat)), slot: ProtocolSlot.web)
    }

    /// The chatd.v1 view of a room event: quits are parts (the browser keeps no other state
    /// for them), topics are notices from the setter.
    static func chatV1(_ event: RoomEvent) -> ChatV1Event? {
        guard let room = event.room else { return nil }
        if event.kind.isPresence && event.crowded { return nil }
        let kind: ChatV1EventKind
        var text = event.text
        switch event.kind {
        case .message: kind = .message
        case .action: kind = .action
        case .notice: kind = .notice
        case .join: kind = .join
        case .part, .quit: kind = .part
        case .nick: kind = .nick
        case .topic:
            kind = .notice
            text = text.isEmpty ? "cleared the topic" : "set the topic: \(text)"
        case .away: return nil
        case .mode: kind = .mode
        case .kick:
            kind = .kick
            let (nick, reason) = ModerationText.kick(text)
            return ChatV1Event(kind: kind, room: room, sender: event.source.nick, text: reason, time: event.time, seq: event.sequence,
                               target: nick)
        case .moderation: kind = .notice
        }
        return ChatV1Event(kind: kind, room: room, sender: event.source.nick, text: text, time: event.time, seq: event.sequence)
    }

    /// A private message to or from a browser user (`to` is the recipient's nick). An action
    /// keeps its `/me ` so the page shows it as one.
    static func privateMessage(_ event: RoomEvent, to: String) -> SharedBytes? {
        let text: String
        switch event.kind {
        case .message, .notice: text = event.text
        case .action: text = "/me " + event.text
        default: return nil
        }
        return frame(ChatV1ServerMessage.privateMessage(from: event.source.nick, to: to, text: text, time: event.time))
    }

    static func error(_ code: String, _ text: String) -> SharedBytes {
        frame(ChatV1ServerMessage.error(code: code, text: text))
    }

    static func notice(_ text: String) -> SharedBytes {
        frame(ChatV1ServerMessage.notice(text))
    }
}
