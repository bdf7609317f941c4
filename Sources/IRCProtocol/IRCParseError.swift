/// Why a line is not an IRC message. The session answers or ignores it; the connection
/// stays usable.
public enum IRCParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing but spaces (the decoder already drops empty lines).
    case empty
    /// NUL, CR or LF inside the line (Modern IRC forbids them anywhere in a message).
    case forbiddenByte(UInt8)
    /// A tag section with no message after it, an empty or malformed key.
    case malformedTags
    /// ':' with no source after it, or a source but no command.
    case missingCommand
    /// A command that is neither letters nor three digits.
    case invalidCommand
    /// The message is well-formed but not valid UTF-8 (only with `.reject`). `command` is
    /// the command as sent, so the server can answer `FAIL <command> INVALID_UTF8` (IRCv3
    /// UTF8ONLY).
    case invalidUTF8(command: String)

    public var description: String {
        switch self {
        case .empty: "empty message"
        case .forbiddenByte(let byte): "forbidden byte 0x\(String(byte, radix: 16)) in message"
        case .malformedTags: "malformed message tags"
        case .missingCommand: "missing command"
        case .invalidCommand: "invalid command"
        case .invalidUTF8: "message is not valid UTF-8"
        }
    }
}
