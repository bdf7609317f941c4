/// Builds the server's replies to one client: numerics with the parameter layouts of Modern
/// IRC's numerics appendix (modern.ircdocs.horse, "Numerics"), plus PONG and ERROR. Every
/// numeric starts with `<client>`: the recipient's nick, or `*` before it has one.
///
/// Replies are not on the chat fast path (that is `IRCChatLine`), so they are plain
/// `IRCMessage` values the session writes with `IRCMessage.write(into:)`. Functions that
/// may need several lines (ISUPPORT, NAMES, WHOIS channels, MOTD) return arrays, each line
/// within `IRCLimits.maxBodyBytes`. Human-readable last parameters use the docs' wording.
public struct IRCReply: Sendable {
    /// The server name: the source of every numeric and of PONG.
    public var server: String
    /// The recipient's nick, `*` before registration.
    public var client: String

    public init(server: String, client: String = "*") {
        self.server = server
        self.client = client
    }

    /// `:<server> <code> <client> <params…>`. Words echoed from the client (a nick, a
    /// command, a channel) that cannot be a middle parameter (empty, containing a space or
    /// CR/LF/NUL, starting with ':') are replaced by `*`, and CR, LF, NUL in the last
    /// (text) parameter become spaces as in `IRCChatLine`, so a reply can always be written.
    public func numeric(_ code: String, _ params: [String]) -> IRCMessage {
        var all = [client] + params
        for index in all.indices.dropLast() where !Self.isMiddleParam(all[index]) {
            all[index] = "*"
        }
        all[all.count - 1] = Self.text(all[all.count - 1])
        return Self.fitted(IRCMessage(source: server, command: code, params: all))
    }

    /// `message` cut to one line. Replies echo client input (a 400-byte PING token, QUIT
    /// reason, command name or WHOIS list) and must still be writable: echoed middle
    /// parameters longer than the text are replaced by `*` first, then the last (text)
    /// parameter is truncated at a UTF-8 boundary, then any middle parameter still in the
    /// way becomes `*`.
    public static func fitted(_ message: IRCMessage) -> IRCMessage {
        var message = message
        guard bodyLength(message) > IRCLimits.maxBodyBytes, let last = message.params.indices.last else { return message }
        func longestMiddle() -> Int? {
            message.params.indices.dropLast().filter { message.params[$0].utf8.count > 1 }
                .max { message.params[$0].utf8.count < message.params[$1].utf8.count }
        }
        while bodyLength(message) > IRCLimits.maxBodyBytes, let longest = longestMiddle(),
            message.params[longest].utf8.count > message.params[last].utf8.count
        {
            message.params[longest] = "*"
        }
        let excess = bodyLength(message) - IRCLimits.maxBodyBytes
        if excess > 0 {
            let text = Array(message.params[last].utf8)
            // One byte spare: emptied text needs a ':' it may not have needed before.
            var keep = max(0, text.count - excess - 1)
            while keep > 0, keep < text.count, IRCBytes.isUTF8Continuation(text[keep]) { keep -= 1 }
            message.params[last] = String(decoding: text[..<keep], as: UTF8.self)
        }
        while bodyLength(message) > IRCLimits.maxBodyBytes, let longest = longestMiddle() {
            message.params[longest] = "*"
        }
        return message
    }

    /// Bytes of the message as written, without tags and CR LF.
    static func bodyLength(_ message: IRCMessage) -> Int {
        var length = message.source.map { 2 + $0.utf8.count } ?? 0
        length += message.command.utf8.count
        for param in message.params { length += 1 + param.utf8.count }
        if let last = message.params.last?.utf8, last.isEmpty || last.first == IRCBytes.colon || last.contains(IRCBytes.space) {
            length += 1
        }
        return length
    }

    /// `text` with CR, LF and NUL replaced by spaces (other protocols' text may hold them).
    public static func text(_ text: String) -> String {
        guard text.utf8.contains(where: IRCBytes.isLineBreakOrNUL) else { return text }
        return String(decoding: text.utf8.map { IRCBytes.isLineBreakOrNUL($0) ? IRCBytes.space : $0 }, as: UTF8.self)
    }

    static func isMiddleParam(_ param: String) -> Bool {
        let utf8 = param.utf8
        return !utf8.isEmpty && utf8.first != IRCBytes.colon
            && !utf8.contains(where: { $0 == IRCBytes.space || IRCBytes.isLineBreakOrNUL($0) })
    }

    /// `:<server> PONG <server> :<token>`: the token last (Modern IRC "PONG message"),
    /// the token written as any last parameter (clients match it either way).
    public func pong(token: String) -> IRCMessage {
        Self.fitted(IRCMessage(source: server, command: "PONG", params: [server, Self.text(token)]))
    }

    /// `ERROR :<reason>`, sent before the server closes the connection (Modern IRC
    /// "ERROR message"). No source: it is about the link itself.
    public func error(_ reason: String) -> IRCMessage {
        Self.fitted(IRCMessage(command: "ERROR", params: [Self.text(reason)]))
    }

    /// `:<server> NOTICE <client> :<text>`: server notices (chatd's `*` lines).
    public func notice(_ text: String) -> IRCMessage {
        Self.fitted(IRCMessage(source: server, command: "NOTICE", params: [client, Self.text(text)]))
    }

    /// Lines of `code` with the fixed `params` and as many of `items` (space-separated, in
    /// the last parameter) as fit in one line each. At least one line, even for no items.
    func packed(_ code: String, _ params: [String], items: [String]) -> [IRCMessage] {
        // ":" server " " code " " client {" " param} " :" items
        var overhead = 1 + server.utf8.count + 1 + code.utf8.count + 1 + client.utf8.count + 2
        for param in params { overhead += 1 + param.utf8.count }
        let room = max(1, IRCLimits.maxBodyBytes - overhead)
        var lines: [IRCMessage] = []
        var current = ""
        for item in items {
            let needed = (current.isEmpty ? 0 : 1) + item.utf8.count
            if !current.isEmpty, current.utf8.count + needed > room {
                lines.append(numeric(code, params + [current]))
                current = ""
            }
            if !current.isEmpty { current += " " }
            current += item
        }
        if !current.isEmpty || lines.isEmpty { lines.append(numeric(code, params + [current])) }
        return lines
    }
}
