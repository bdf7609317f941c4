/// Why a message cannot be written as one IRC line. The serializer rejects rather than
/// strips: a CR or LF in a parameter is either a bug or an injection attempt, and silently
/// changing the text would hide both. Text from other protocols goes through
/// `IRCChatLine`, which documents its own (replacing) policy.
public enum IRCWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidTagKey(String)
    /// A tag value containing NUL (it has no escape sequence).
    case invalidTagValue(key: String)
    /// An empty source, or one containing a space, CR, LF or NUL.
    case invalidSource
    /// Not letters nor three digits.
    case invalidCommand
    /// A parameter containing CR, LF or NUL; or a parameter other than the last that is
    /// empty, starts with ':' or contains a space (it would change the parameter count).
    case invalidParam(index: Int)
    /// The line breaks `IRCLimits` (tags: `maxTagBytes`, body: `maxBodyBytes`).
    case tooLong(IRCLinePart)

    public var description: String {
        switch self {
        case .invalidTagKey(let key): "invalid tag key \(key)"
        case .invalidTagValue(let key): "tag \(key) has a NUL in its value"
        case .invalidSource: "invalid source"
        case .invalidCommand: "invalid command"
        case .invalidParam(let index): "parameter \(index) cannot be written"
        case .tooLong(let part): "line \(part == .tags ? "tags" : "body") too long"
        }
    }
}
