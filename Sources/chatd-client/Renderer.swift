/// What a received (or locally echoed) line is, decided from the protocol's conventions
/// (DESIGN.md §2): notices come from the reserved sender `*`, private messages carry the
/// text prefix "(private) ", actions the prefix "/me ".
enum MessageKind: Equatable, Sendable {
    case message
    /// `/me waves` from alice, shown as "* alice waves".
    case action
    /// Text starts with "(private) "; the prefix is kept in the text.
    case privateMessage
    /// From `*`: joins, leaves, command replies.
    case notice
    /// From `*`, text starting "error:".
    case error
    /// The client's own status lines (connection lost, reconnecting, help).
    case local

    /// Classifies one received (sender, text) pair. Returns the text to show, which differs
    /// from the received one only for actions (the "/me " prefix is dropped).
    static func classify(sender: String, text: String) -> (kind: MessageKind, text: String) {
        if sender == "*" {
            return (text.hasPrefix("error:") ? .error : .notice, text)
        }
        if text.hasPrefix("(private) ") { return (.privateMessage, text) }
        if text.hasPrefix("/me ") { return (.action, String(text.dropFirst(4))) }
        return (.message, text)
    }
}

/// A wall-clock time of day for the timestamp column.
struct ClockTime: Equatable, Sendable {
    var hour: Int
    var minute: Int

    var text: String {
        (hour < 10 ? "0" : "") + String(hour) + ":" + (minute < 10 ? "0" : "") + String(minute)
    }
}

/// One line of the chat view, before styling.
struct DisplayLine: Equatable, Sendable {
    var sender: String
    var text: String
    var kind: MessageKind
    /// Part of the history replayed on join (between "history: …" and "end of history").
    var replay = false
    /// Written by this client (local echo of what the user sent).
    var own = false
}

/// Whether to emit ANSI colors: never when stdout is not a terminal, when `NO_COLOR` is
/// set to a non-empty value (no-color.org) or when TERM is "dumb"; `--color` overrides.
enum ColorPolicy: String, Sendable, CaseIterable {
    case auto, always, never

    func enabled(stdoutIsTerminal: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            if !stdoutIsTerminal { return false }
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return true
        }
    }
}

/// Turns chat lines into terminal text. Pure: no terminal, clock or environment access, so
/// every layout decision is unit-tested (Tests/ClientTests).
///
/// Layout, one column per field, continuation lines indented under the text:
///
///     12:34        alice │ hello there
///     12:35            * │ bob joined #lobby
///     12:35            * │ alice waves
///     hist           bob │ an earlier message
struct Renderer: Sendable {
    var colors: Bool
    /// Display columns reserved for the sender; longer names are cut with "…".
    var nameColumns = 12
    var showTimestamps = true

    static let separator = "│"
    static let privateSeparator = "»"

    /// 256-color palette entries that read well on dark and light backgrounds; a name's
    /// color is `palette[fnv1a(lowercased name) % count]`, stable across runs and machines
    /// (Swift's `Hasher` is seeded per process, so it cannot be used).
    static let palette: [Int] = [
        33, 39, 40, 41, 42, 43, 44, 45, 69, 75, 76, 77, 78, 79, 99, 105, 111, 112, 113, 135,
        141, 147, 160, 161, 166, 167, 168, 169, 170, 171, 172, 173, 178, 179, 184, 196, 197,
        198, 202, 203, 208, 209, 214,
    ]

    static func colorIndex(for name: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in name.lowercased().utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return palette[Int(hash % UInt32(palette.count))]
    }

    /// Columns taken by everything before the text: "HH:MM " + name + " │ ".
    var prefixColumns: Int { (showTimestamps ? 6 : 0) + nameColumns + 3 }

    /// The styled line (several lines joined with "\n" when the text wraps at `width`
    /// columns; `width` 0 disables wrapping). Sender and text are sanitized here, so
    /// nothing received can emit escape sequences.
    func render(sender: String, text: String, kind: MessageKind, timestamp: ClockTime?,
                width: Int, replay: Bool = false, own: Bool = false) -> String {
        let sender = Sanitizer.clean(sender)
        let text = Sanitizer.clean(text)
        let dim = replay ? "2;" : ""

        var head = ""
        if showTimestamps {
            let stamp = replay ? "hist " : (timestamp?.text ?? "     ")
            head += paint(stamp, dim + "90") + " "
        }

        let nameField: String
        var body: String
        var textStyle = dim.isEmpty ? "" : "2"
        switch kind {
        case .message, .privateMessage:
            nameField = paint(TextWidth.padLeft(sender, toColumns: nameColumns), dim + nickStyle(sender, own: own))
            body = text
            if kind == .privateMessage { textStyle = dim + "35" }
        case .action:
            nameField = paint(TextWidth.padLeft("*", toColumns: nameColumns), dim + "1")
            body = text
        case .notice:
            nameField = paint(TextWidth.padLeft("*", toColumns: nameColumns), dim + "36")
            body = text
            textStyle = dim + "36"
        case .error:
            nameField = paint(TextWidth.padLeft("!", toColumns: nameColumns), dim + "1;31")
            body = text
            textStyle = dim + "31"
        case .local:
            nameField = paint(TextWidth.padLeft("--", toColumns: nameColumns), dim + "33")
            body = text
            textStyle = dim + "33"
        }
        let separator = kind == .privateMessage ? Self.privateSeparator : Self.separator
        head += nameField + " " + paint(separator, dim + (kind == .privateMessage ? "35" : "90")) + " "

        // An action starts with the actor's name, colored like their messages.
        var actor = ""
        if kind == .action {
            actor = sender + " "
        }
        let available = width > 0 ? width - prefixColumns : 0
        let rows = Self.wrap(actor + body, columns: available >= 10 ? available : 0)
        var lines: [String] = []
        for (index, row) in rows.enumerated() {
            var styled: String
            if index == 0, !actor.isEmpty, row.hasPrefix(actor) {
                styled = paint(sender, dim + nickStyle(sender, own: own)) + " "
                    + paint(String(row.dropFirst(actor.count)), textStyle)
            } else {
                styled = paint(row, textStyle)
            }
            if index == 0 {
                lines.append(head + styled)
            } else {
                let indent = String(repeating: " ", count: prefixColumns - 2)
                lines.append(indent + paint(separator, dim + "90") + " " + styled)
            }
        }
        return lines.joined(separator: "\n")
    }

    func render(_ line: DisplayLine, timestamp: ClockTime?, width: Int) -> String {
        render(sender: line.sender, text: line.text, kind: line.kind, timestamp: timestamp,
               width: width, replay: line.replay, own: line.own)
    }

    /// Scripting mode's line, exactly the seed tutorial client's `f"{username} > {message}"`.
    static func scriptLine(sender: String, text: String) -> String {
        sender + " > " + text
    }

    // MARK: - Styling

    func nickStyle(_ name: String, own: Bool) -> String {
        (own ? "1;" : "") + "38;5;" + String(Self.colorIndex(for: name))
    }

    /// Wraps `text` in an SGR sequence when colors are on; `sgr` empty means unstyled.
    func paint(_ text: String, _ sgr: String) -> String {
        guard colors, !sgr.isEmpty, !text.isEmpty else { return text }
        return "\u{1B}[" + sgr + "m" + text + "\u{1B}[0m"
    }

    /// Greedy word wrap by display columns; words wider than a row are split by cluster.
    /// `columns` 0 means one row.
    static func wrap(_ text: String, columns: Int) -> [String] {
        guard columns > 0, TextWidth.columns(text) > columns else { return [text] }
        var rows: [String] = []
        var row = ""
        var rowWidth = 0
        for word in splitKeepingSpaces(text) {
            let w = TextWidth.columns(word)
            if rowWidth + w <= columns {
                row += word
                rowWidth += w
                continue
            }
            if word.allSatisfy({ $0 == " " }) {
                // A break at a space: drop the space.
                rows.append(row)
                row = ""
                rowWidth = 0
                continue
            }
            if !row.isEmpty, w <= columns {
                rows.append(trimTrailingSpaces(row))
                row = word
                rowWidth = w
                continue
            }
            for character in word {
                let cw = TextWidth.columns(of: character)
                if rowWidth + cw > columns {
                    rows.append(trimTrailingSpaces(row))
                    row = ""
                    rowWidth = 0
                }
                row.append(character)
                rowWidth += cw
            }
        }
        if !row.isEmpty || rows.isEmpty { rows.append(row) }
        return rows
    }

    /// "a  b c" → ["a", "  ", "b", " ", "c"].
    static func splitKeepingSpaces(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inSpaces = false
        for character in text {
            let isSpace = character == " "
            if !current.isEmpty, isSpace != inSpaces {
                parts.append(current)
                current = ""
            }
            inSpaces = isSpace
            current.append(character)
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    static func trimTrailingSpaces(_ text: String) -> String {
        var t = Substring(text)
        while t.last == " " { t = t.dropLast() }
        return String(t)
    }
}
