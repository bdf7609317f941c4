/// IRC lines (RFC 1459 §2.3.1, modern.ircdocs.horse "Messages"):
///
///     [ "@" tags SPACE ] [ ":" source SPACE ] command { SPACE param } [ SPACE ":" trailing ] CRLF
///
/// A delivery is `PRIVMSG <target> :<text>`; PING is answered with PONG (a server closes a
/// client that does not); every other line (numerics, JOIN, NOTICE, …) is a notice.
extension StreamDecoder {
    /// Longest line accepted, tags included: IRCv3 allows 8,191 bytes of tags plus the 512-byte
    /// message. A longer unterminated line is a protocol error, not unbounded buffering.
    public static let ircMaxLine = 8191 + 512

    @inlinable
    mutating func parseIRC(_ bytes: UnsafeRawBufferPointer, _ delivery: (UnsafeRawBufferPointer) -> Void) -> Outcome {
        var start = 0
        var i = 0
        let n = bytes.count
        while i < n {
            if bytes[i] == 10 {
                var end = i
                if end > start && bytes[end - 1] == 13 { end -= 1 }
                ircLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), delivery)
                start = i &+ 1
            }
            i &+= 1
        }
        return n - start > Self.ircMaxLine ? .protocolError : .consumed(start)
    }

    @inlinable
    mutating func ircLine(_ line: UnsafeRawBufferPointer, _ delivery: (UnsafeRawBufferPointer) -> Void) {
        switch Self.ircCommand(line) {
        case .privmsg(let text):
            delivery(text)
        case .ping(let token):
            replies.append(contentsOf: "PONG".utf8)
            replies.append(contentsOf: token)
            replies.append(contentsOf: [13, 10])
        case .other:
            if !line.isEmpty { notices &+= 1 }
        }
    }

    public enum IRCLine {
        /// The text of a PRIVMSG (its last parameter).
        case privmsg(UnsafeRawBufferPointer)
        /// PING's parameters exactly as sent, leading space included, for the PONG.
        case ping(UnsafeRawBufferPointer)
        case other
    }

    /// Classifies one line (without its CRLF).
    @inlinable
    public static func ircCommand(_ line: UnsafeRawBufferPointer) -> IRCLine {
        let n = line.count
        var i = 0
        // Tags, then source: each runs to the next space.
        if i < n && line[i] == UInt8(ascii: "@") { i = skipWord(line, i) }
        if i < n && line[i] == UInt8(ascii: ":") { i = skipWord(line, i) }
        let rest = UnsafeRawBufferPointer(rebasing: line[i...])
        if hasPrefix(rest, "PRIVMSG ") {
            // The target, then the text: the trailing parameter after " :", or a single word.
            let afterTarget = skipWord(line, skipSpaces(line, i &+ 8))
            guard afterTarget < n else { return .other }
            if line[afterTarget] == UInt8(ascii: ":") {
                return .privmsg(UnsafeRawBufferPointer(rebasing: line[(afterTarget &+ 1)...]))
            }
            var end = afterTarget
            while end < n && line[end] != 32 { end &+= 1 }
            return .privmsg(UnsafeRawBufferPointer(rebasing: line[afterTarget..<end]))
        }
        if hasPrefix(rest, "PING") && (rest.count == 4 || rest[4] == 32) {
            return .ping(UnsafeRawBufferPointer(rebasing: rest[4...]))
        }
        return .other
    }

    /// Index after the word starting at `i` and the spaces that follow it.
    @inlinable
    static func skipWord(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int {
        var j = i
        while j < b.count && b[j] != 32 { j &+= 1 }
        return skipSpaces(b, j)
    }

    @inlinable
    static func skipSpaces(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int {
        var j = i
        while j < b.count && b[j] == 32 { j &+= 1 }
        return j
    }
}
