import Room

/// Which of a `RoomEvent`'s encoding slots holds which wire protocol's bytes. Room knows only the
/// indices; this is the one place that gives them meaning.
public enum ProtocolSlot {
    public static let framed = 0
    public static let irc = 1
    // 2 is IRC's tag-less copy of multi-line encodings (IRCEncoding.plainSlot).
    /// chatd.v1 over WebSocket: one complete text frame (header + JSON), shared by every
    /// browser recipient (server frames are unmasked, RFC 6455 §5.1).
    public static let web = 3
}
