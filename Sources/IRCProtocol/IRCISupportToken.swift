/// One RPL_ISUPPORT (005) token: `NAME`, `NAME=value` or `-NAME` (Modern IRC,
/// "RPL_ISUPPORT"). Values are escaped as the docs require: `\x20` for space, `\x5C` for
/// backslash, `\x3D` for '='.
public struct IRCISupportToken: Sendable, Equatable {
    public var name: String
    /// nil: no value (`NAME`); "" writes `NAME=`.
    public var value: String?
    /// `-NAME`: the parameter is withdrawn.
    public var negated: Bool

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
        self.negated = false
    }

    public init(_ name: String, _ value: Int) {
        self.init(name, String(value))
    }

    public static func negate(_ name: String) -> IRCISupportToken {
        var token = IRCISupportToken(name)
        token.negated = true
        return token
    }

    /// The token as it goes on the wire.
    public var text: String {
        if negated { return "-" + name }
        guard let value else { return name }
        var escaped = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case " ": escaped += "\\x20"
            case "\\": escaped += "\\x5C"
            case "=": escaped += "\\x3D"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return name + "=" + escaped
    }

    /// Groups tokens for 005 lines: at most 13 per line (15 parameters minus `<client>` and
    /// the trailing text) and at most `maxBytes` bytes of `" token"` per line.
    public static func lines(_ tokens: [IRCISupportToken], maxBytes: Int) -> [[String]] {
        var lines: [[String]] = []
        var current: [String] = []
        var bytes = 0
        for token in tokens {
            let text = token.text
            let size = 1 + text.utf8.count
            if !current.isEmpty, current.count == 13 || bytes + size > maxBytes {
                lines.append(current)
                current = []
                bytes = 0
            }
            current.append(text)
            bytes += size
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
