/// Parses slash commands inside message text. Command names are ASCII and matched
/// case-insensitively; arguments are separated by runs of ASCII whitespace; free text
/// (`/msg`, `/me`) is kept verbatim after the separator run that precedes it.
public enum ChatCommand {
    /// `text` is a complete message payload. Anything not starting with "/" is
    /// `.message(text)` unchanged.
    public static func parse(_ text: String) -> ChatInput {
        let utf8 = text.utf8
        guard utf8.first == ASCII.slash else { return .message(text) }
        let nameStart = utf8.index(after: utf8.startIndex)
        // Indices are computed on the UTF-8 view and only ever land next to ASCII bytes,
        // so slicing the String with them never splits a scalar.
        if nameStart < utf8.endIndex, utf8[nameStart] == ASCII.slash {
            return .message(String(text[nameStart...]))
        }
        let nameEnd = endOfToken(utf8, from: nameStart)
        let argumentStart = endOfWhitespace(utf8, from: nameEnd)
        if nameStart == nameEnd {
            return .invalid("empty command (try /help; send //text for a message starting with /)")
        }
        let rest = ArgumentCursor(text: text, position: argumentStart)

        switch asciiLowercased(utf8[nameStart..<nameEnd]) {
        case "join":
            guard let t = rest.tokens(max: 2), let room = t.first.map(String.init) else { return .invalid("usage: /join ROOM [KEY]") }
            switch Names.validateRoom(room) {
            case .success(let normalized): return .join(room: normalized, key: t.count == 2 ? String(t[1]) : nil)
            case .failure(let error): return .invalid("invalid room name: \(error.reason(for: .room))")
            }
        case "leave": return rest.isEmpty ? .leave : .invalid("usage: /leave")
        case "rooms": return rest.isEmpty ? .rooms : .invalid("usage: /rooms")
        case "who": return rest.isEmpty ? .who : .invalid("usage: /who")
        case "help": return rest.isEmpty ? .help : .invalid("usage: /help")
        case "quit": return rest.isEmpty ? .quit : .invalid("usage: /quit")
        case "nick":
            guard let name = rest.singleToken() else { return .invalid("usage: /nick NAME") }
            return .nick(name)
        case "msg":
            guard let (name, text) = rest.tokenAndText() else { return .invalid("usage: /msg NAME TEXT") }
            return .privateMessage(to: name, text: text)
        case "me":
            guard let action = rest.remainder() else { return .invalid("usage: /me TEXT") }
            return .me(action)
        case "history":
            return history(rest)
        case "register", "login":
            return AccountCommand.parse(asciiLowercased(utf8[nameStart..<nameEnd]), rest)
        case let name:
            if let moderation = ModerationCommand.parse(name: name, rest) { return moderation }
            return .invalid("unknown command /\(displayName(text[nameStart..<nameEnd])) (try /help)")
        }
    }

    /// First byte '/': lets the daemon's hot path skip building a String for plain text.
    @inlinable
    public static func isCommand(_ payload: UnsafeRawBufferPointer) -> Bool {
        payload.count > 0 && payload[0] == ASCII.slash
    }

    public static let helpText: [String] = [
        "/join ROOM [KEY] switch to ROOM (created on first join; '#ROOM' works too)",
        "/leave           leave the current room and go back to the lobby",
        "/rooms           list rooms",
        "/who             list the members of the current room",
        "/nick NAME       change your name",
        "/msg NAME TEXT   send TEXT privately to NAME",
        "/me TEXT         send TEXT as an action (* you TEXT)",
        "/history [N]     show the room's last N messages again",
        "/history before SEQ [N]  show the N messages before number SEQ",
        "/history @NAME [before SEQ] [N]  the same for your private messages with NAME",
    ] + AccountCommand.helpText + [
        "/help            show this help",
        "/quit            disconnect",
        "//TEXT           send a message that starts with /",
    ]

    static let historyUsage = "usage: /history [@NAME] [N] or /history [@NAME] before SEQ [N]"

    /// `[@NAME] [N]` or `[@NAME] before SEQ [N]`, N and SEQ positive decimal integers.
    static func history(_ rest: ArgumentCursor) -> ChatInput {
        guard var t = rest.tokens(max: 4) else { return .invalid(historyUsage) }
        var with: String?
        if let first = t.first, first.utf8.first == UInt8(ascii: "@") {
            guard first.utf8.count > 1 else { return .invalid(historyUsage) }
            // Drop the '@' byte, not the first Character: '@' and a combining mark after it are
            // one grapheme, and dropFirst() would take the whole name (found by fuzz-command).
            with = String(decoding: first.utf8.dropFirst(), as: UTF8.self)
            t.removeFirst()
        }
        guard t.count <= 3 else { return .invalid(historyUsage) }
        let page = historyPage(t)
        guard let with, case .history(let before, let limit) = page else { return page }
        return .privateHistory(with: with, before: before, limit: limit)
    }

    static func historyPage(_ t: [Substring]) -> ChatInput {
        func positive(_ s: Substring) -> UInt64? {
            guard s.utf8.count <= 20, s.utf8.allSatisfy({ $0 &- 0x30 < 10 }), let v = UInt64(s), v > 0 else { return nil }
            return v
        }
        switch t.count {
        case 0: return .history(before: nil, limit: nil)
        case 1:
            guard let n = positive(t[0]) else { return .invalid(historyUsage) }
            return .history(before: nil, limit: Int(clamping: n))
        default:
            guard asciiLowercased(t[0].utf8) == "before", let seq = positive(t[1]) else { return .invalid(historyUsage) }
            if t.count == 2 { return .history(before: seq, limit: nil) }
            guard let n = positive(t[2]) else { return .invalid(historyUsage) }
            return .history(before: seq, limit: Int(clamping: n))
        }
    }

    // MARK: - Scanning

    static func endOfToken(_ utf8: String.UTF8View, from start: String.Index) -> String.Index {
        var index = start
        while index < utf8.endIndex, !ASCII.isWhitespace(utf8[index]) { utf8.formIndex(after: &index) }
        return index
    }

    static func endOfWhitespace(_ utf8: String.UTF8View, from start: String.Index) -> String.Index {
        var index = start
        while index < utf8.endIndex, ASCII.isWhitespace(utf8[index]) { utf8.formIndex(after: &index) }
        return index
    }

    /// Command names are ASCII; non-ASCII bytes pass through and simply match nothing.
    static func asciiLowercased(_ bytes: Substring.UTF8View) -> String {
        String(decoding: bytes.lazy.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The unknown command echoed back, cut so a 64 KiB "command" does not come back whole.
    static func displayName(_ name: Substring) -> String {
        let limit = 32
        var shown = ""
        var count = 0
        for character in name {
            if count == limit { return shown + "…" }
            shown.append(character)
            count &+= 1
        }
        return shown
    }
}
