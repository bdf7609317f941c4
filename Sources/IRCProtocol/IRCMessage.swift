/// One IRC message (Modern IRC "Message Format"):
/// `['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters> CRLF`.
///
/// Values are kept as sent: the command's case (compare with `isCommand`), the source
/// unparsed (`nick!user@host` or a server name), every parameter including the trailing
/// one without its ':'. Parsing is in `IRCMessage+Parse.swift`, writing in
/// `IRCMessage+Write.swift`; for every line that parses, writing the message and parsing
/// it again gives the same message.
public struct IRCMessage: Sendable, Equatable, CustomStringConvertible {
    /// Unique keys in first-seen order; a key sent twice keeps its last value.
    public var tags: [IRCTag]
    public var source: String?
    /// A verb (letters) or a three-digit numeric.
    public var command: String
    public var params: [String]

    public init(tags: [IRCTag] = [], source: String? = nil, command: String, params: [String] = []) {
        self.tags = tags
        self.source = source
        self.command = command
        self.params = params
    }

    /// The value of tag `key` ("" for a tag without value), nil when absent.
    public func tag(_ key: String) -> String? {
        tags.last(where: { $0.key == key })?.value
    }

    /// Commands are case-insensitive (Modern IRC "Command"): `isCommand("NICK")` matches
    /// "nick" and "Nick". `upper` must be upper case.
    public func isCommand(_ upper: String) -> Bool {
        let a = command.utf8, b = upper.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in (IRCBytes.isLetter(x) ? x & 0xDF : x) == y }
    }

    /// The command in upper case, for dispatch tables.
    public var verb: String {
        command.utf8.contains(where: { $0 &- 0x61 < 26 })
            ? String(decoding: command.utf8.map { $0 &- 0x61 < 26 ? $0 & 0xDF : $0 }, as: UTF8.self)
            : command
    }

    /// The line as it would be sent, without CR LF (for logs and test failures).
    public var description: String {
        var bytes: [UInt8] = []
        do {
            try write(into: &bytes, limits: false)
            return String(decoding: bytes.dropLast(2), as: UTF8.self)
        } catch {
            return "<unserializable \(command) \(params): \(error)>"
        }
    }
}

/// One message tag (IRCv3 message-tags). `value` is unescaped; "" means no value (the
/// spec makes `key=` and `key` equivalent).
public struct IRCTag: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String = "") {
        self.key = key
        self.value = value
    }

    /// Client-only tags (`+key`) are relayed between clients and never interpreted by the
    /// server (message-tags "Client-only tags").
    public var isClientOnly: Bool { key.utf8.first == IRCBytes.plus }
}
