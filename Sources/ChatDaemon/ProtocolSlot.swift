import Room

/// Which of a `RoomEvent`'s encoding slots holds which wire protocol's bytes. Room knows only the
/// indices; this is the one place that gives them meaning.
public enum ProtocolSlot {
    public static let framed = 0
    public static let irc = 1
}
