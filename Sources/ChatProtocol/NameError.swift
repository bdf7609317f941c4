/// Which kind of name a `NameError` is about, for the wording of the reply.
public enum NameKind: Sendable {
    case username, room

    public var label: String {
        switch self {
        case .username: "username"
        case .room: "room name"
        }
    }

    public var maxBytes: Int {
        switch self {
        case .username: Names.maxUsernameBytes
        case .room: Names.maxRoomBytes
        }
    }
}

public enum NameError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    /// The name's length in UTF-8 bytes.
    case tooLong(Int)
    case invalidUTF8
    /// Unicode whitespace, control (C0, C1, U+2028/9) or invisible format characters.
    case whitespaceOrControl
    case reservedPrefix(Character)

    /// The rule that failed, without the subject: "must be 1–32 bytes, got 40".
    public func reason(for kind: NameKind) -> String {
        switch self {
        case .empty:
            "must be 1–\(kind.maxBytes) bytes, got 0"
        case .tooLong(let bytes):
            "must be 1–\(kind.maxBytes) bytes, got \(bytes)"
        case .invalidUTF8:
            "must be valid UTF-8"
        case .whitespaceOrControl:
            "must not contain whitespace, control or invisible characters"
        case .reservedPrefix(let character):
            "must not start with '\(character)'"
        }
    }

    /// "username must be 1–32 bytes, got 40".
    public func description(for kind: NameKind) -> String {
        "\(kind.label) \(reason(for: kind))"
    }

    public var description: String { description(for: .username) }
}
