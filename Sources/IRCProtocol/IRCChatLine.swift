/// PRIVMSG or NOTICE, the two commands chat text travels in.
public enum IRCChatKind: Sendable {
    case privmsg, notice

    @usableFromInline static let privmsgBytes: [UInt8] = Array("PRIVMSG".utf8)
    @usableFromInline static let noticeBytes: [UInt8] = Array("NOTICE".utf8)

    @usableFromInline var commandBytes: [UInt8] {
        switch self {
        case .privmsg: Self.privmsgBytes
        case .notice: Self.noticeBytes
        }
    }
}

/// Where one encoded line sits in the buffer it was appended to.
public struct IRCEncodedLine: Sendable, Equatable {
    /// First byte of the line (the '@' when it has tags).
    public var start: Int
    /// First byte after the tag section (== `start` without tags). Clients that did not
    /// negotiate `server-time`/`message-tags` are sent `buffer[bodyStart..<end]`: the same
    /// bytes, minus the tags.
    public var bodyStart: Int
    /// One past the line's LF.
    public var end: Int
    /// Text bytes this line carries; call again with the rest while any is left.
    public var textConsumed: Int

    public init(start: Int, bodyStart: Int, end: Int, textConsumed: Int) {
        self.start = start
        self.bodyStart = bodyStart
        self.end = end
        self.textConsumed = textConsumed
    }
}

/// The fast path for relayed chat text: one `PRIVMSG`/`NOTICE` line written straight into
/// a byte buffer, once per message for all recipients of a protocol:
///
///     @time=2026-12-01T03:04:05.678Z :alice!alice@framed PRIVMSG #lobby :hello\r\n
///
/// The time tag comes first so `bodyStart` strips the whole tag section for clients
/// without tags. The text comes from another protocol, so instead of rejecting it, CR, LF
/// and NUL (which would end or corrupt the line) become spaces, and for actions also
/// \x01 (which would end the CTCP). Text longer than one line allows is split at a UTF-8
/// boundary, preferring the last space in the final 32 bytes; each call writes one line
/// and reports how much text it used. No intermediate String or array is built: bytes go
/// straight into the caller's buffer.
public enum IRCChatLine {
    /// The bytes `append` allows for text after a given source, target and command.
    public static func maxTextBytes(_ kind: IRCChatKind, source: String, target: String, action: Bool = false) -> Int {
        // ":" source " " command " " target " :" [\x01ACTION  … \x01]
        IRCLimits.maxBodyBytes - (1 + source.utf8.count + 1 + kind.commandBytes.count + 1
            + target.utf8.count + 2 + (action ? 9 : 0))
    }

    /// Appends one line carrying a prefix of `text` (all of it when it fits). With `action`
    /// the text is wrapped as CTCP ACTION (`\x01ACTION text\x01`) on every line. Returns nil
    /// (and writes nothing) when source or target cannot be written (empty, space, CR, LF,
    /// NUL, a target starting with ':'), the tags exceed their limit, or the names leave
    /// no room for text.
    public static func append(
        _ kind: IRCChatKind, source: String, target: String, text: UnsafeRawBufferPointer,
        action: Bool = false, serverTime milliseconds: Int64? = nil, tags: [IRCTag] = [],
        to buffer: inout [UInt8]
    ) -> IRCEncodedLine? {
        guard isToken(source.utf8), isToken(target.utf8), target.utf8.first != IRCBytes.colon else { return nil }
        let room = maxTextBytes(kind, source: source, target: target, action: action)
        guard room >= 4 else { return nil }  // one code point at least, so a caller's loop ends
        let start = buffer.count
        if milliseconds != nil || !tags.isEmpty {
            buffer.append(IRCBytes.at)
            if let milliseconds {
                buffer.append(contentsOf: "time=".utf8)
                IRCServerTime.append(millisecondsSince1970: milliseconds, to: &buffer)
            }
            for tag in tags {
                if buffer.count &- start > 1 { buffer.append(IRCBytes.semicolon) }
                guard IRCTagKey.isValid(tag.key) else {
                    buffer.removeSubrange(start...)
                    return nil
                }
                buffer.append(contentsOf: tag.key.utf8)
                if !tag.value.isEmpty {
                    buffer.append(IRCBytes.equals)
                    guard IRCTagValue.appendEscaped(tag.value.utf8, to: &buffer) else {
                        buffer.removeSubrange(start...)
                        return nil
                    }
                }
            }
            buffer.append(IRCBytes.space)
            if buffer.count &- start > IRCLimits.maxTagBytes {
                buffer.removeSubrange(start...)
                return nil
            }
        }
        let bodyStart = buffer.count
        buffer.append(IRCBytes.colon)
        buffer.append(contentsOf: source.utf8)
        buffer.append(IRCBytes.space)
        buffer.append(contentsOf: kind.commandBytes)
        buffer.append(IRCBytes.space)
        buffer.append(contentsOf: target.utf8)
        buffer.append(IRCBytes.space)
        buffer.append(IRCBytes.colon)
        if action { buffer.append(contentsOf: actionPrefix) }
        let take = splitPoint(text, room: room)
        let textStart = buffer.count
        if take > 0 { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[..<take])) }
        var index = textStart
        while index < buffer.count {
            let byte = buffer[index]
            if IRCBytes.isLineBreakOrNUL(byte) || action && byte == IRCBytes.ctcpDelimiter {
                buffer[index] = IRCBytes.space
            }
            index &+= 1
        }
        if action { buffer.append(IRCBytes.ctcpDelimiter) }
        buffer.append(IRCBytes.cr)
        buffer.append(IRCBytes.lf)
        return IRCEncodedLine(start: start, bodyStart: bodyStart, end: buffer.count, textConsumed: take)
    }

    /// `\x01ACTION `.
    @usableFromInline static let actionPrefix: [UInt8] = [0x01, 0x41, 0x43, 0x54, 0x49, 0x4F, 0x4E, 0x20]

    /// How many bytes of `text` go on this line: all when they fit, else a cut at a UTF-8
    /// boundary, moved back to just after a space when one is in the last 32 bytes.
    static func splitPoint(_ text: UnsafeRawBufferPointer, room: Int) -> Int {
        if text.count <= room { return text.count }
        var cut = room
        while cut > 0, IRCBytes.isUTF8Continuation(text[cut]) { cut &-= 1 }
        if cut == 0 { return room }  // not UTF-8 at all: cut anywhere rather than loop
        var space = cut
        while space > max(0, cut &- 32) {
            if text[space &- 1] == IRCBytes.space { return space }
            space &-= 1
        }
        return cut
    }

    static func isToken(_ utf8: String.UTF8View) -> Bool {
        !utf8.isEmpty && !utf8.contains(where: { $0 == IRCBytes.space || IRCBytes.isLineBreakOrNUL($0) })
    }
}
