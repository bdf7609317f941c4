/// What the parser does with bytes that are not UTF-8.
///
/// Modern IRC ("Character Encodings") leaves this to the implementation; IRCv3 UTF8ONLY
/// lets a server that advertises the token refuse non-UTF-8 content (e.g. with
/// `FAIL <command> INVALID_UTF8`). chatd's other protocols only carry UTF-8 text, so the
/// daemon rejects (the default) and advertises UTF8ONLY; `.replace` (U+FFFD per invalid
/// sequence) is for callers that would rather show mangled text than drop it.
public enum IRCInvalidUTF8: Sendable {
    case reject, replace
}

extension IRCMessage {
    /// Parses one line as the decoder returns it (no CR LF). Multiple spaces between
    /// parts are accepted (Modern IRC asks parsers to be lenient), tags are unescaped
    /// (message-tags "Escaping values"), a key sent twice keeps its last value.
    public static func parse(
        _ line: UnsafeRawBufferPointer, invalidUTF8: IRCInvalidUTF8 = .reject
    ) throws(IRCParseError) -> IRCMessage {
        var parser = Parser(line: line, policy: invalidUTF8)
        return try parser.parse()
    }

    public static func parse(_ line: String, invalidUTF8: IRCInvalidUTF8 = .reject) throws(IRCParseError) -> IRCMessage {
        var copy = line
        // withUTF8 rethrows untyped errors; carry the typed one out in a Result.
        return try copy.withUTF8 { utf8 in
            Result { () throws(IRCParseError) in try parse(UnsafeRawBufferPointer(utf8), invalidUTF8: invalidUTF8) }
        }.get()
    }

    public static func parse(_ line: [UInt8], invalidUTF8: IRCInvalidUTF8 = .reject) throws(IRCParseError) -> IRCMessage {
        try line.withUnsafeBytes { bytes in
            Result { () throws(IRCParseError) in try parse(bytes, invalidUTF8: invalidUTF8) }
        }.get()
    }
}

struct Parser {
    let line: UnsafeRawBufferPointer
    let policy: IRCInvalidUTF8
    var index = 0
    /// Set instead of throwing at once: a line that is malformed is reported as such, one
    /// that is only not UTF-8 names its command.
    var invalidUTF8 = false

    init(line: UnsafeRawBufferPointer, policy: IRCInvalidUTF8) {
        self.line = line
        self.policy = policy
    }

    mutating func parse() throws(IRCParseError) -> IRCMessage {
        for byte in line where IRCBytes.isLineBreakOrNUL(byte) {
            throw .forbiddenByte(byte)
        }
        var tags: [IRCTag] = []
        if index < line.count, line[index] == IRCBytes.at {
            let end = find(IRCBytes.space) ?? line.count
            if end == line.count { throw .malformedTags }
            tags = try parseTags(from: index &+ 1, to: end)
            index = end
        }
        skipSpaces()
        if index == line.count { throw tags.isEmpty && line.first != IRCBytes.at ? .empty : .missingCommand }

        var source: String?
        if line[index] == IRCBytes.colon {
            let start = index &+ 1
            let end = find(IRCBytes.space) ?? line.count
            if end == start { throw .missingCommand }
            source = text(start, end)
            index = end
            skipSpaces()
            if index == line.count { throw .missingCommand }
        }

        let commandStart = index
        let commandEnd = find(IRCBytes.space) ?? line.count
        let command = try parseCommand(commandStart, commandEnd)
        index = commandEnd

        var params: [String] = []
        while true {
            skipSpaces()
            if index == line.count { break }
            if line[index] == IRCBytes.colon {
                params.append(text(index &+ 1, line.count))
                break
            }
            let end = find(IRCBytes.space) ?? line.count
            params.append(text(index, end))
            index = end
        }
        if invalidUTF8 { throw .invalidUTF8(command: command) }
        return IRCMessage(tags: tags, source: source, command: command, params: params)
    }

    /// Letters, or exactly three digits (Modern IRC "Command").
    func parseCommand(_ start: Int, _ end: Int) throws(IRCParseError) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: line[start..<end])
        let isVerb = slice.allSatisfy(IRCBytes.isLetter)
        let isNumeric = slice.count == 3 && slice.allSatisfy(IRCBytes.isDigit)
        guard isVerb || isNumeric else { throw .invalidCommand }
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func parseTags(from start: Int, to end: Int) throws(IRCParseError) -> [IRCTag] {
        var tags: [IRCTag] = []
        var positions: [String: Int] = [:]
        var cursor = start
        while cursor < end {
            var entryEnd = cursor
            while entryEnd < end, line[entryEnd] != IRCBytes.semicolon { entryEnd &+= 1 }
            if entryEnd > cursor {  // empty entries (";;", trailing ';') carry nothing
                var keyEnd = cursor
                while keyEnd < entryEnd, line[keyEnd] != IRCBytes.equals { keyEnd &+= 1 }
                let keyBytes = UnsafeRawBufferPointer(rebasing: line[cursor..<keyEnd])
                guard IRCTagKey.isValid(keyBytes) else { throw .malformedTags }
                let key = String(decoding: keyBytes, as: UTF8.self)
                let value = keyEnd < entryEnd ? unescapedValue(keyEnd &+ 1, entryEnd) : ""
                // Duplicate keys: the last value wins, the first position stays. Lookups go
                // through a dictionary once there are many tags so a line of thousands of
                // tiny tags stays linear.
                if tags.count < 16 {
                    if let at = tags.firstIndex(where: { $0.key == key }) {
                        tags[at].value = value
                    } else {
                        tags.append(IRCTag(key, value))
                    }
                } else {
                    if positions.isEmpty {
                        for (offset, tag) in tags.enumerated() { positions[tag.key] = offset }
                    }
                    if let at = positions[key] {
                        tags[at].value = value
                    } else {
                        positions[key] = tags.count
                        tags.append(IRCTag(key, value))
                    }
                }
            }
            cursor = entryEnd &+ 1
        }
        return tags
    }

    /// message-tags "Escaping values": `\:` ; `\s` space `\\` \ `\r` CR `\n` LF; a
    /// backslash before any other character is dropped, a trailing one too.
    mutating func unescapedValue(_ start: Int, _ end: Int) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: line[start..<end])
        guard raw.contains(IRCBytes.backslash) else { return text(start, end) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            i &+= 1
            guard byte == IRCBytes.backslash else {
                bytes.append(byte)
                continue
            }
            guard i < raw.count else { break }
            let escaped = raw[i]
            i &+= 1
            switch escaped {
            case 0x3A: bytes.append(IRCBytes.semicolon)  // ':'
            case 0x73: bytes.append(IRCBytes.space)  // 's'
            case 0x72: bytes.append(IRCBytes.cr)  // 'r'
            case 0x6E: bytes.append(IRCBytes.lf)  // 'n'
            default: bytes.append(escaped)  // '\\' and anything else
            }
        }
        return bytes.withUnsafeBytes { decode($0) }
    }

    mutating func text(_ start: Int, _ end: Int) -> String {
        decode(UnsafeRawBufferPointer(rebasing: line[start..<end]))
    }

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        if policy == .reject { invalidUTF8 = true }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func skipSpaces() {
        while index < line.count, line[index] == IRCBytes.space { index &+= 1 }
    }

    func find(_ byte: UInt8) -> Int? {
        var i = index
        while i < line.count {
            if line[i] == byte { return i }
            i &+= 1
        }
        return nil
    }
}
