/// CTCP inside PRIVMSG/NOTICE text (modern.ircdocs.horse/ctcp): `\x01COMMAND params\x01`,
/// the final \x01 optional. chatd maps ACTION to its `/me`; other CTCP queries are the
/// session's choice (relay between IRC users, drop towards other protocols).
public enum CTCP {
    /// The command and parameter of a CTCP message (`\x01VERSION\x01` → ("VERSION", "")),
    /// nil for plain text.
    public static func parse(_ text: String) -> (command: Substring, parameter: Substring)? {
        let utf8 = text.utf8
        guard utf8.first == IRCBytes.ctcpDelimiter else { return nil }
        var body = text[utf8.index(after: utf8.startIndex)...]
        if body.utf8.last == IRCBytes.ctcpDelimiter { body = body[..<body.utf8.index(before: body.utf8.endIndex)] }
        guard let space = body.utf8.firstIndex(of: IRCBytes.space) else { return (body, body[body.endIndex...]) }
        return (body[..<space], body[body.utf8.index(after: space)...])
    }

    /// The action text of `\x01ACTION text\x01` (also without the closing \x01, also
    /// `\x01ACTION\x01` → ""), nil for anything else. The command is case-sensitive per the
    /// CTCP docs, but clients only ever send upper case.
    public static func actionText(_ text: String) -> Substring? {
        guard let (command, parameter) = parse(text), command == "ACTION" else { return nil }
        return parameter
    }

    /// `\x01ACTION text\x01`, for sending a chatd `/me` to IRC clients. A \x01 inside the
    /// text would end the CTCP early, so it becomes a space.
    public static func action(_ text: String) -> String {
        let safe = text.utf8.contains(IRCBytes.ctcpDelimiter)
            ? String(decoding: text.utf8.map { $0 == IRCBytes.ctcpDelimiter ? IRCBytes.space : $0 }, as: UTF8.self)
            : text
        return "\u{1}ACTION " + safe + "\u{1}"
    }
}
