import ChatProtocol
import EventLoop
import Room

/// The framed protocol's bytes (DESIGN.md §2): a chat message is the sender's name frame then the
/// text frame, back to back in one shared, immutable buffer; server notices come from `*`.
public enum FramedEncoding {
    /// The sender name of server notices (DESIGN.md §2).
    public static let serverName = "*"

    @inlinable
    public static func message(sender: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer) -> SharedBytes {
        let total = FrameEncoder.encodedLength(payloadLength: sender.count)
            &+ FrameEncoder.encodedLength(payloadLength: text.count)
        return SharedBytes.make(count: total) { dst in
            let n = FrameEncoder.encode(sender, into: dst)
            _ = FrameEncoder.encode(text, into: dst + n)
        }
    }

    public static func message(sender: String, text: String) -> SharedBytes {
        var s = sender
        var t = text
        return s.withUTF8 { sb in t.withUTF8 { tb in message(sender: UnsafeRawBufferPointer(sb), text: UnsafeRawBufferPointer(tb)) } }
    }

    /// A `*` notice: joins, leaves, replies, errors.
    public static func notice(_ text: String) -> SharedBytes {
        message(sender: serverName, text: text)
    }

    public static func error(_ text: String) -> SharedBytes {
        notice("error: " + text)
    }

    /// The bytes every framed member of the event's room receives, encoded by the first loop
    /// that needs them and shared by all (the event's framed slot); nil when framed clients are
    /// not shown this event (away changes, presence in crowded rooms).
    @inline(__always)
    public static func bytes(for event: RoomEvent) -> SharedBytes? {
        if let done = event.encoded(slot: ProtocolSlot.framed) { return done }
        guard let fresh = encode(event) else { return nil }
        return event.storeEncoding(fresh, slot: ProtocolSlot.framed)
    }

    public static func encode(_ event: RoomEvent) -> SharedBytes? {
        let nick = event.source.nick
        guard let room = event.room else {
            // A private message (`/msg`, IRC PRIVMSG to a nick).
            switch event.kind {
            case .message, .notice: return message(sender: nick, text: "(private) " + event.text)
            case .action: return message(sender: nick, text: "(private) /me " + event.text)
            default: return nil
            }
        }
        switch event.kind {
        case .message, .notice:
            var s = nick
            return s.withUTF8 { sb in event.withText { message(sender: UnsafeRawBufferPointer(sb), text: $0) } }
        case .action: return message(sender: nick, text: "/me " + event.text)
        case .join: return event.crowded ? nil : notice("\(nick) joined #\(room)")
        case .part: return event.crowded ? nil : notice("\(nick) left #\(room)" + (event.text.isEmpty ? "" : " (\(event.text))"))
        case .quit:
            return event.crowded ? nil : notice("\(nick) disconnected" + (event.text.isEmpty ? "" : " (\(event.text))"))
        case .nick: return notice("\(nick) is now known as \(event.text)")
        case .topic:
            return notice(event.text.isEmpty ? "\(nick) cleared the topic of #\(room)" : "\(nick) set the topic of #\(room): \(event.text)")
        case .away: return nil
        case .mode: return notice("\(nick) sets mode \(event.text) on #\(room)")
        case .kick:
            let (target, reason) = ModerationText.kick(event.text)
            return notice("\(nick) kicked \(target) from #\(room)" + (reason.isEmpty ? "" : " (\(reason))"))
        case .moderation: return notice("\(nick) \(event.text) in #\(room)")
        }
    }
}
