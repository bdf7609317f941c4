/// The arguments after a command name, starting past the separator run.
struct ArgumentCursor {
    let text: String
    let position: String.Index

    var isEmpty: Bool { position == text.utf8.endIndex }

    /// Exactly one token, trailing whitespace allowed.
    func singleToken() -> String? {
        let utf8 = text.utf8
        let end = ChatCommand.endOfToken(utf8, from: position)
        guard end > position, ChatCommand.endOfWhitespace(utf8, from: end) == utf8.endIndex else {
            return nil
        }
        return String(text[position..<end])
    }

    /// A token, a separator run, then non-empty text kept verbatim.
    func tokenAndText() -> (String, String)? {
        let utf8 = text.utf8
        let end = ChatCommand.endOfToken(utf8, from: position)
        let textStart = ChatCommand.endOfWhitespace(utf8, from: end)
        guard end > position, textStart < utf8.endIndex else { return nil }
        return (String(text[position..<end]), String(text[textStart...]))
    }

    /// Everything left, verbatim; nil when empty.
    func remainder() -> String? {
        isEmpty ? nil : String(text[position...])
    }

    /// Up to `max` whitespace-separated tokens; nil if there are more.
    func tokens(max: Int) -> [Substring]? {
        let utf8 = text.utf8
        var out: [Substring] = []
        var start = position
        while start < utf8.endIndex {
            guard out.count < max else { return nil }
            let end = ChatCommand.endOfToken(utf8, from: start)
            out.append(text[start..<end])
            start = ChatCommand.endOfWhitespace(utf8, from: end)
        }
        return out
    }
}
