/// The text layouts of moderation room events (`RoomEventKind.kick`), read back by every
/// protocol's encoder.
enum ModerationText {
    /// A kick event's text is the kicked nick, a space, and the reason (maybe empty).
    static func kick(_ text: String) -> (nick: String, reason: String) {
        guard let space = text.firstIndex(of: " ") else { return (text, "") }
        return (String(text[..<space]), String(text[text.index(after: space)...]))
    }
}
