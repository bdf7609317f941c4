/// Room moderation and server administration commands, the same text for every protocol
/// (framed slash commands, the browser's command box): parsed here, checked and applied by the
/// daemon. Names and masks are passed on unvalidated; the daemon knows users and mask syntax.
public enum ModerationCommand: Equatable, Sendable {
    case op(String), deop(String), voice(String), devoice(String)
    case kick(String, reason: String)
    /// `/ban MASK [DURATION]`: milliseconds, nil for good.
    case ban(String, duration: Int64?)
    case unban(String)
    case bans
    /// `/mute NAME [DURATION]` (a bare number is minutes).
    case mute(String, duration: Int64?)
    case unmute(String)
    /// `/topic` shows the topic; `/topic TEXT` sets it.
    case topic(String?)
    /// `/mode` shows the room's modes; `/mode +i-k …` changes them.
    case mode([ModeRequest])
    case invite(String)
    /// Server administration (admins only).
    case kill(String, reason: String)
    case gban(String, duration: Int64?, reason: String)
    case gunban(String)
    case gbans
    case announce(String)

    public static let helpText: [String] = [
        "room operators:",
        "/op NAME, /deop NAME      give or take operator status (kept for registered users)",
        "/voice NAME, /devoice NAME  let NAME speak in a moderated room, or not",
        "/kick NAME [REASON]       remove NAME from the room",
        "/ban MASK [TIME], /unban MASK, /bans   MASK: NICK, NICK!*@*, ~a:ACCOUNT, ADDRESS[/PREFIX]",
        "/mute NAME [TIME], /unmute NAME   TIME: 30s, 10m, 2h, 1d (a bare number is minutes)",
        "/topic [TEXT]             show or set the topic",
        "/mode [+i|-i|+k KEY|-k|+m|-m|+s|-s|+t|-t]   invite-only, key, moderated, secret, topic lock",
        "/invite NAME              let NAME join this room once",
        "admins: /kill NAME [REASON], /gban MASK [TIME] [REASON], /gunban MASK, /gbans, /announce TEXT",
    ]

    /// The command named `name` (lowercased) with its arguments, or nil when `name` is not one of
    /// these commands.
    static func parse(name: String, _ rest: ArgumentCursor) -> ChatInput? {
        func one(_ make: (String) -> ModerationCommand, _ usage: String) -> ChatInput {
            guard let token = rest.singleToken() else { return .invalid("usage: \(usage)") }
            return .moderation(make(token))
        }
        switch name {
        case "op": return one(ModerationCommand.op, "/op NAME")
        case "deop": return one(ModerationCommand.deop, "/deop NAME")
        case "voice": return one(ModerationCommand.voice, "/voice NAME")
        case "devoice": return one(ModerationCommand.devoice, "/devoice NAME")
        case "unban": return one(ModerationCommand.unban, "/unban MASK")
        case "unmute": return one(ModerationCommand.unmute, "/unmute NAME")
        case "invite": return one(ModerationCommand.invite, "/invite NAME")
        case "gunban": return one(ModerationCommand.gunban, "/gunban MASK")
        case "bans": return rest.isEmpty ? .moderation(.bans) : .invalid("usage: /bans")
        case "gbans": return rest.isEmpty ? .moderation(.gbans) : .invalid("usage: /gbans")
        case "kick", "kill":
            guard let (target, reason) = rest.tokenAndOptionalText() else { return .invalid("usage: /\(name) NAME [REASON]") }
            return .moderation(name == "kick" ? .kick(target, reason: reason) : .kill(target, reason: reason))
        case "ban", "mute":
            guard let t = rest.tokens(max: 2), let target = t.first else { return .invalid("usage: /\(name) \(name == "ban" ? "MASK" : "NAME") [TIME]") }
            var duration: Int64?
            if t.count == 2 {
                guard let d = Duration.parse(t[1]) else { return .invalid(Duration.usage) }
                duration = d
            }
            return .moderation(name == "ban" ? .ban(String(target), duration: duration) : .mute(String(target), duration: duration))
        case "gban":
            guard let (mask, tail) = rest.tokenAndOptionalText() else { return .invalid("usage: /gban MASK [TIME] [REASON]") }
            let (first, afterFirst) = ArgumentCursor(text: tail, position: tail.startIndex).splitFirst()
            if let first, let d = Duration.parse(first) {
                return .moderation(.gban(mask, duration: d, reason: afterFirst))
            }
            return .moderation(.gban(mask, duration: nil, reason: tail))
        case "topic": return .moderation(.topic(rest.remainder()))
        case "announce":
            guard let text = rest.remainder() else { return .invalid("usage: /announce TEXT") }
            return .moderation(.announce(text))
        case "mode":
            guard let t = rest.tokens(max: 1 + ModeString.maxChanges) else { return .invalid(ModeString.usage) }
            guard let modes = t.first else { return .moderation(.mode([])) }
            switch ModeString.parse(String(modes), arguments: t.dropFirst().map(String.init)) {
            case .success(let changes): return .moderation(.mode(changes))
            case .failure(let e): return .invalid(e.description)
            }
        default: return nil
        }
    }
}

/// One mode change as written (`+k KEY`, `-o NAME`, `+b MASK`): the sign, the letter and its
/// argument. The letters are the ones chatd implements (ISUPPORT CHANMODES=b,k,,imnst and
/// PREFIX=(ov)@+); the daemon turns each into Room's `RoomModeChange`.
public struct ModeRequest: Equatable, Sendable {
    public var adding: Bool
    public var letter: Character
    public var argument: String?

    public init(adding: Bool, letter: Character, argument: String? = nil) {
        self.adding = adding
        self.letter = letter
        self.argument = argument
    }
}

/// Parses an IRC-style mode string (`+im-k`, `+ob bob eve`) and its arguments (Modern IRC
/// "MODE"): `b`, `o`, `v` take an argument both ways, `k` when set; `i`, `m`, `n`, `s`, `t` none.
/// `b` without an argument is the ban list query (`argument` nil).
public enum ModeString {
    /// Changes one request carries at most (ISUPPORT MODES).
    public static let maxChanges = 6
    public static let usage = "usage: /mode [+|-][imst] | +k KEY | -k | +o/-o NAME | +v/-v NAME | +b/-b MASK"

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
        /// The unknown letter, for IRC 472.
        public let unknownLetter: Character?
    }

    public static let known: Set<Character> = ["b", "i", "k", "m", "n", "o", "s", "t", "v"]

    public static func parse(_ modes: String, arguments: [String]) -> Result<[ModeRequest], ParseError> {
        var adding = true
        var args = arguments[...]
        var out: [ModeRequest] = []
        for letter in modes {
            switch letter {
            case "+", "-":
                adding = letter == "+"
                continue
            default: break
            }
            guard known.contains(letter) else {
                return .failure(ParseError(description: "unknown mode '\(letter.isASCII ? String(letter) : "?")'", unknownLetter: letter))
            }
            guard out.count < maxChanges else {
                return .failure(ParseError(description: "at most \(maxChanges) mode changes at once", unknownLetter: nil))
            }
            var argument: String?
            switch letter {
            case "b", "o", "v", "k":
                if letter == "k" && !adding {
                    // -k: IRC clients send the old key (or "*"); it is ignored.
                    if !args.isEmpty { args.removeFirst() }
                } else if let a = args.first {
                    argument = a
                    args.removeFirst()
                } else if letter != "b" {
                    return .failure(ParseError(description: "mode \(adding ? "+" : "-")\(letter) needs an argument", unknownLetter: nil))
                }
            default: break
            }
            if letter == "b" && argument == nil && !adding {
                return .failure(ParseError(description: "mode -b needs a mask", unknownLetter: nil))
            }
            out.append(ModeRequest(adding: adding, letter: letter, argument: argument))
        }
        guard args.isEmpty else { return .failure(ParseError(description: "too many mode arguments", unknownLetter: nil)) }
        return .success(out)
    }
}

/// Durations for `/ban`, `/mute`, `/gban`: `30s`, `10m`, `2h`, `1d`, or a bare number of minutes;
/// at most a year. In milliseconds.
public enum Duration {
    public static let usage = "a time is a number with s, m, h or d (30s, 10m, 2h, 1d); a bare number is minutes"
    static let maxMilliseconds: Int64 = 366 * 86_400_000

    public static func parse(_ text: Substring) -> Int64? {
        var digits = text.utf8[...]
        var unit: Int64 = 60_000
        if let last = digits.last, last &- 0x30 >= 10 {
            switch last | 0x20 {
            case UInt8(ascii: "s"): unit = 1000
            case UInt8(ascii: "m"): unit = 60_000
            case UInt8(ascii: "h"): unit = 3_600_000
            case UInt8(ascii: "d"): unit = 86_400_000
            default: return nil
            }
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 &- 0x30 < 10 }) else { return nil }
        let n = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        guard n > 0, n * unit <= maxMilliseconds else { return nil }
        return n * unit
    }
}

extension ArgumentCursor {
    /// A token, then optional text kept verbatim ("" when there is none).
    func tokenAndOptionalText() -> (String, String)? {
        let (first, rest) = splitFirst()
        return first.map { (String($0), rest) }
    }

    /// The first token (nil when there is none) and the text after its separator run.
    func splitFirst() -> (Substring?, String) {
        let utf8 = text.utf8
        let end = ChatCommand.endOfToken(utf8, from: position)
        guard end > position else { return (nil, "") }
        let textStart = ChatCommand.endOfWhitespace(utf8, from: end)
        return (text[position..<end], String(text[textStart...]))
    }
}
