/// Why a nick or channel name is not acceptable on IRC.
public enum IRCNameError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    /// Length in bytes, over the limit.
    case tooLong(Int)
    /// A character the name may not contain.
    case forbiddenCharacter(Character)
    /// A character the name may not start with.
    case forbiddenFirstCharacter(Character)
    /// A channel name without the `#` prefix (CHANTYPES=#).
    case missingChannelPrefix

    public var description: String {
        switch self {
        case .empty: "is empty"
        case .tooLong(let count): "is too long (\(count) bytes)"
        case .forbiddenCharacter(let character): "must not contain \(character.debugDescription)"
        case .forbiddenFirstCharacter(let character): "must not start with \(character.debugDescription)"
        case .missingChannelPrefix: "must start with '#'"
        }
    }
}

/// Name rules IRC clients rely on (Modern IRC "Clients" and "Channels"). chatd's own rules
/// (ChatProtocol `Names`: printable Unicode, 1–32 bytes, no `*`/`#`/`/` prefix) are
/// checked by the session as well; a name must pass both. This module checks only what
/// would break IRC parsing or masks, so Unicode nicks stay possible.
public enum IRCNames {
    /// Nick: not empty, at most `maxBytes` bytes; none of space , * ? ! @ . (the first six
    /// break masks and target lists, '.' makes a nick look like a server name); no control
    /// characters; not starting with $ : (server masks, trailing parameters), the channel
    /// type # & or a membership prefix ~ & @ % + .
    public static func validateNick(_ nick: String, maxBytes: Int = 32) -> Result<String, IRCNameError> {
        let utf8 = nick.utf8
        guard let first = utf8.first else { return .failure(.empty) }
        if utf8.count > maxBytes { return .failure(.tooLong(utf8.count)) }
        switch first {
        case 0x24, 0x3A, 0x23, 0x26, 0x7E, 0x40, 0x25, 0x2B:  // $ : # & ~ @ % +
            return .failure(.forbiddenFirstCharacter(Character(Unicode.Scalar(first))))
        default: break
        }
        for byte in utf8 {
            switch byte {
            case 0x20, 0x2C, 0x2A, 0x3F, 0x21, 0x40, 0x2E:  // space , * ? ! @ .
                return .failure(.forbiddenCharacter(Character(Unicode.Scalar(byte))))
            case 0x00..<0x20, 0x7F:
                return .failure(.forbiddenCharacter(Character(Unicode.Scalar(byte))))
            default: continue
            }
        }
        return .success(nick)
    }

    /// Channel: `#` then at least one character, at most `maxBytes` bytes in all, without
    /// space, comma, BEL (^G), CR, LF or NUL (Modern IRC "Channels"). Returns the name
    /// without the `#`, i.e. the chatd room name to validate further.
    public static func validateChannel(_ channel: String, maxBytes: Int = 50) -> Result<String, IRCNameError> {
        let utf8 = channel.utf8
        guard let first = utf8.first else { return .failure(.empty) }
        guard first == IRCBytes.hash else { return .failure(.missingChannelPrefix) }
        if utf8.count == 1 { return .failure(.empty) }
        if utf8.count > maxBytes { return .failure(.tooLong(utf8.count)) }
        for byte in utf8 where byte == IRCBytes.space || byte == IRCBytes.comma || byte == 0x07 || IRCBytes.isLineBreakOrNUL(byte) {
            return .failure(.forbiddenCharacter(Character(Unicode.Scalar(byte))))
        }
        return .success(String(channel[channel.utf8.index(after: channel.utf8.startIndex)...]))
    }

    /// `#name` for chatd room `name` (rooms are channels of type `#`).
    public static func channel(forRoom room: String) -> String { "#" + room }

    /// `nick!user@host`, the source of a user's messages.
    public static func mask(nick: String, user: String, host: String) -> String {
        nick + "!" + user + "@" + host
    }

    /// The nick of a `nick!user@host` source (the whole source when it has no '!').
    public static func nick(ofSource source: String) -> Substring {
        source.utf8.firstIndex(of: IRCBytes.bang).map { source[..<$0] } ?? source[...]
    }

    /// The user name of the USER command made safe for `nick!user@host`: only letters,
    /// digits, '-', '_', '.', at most `maxBytes` bytes; "user" if nothing is left. (USER's
    /// first parameter is free text to clients; servers pick what they show.)
    public static func sanitizeUser(_ user: String, maxBytes: Int = 16) -> String {
        let kept = user.utf8.filter {
            IRCBytes.isLetter($0) || IRCBytes.isDigit($0) || $0 == IRCBytes.minus || $0 == 0x5F || $0 == IRCBytes.dot
        }.prefix(maxBytes)
        return kept.isEmpty ? "user" : String(decoding: kept, as: UTF8.self)
    }
}
