/// Which part of an over-long line broke its limit (`IRCLimits`).
public enum IRCLinePart: Sendable, Equatable {
    case tags, body
}

/// What `IRCLineDecoder.next` found at the front of the buffer. Ranges index the buffer
/// that was passed in; the caller handles the event, then drops `consumed` bytes.
public enum IRCLineEvent: Sendable, Equatable {
    /// A complete, non-empty line without its `\r\n` or `\n`.
    case line(Range<Int>)
    /// A line broke a limit. For `.body` the range is the line cut to the limit at a UTF-8
    /// boundary (tags intact), so the caller may process it truncated or drop it; for
    /// `.tags` it is nil (the message cannot be parsed). Reported once per line: the rest
    /// of the line, however long, is consumed and discarded, in this call or later ones.
    case overlong(IRCLinePart, truncated: Range<Int>?)
    /// No complete line yet.
    case needMore
}

public struct IRCLineStep: Sendable, Equatable {
    public var event: IRCLineEvent
    /// Bytes to drop from the front of the buffer (also empty lines and discarded bytes).
    public var consumed: Int

    public init(event: IRCLineEvent, consumed: Int) {
        self.event = event
        self.consumed = consumed
    }
}

/// Splits a byte stream into IRC lines. Modern IRC "Message Format": lines end in CR LF,
/// but servers accept a bare LF (many clients and scripts send it); empty lines are
/// silently ignored. The caller never has to buffer more than one line's limit
/// (`maxLineBytes`) however long a hostile line is: the rest of an over-long line is
/// discarded as it arrives.
///
/// Contract: call `next` with the caller's unconsumed bytes (the previous buffer minus
/// `consumed`, plus whatever arrived since). The decoder remembers how far it has already
/// searched the current partial line, so a line that trickles in a byte per read costs
/// O(line) in all, not O(line²).
///
/// A CR that is not followed by LF stays in the line (the parser rejects it): RFC 1459's
/// "CR or LF" ending is long obsolete and splitting on bare CR would let a client smuggle
/// an extra line past logging.
public struct IRCLineDecoder: Sendable {
    public let maxTagBytes: Int
    public let maxBodyBytes: Int
    /// True while the tail of an over-long line is being skipped.
    public private(set) var discarding = false
    /// Bytes of the current partial line (from its first byte) known to hold no LF.
    var searchedForLF = 0
    /// Bytes of the current partial line's tag section known to hold no space.
    var searchedForSpace = 0

    public init(maxTagBytes: Int = IRCLimits.maxTagBytes, maxBodyBytes: Int = IRCLimits.maxBodyBytes) {
        precondition(maxTagBytes >= 2 && maxBodyBytes >= 1)
        self.maxTagBytes = maxTagBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// The most bytes a buffer needs to hold for `next` to make progress.
    public var maxLineBytes: Int { maxTagBytes + maxBodyBytes + 2 }

    public mutating func next(_ bytes: UnsafeRawBufferPointer) -> IRCLineStep {
        let count = bytes.count
        var start = 0
        while true {
            if discarding {
                guard let lf = Self.first(IRCBytes.lf, bytes, from: start, to: count) else {
                    return IRCLineStep(event: .needMore, consumed: count)
                }
                discarding = false
                start = lf &+ 1
                continue
            }
            // Empty lines ("\n", "\r\n") are skipped. A partial line never starts with LF
            // (it would have been skipped), but one may be a lone CR awaiting its LF.
            if start < count, bytes[start] == IRCBytes.lf {
                start &+= 1
                newLine()
                continue
            }
            if count &- start >= 2, bytes[start] == IRCBytes.cr, bytes[start &+ 1] == IRCBytes.lf {
                start &+= 2
                newLine()
                continue
            }
            if start == count { return IRCLineStep(event: .needMore, consumed: start) }
            return scanLine(bytes, from: start)
        }
    }

    mutating func newLine() {
        searchedForLF = 0
        searchedForSpace = 0
    }

    mutating func scanLine(_ bytes: UnsafeRawBufferPointer, from start: Int) -> IRCLineStep {
        // Never look further than a maximal line: past it the line is over-long anyway.
        let window = min(bytes.count, start &+ maxLineBytes)
        let lf = Self.first(IRCBytes.lf, bytes, from: min(window, start &+ searchedForLF), to: window)
        let available = lf ?? window  // end of what is known to belong to this line
        searchedForLF = available &- start

        var bodyStart = start
        if bytes[start] == IRCBytes.at {
            let tagLimit = min(available, start &+ maxTagBytes)
            if let space = Self.first(IRCBytes.space, bytes, from: min(tagLimit, start &+ searchedForSpace), to: tagLimit) {
                bodyStart = space &+ 1
                searchedForSpace = space &- start  // found: the next call finds it again at once
            } else if lf != nil && available &- start < maxTagBytes {
                // A complete line of tags only: not over-long, just malformed; the parser
                // reports it.
                bodyStart = available
            } else if available &- start >= maxTagBytes {
                return overlong(.tags, truncated: nil, lf: lf, scanned: window)
            } else {
                searchedForSpace = tagLimit &- start
                return IRCLineStep(event: .needMore, consumed: start)
            }
        }

        guard let lf else {
            // Room for the body, a CR and the LF that has not arrived yet.
            if window &- bodyStart > maxBodyBytes &+ 1 {
                return overlong(.body, truncated: truncate(bytes, start, bodyStart), lf: nil, scanned: window)
            }
            return IRCLineStep(event: .needMore, consumed: start)
        }
        newLine()
        let end = lf > start && bytes[lf &- 1] == IRCBytes.cr ? lf &- 1 : lf
        if end &- bodyStart > maxBodyBytes {
            return overlong(.body, truncated: truncate(bytes, start, bodyStart), lf: lf, scanned: window)
        }
        return IRCLineStep(event: .line(start..<end), consumed: lf &+ 1)
    }

    /// Without an LF in the scanned window, only the window is consumed: bytes past it may
    /// already hold the line's end and the next lines, which discarding mode finds.
    mutating func overlong(_ part: IRCLinePart, truncated: Range<Int>?, lf: Int?, scanned: Int) -> IRCLineStep {
        newLine()
        if let lf { return IRCLineStep(event: .overlong(part, truncated: truncated), consumed: lf &+ 1) }
        discarding = true
        return IRCLineStep(event: .overlong(part, truncated: truncated), consumed: scanned)
    }

    /// The line cut to `maxBodyBytes` of body, backed off to a code point boundary so the
    /// cut never leaves a partial UTF-8 sequence (a trailing CR is never part of it).
    func truncate(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ bodyStart: Int) -> Range<Int> {
        var end = bodyStart &+ maxBodyBytes
        var backed = 0
        while backed < 3, end > bodyStart, IRCBytes.isUTF8Continuation(bytes[end]) {
            end &-= 1
            backed &+= 1
        }
        return start..<end
    }

    @inlinable
    static func first(_ byte: UInt8, _ bytes: UnsafeRawBufferPointer, from: Int, to end: Int) -> Int? {
        var index = from
        while index < end {
            if bytes[index] == byte { return index }
            index &+= 1
        }
        return nil
    }
}
