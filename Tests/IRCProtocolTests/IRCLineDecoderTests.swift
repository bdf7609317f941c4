import IRCProtocol
import Testing

@Suite("IRC line decoder")
struct IRCLineDecoderTests {
    @Test("CR LF and bare LF both end a line; empty lines are skipped")
    func endings() {
        let (events, _) = decodeAll(bytes("NICK a\r\n\r\n\nUSER u 0 * :r\n\r\nPING x\r\n"))
        #expect(events.map(\.text) == ["NICK a", "USER u 0 * :r", "PING x"])
        #expect(events.allSatisfy { $0.kind == "line" })
    }

    @Test("a line split over many reads comes out once, whole")
    func splitReads() {
        let stream = bytes("@time=x :n!u@h PRIVMSG #a :hello there\r\nQUIT\r\n")
        let whole = decodeAll(stream).events
        #expect(whole.map(\.text) == ["@time=x :n!u@h PRIVMSG #a :hello there", "QUIT"])
        #expect(decodeAll(stream, reads: Array(repeating: 1, count: stream.count)).events == whole)
        #expect(decodeAll(stream, reads: [3, 7, 20, 1, 2]).events == whole)
    }

    @Test("an unterminated line waits; a lone CR stays in the line for the parser to reject")
    func incomplete() {
        var decoder = IRCLineDecoder()
        let partial = bytes("PRIVMSG #a :hi\r")
        let step = partial.withUnsafeBytes { decoder.next($0) }
        #expect(step == IRCLineStep(event: .needMore, consumed: 0))
        let (events, _) = decodeAll(bytes("A\rB\n"))
        #expect(events == [DecodedEvent(kind: "line", text: "A\rB")])
    }

    @Test("a body of exactly 510 bytes passes, 511 is over-long and truncated")
    func bodyLimit() {
        let exact = "PRIVMSG #a :" + String(repeating: "x", count: 510 - 12)
        #expect(decodeAll(bytes(exact + "\r\n")).events == [DecodedEvent(kind: "line", text: exact)])
        #expect(decodeAll(bytes(exact + "\n")).events == [DecodedEvent(kind: "line", text: exact)])
        let over = exact + "y"
        let (events, _) = decodeAll(bytes(over + "\r\nPING z\r\n"))
        #expect(events == [DecodedEvent(kind: "overlong-body", text: exact), DecodedEvent(kind: "line", text: "PING z")])
    }

    @Test("truncation never splits a UTF-8 sequence")
    func truncationAtBoundary() {
        // 498 bytes of prefix + "é" repeated: byte 510 falls inside a two-byte character.
        let prefix = "PRIVMSG #a :" + String(repeating: "x", count: 487)
        let over = prefix + String(repeating: "é", count: 20)
        let (events, _) = decodeAll(bytes(over + "\n"))
        #expect(events.count == 1)
        #expect(events[0].kind == "overlong-body")
        let truncated = bytes(events[0].text)
        #expect(truncated.count == 509)
        #expect(String(validating: truncated, as: UTF8.self) != nil)
    }

    @Test("tags count separately: 8191 bytes of tags plus a 510-byte body is one line")
    func tagLimit() {
        let tag = "@k=" + String(repeating: "v", count: 8191 - 4) + " "
        #expect(tag.utf8.count == 8191)
        let body = "PRIVMSG #a :" + String(repeating: "x", count: 498)
        #expect(decodeAll(bytes(tag + body + "\r\n")).events == [DecodedEvent(kind: "line", text: tag + body)])
        let overTags = "@k=" + String(repeating: "v", count: 8191 - 3) + " "
        let (events, _) = decodeAll(bytes(overTags + body + "\r\nPING z\n"))
        #expect(events == [DecodedEvent(kind: "overlong-tags", text: ""), DecodedEvent(kind: "line", text: "PING z")])
    }

    @Test("a tags-only line is handed to the parser, not reported over-long")
    func tagsOnly() {
        #expect(decodeAll(bytes("@a=b\r\n")).events == [DecodedEvent(kind: "line", text: "@a=b")])
    }

    @Test("a hostile line without LF is reported once and never buffered past one line's limit")
    func unboundedLineIsDiscarded() {
        let decoder = IRCLineDecoder()
        let flood = [UInt8](repeating: 0x61, count: 200_000) + bytes("\nPING ok\n")
        let (events, maxBuffered) = decodeAll(flood, reads: Array(repeating: 4096, count: 100), decoder: decoder)
        #expect(events.map(\.kind) == ["overlong-body", "line"])
        #expect(events.last?.text == "PING ok")
        #expect(maxBuffered <= decoder.maxLineBytes + 4096)

        let tagFlood = bytes("@") + [UInt8](repeating: 0x61, count: 100_000) + bytes(" PING x\nPING ok\n")
        let tagged = decodeAll(tagFlood, reads: Array(repeating: 1000, count: 200), decoder: decoder)
        #expect(tagged.events.map(\.kind) == ["overlong-tags", "line"])
        #expect(tagged.events.last?.text == "PING ok")
        #expect(tagged.maxBuffered <= decoder.maxLineBytes + 1000)
    }

    @Test("the decoder reports discarding state and leaves it at the next LF")
    func discardingState() {
        var decoder = IRCLineDecoder(maxTagBytes: 16, maxBodyBytes: 8)
        let long = bytes("PRIVMSG #abc")
        let first = long.withUnsafeBytes { decoder.next($0) }
        #expect(first == IRCLineStep(event: .overlong(.body, truncated: 0..<8), consumed: long.count))
        #expect(decoder.discarding)
        let rest = bytes("def\nPING\n")
        let second = rest.withUnsafeBytes { decoder.next($0) }
        #expect(second == IRCLineStep(event: .line(4..<8), consumed: 9))
        #expect(!decoder.discarding)
    }
}
