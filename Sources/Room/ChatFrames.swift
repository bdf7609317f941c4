import ChatProtocol
import EventLoop

/// Builds the shared, immutable wire bytes the server sends. A chat message is encoded once,
/// as the seed sends it — sender frame then text frame, back to back — and the same object is
/// queued to every recipient.
public enum ChatFrames {
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
}
