import BenchCore
import Testing

/// The irc adapter: registration and PRIVMSG bytes, and lines from real servers' layouts
/// (ngIRCd's and the modern.ircdocs.horse examples), split at every byte.
@Suite struct IRCAdapterTests {
    @Test func helloRegistersThenJoinsTheRoomsChannel() {
        let a = Adapter(.irc)
        #expect(a.hello(name: "b1", room: nil, isSender: false) == Array("NICK b1\r\nUSER b1 0 * :chatd-bench\r\nJOIN #bench\r\n".utf8))
        #expect(a.hello(name: "b7", room: "r2", isSender: true) == Array("NICK b7\r\nUSER b7 0 * :chatd-bench\r\nJOIN #r2\r\n".utf8))
        #expect(a.senderReceives && a.supportsRooms)
    }

    @Test func messageIsPrivmsgToTheChannel() {
        let a = Adapter(.irc)
        #expect(a.message(Array("hello".utf8)) == Array("PRIVMSG #bench :hello\r\n".utf8))
        #expect(a.messageLength(payloadSize: 5, room: nil) == a.message(Array("hello".utf8)).count)
        #expect(a.messageLength(payloadSize: 40, room: "r12") == a.message([UInt8](repeating: 0x2E, count: 40), room: "r12").count)
    }

    func parse(_ wire: String, splitAt: Int? = nil) -> (texts: [String], notices: Int, replies: String, rest: Int)? {
        let bytes = Array(wire.utf8)
        var d = StreamDecoder(.irc)
        var texts: [String] = []
        var pending: [UInt8] = []
        var replies: [UInt8] = []
        let chunks: [[UInt8]] = splitAt.map { [Array(bytes[..<$0]), Array(bytes[$0...])] } ?? [bytes]
        for chunk in chunks {
            pending += chunk
            let outcome = pending.withUnsafeBytes { d.parse($0) { texts.append(String(decoding: $0, as: UTF8.self)) } }
            guard case .consumed(let n) = outcome else { return nil }
            pending.removeFirst(n)
            replies += d.replies
            d.replies.removeAll()
        }
        return (texts, d.notices, String(decoding: replies, as: UTF8.self), pending.count)
    }

    @Test func findsPrivmsgTextsAmongServerLines() throws {
        let wire =
            ":irc.example.net 001 b1 :Welcome to the Internet Relay Network b1!~b1@localhost\r\n"
            + ":b1!~b1@localhost JOIN :#bench\r\n"
            + ":irc.example.net 353 b1 = #bench :b1 @b0\r\n"
            + ":irc.example.net 366 b1 #bench :End of NAMES list\r\n"
            + ":b0!~b0@localhost PRIVMSG #bench :@BM hello: with colons and  spaces\r\n"
            + "@time=2026-12-01T03:00:00.000Z;msgid=x :b2!u@h PRIVMSG #bench :tagged\r\n"
            + ":b3!u@h PRIVMSG #bench word\n"
            + ":b3!u@h NOTICE #bench :not a delivery\r\n"
            + ":b4!u@h PRIVMSG #bench :"  // incomplete: kept for the next read
        let r = try #require(parse(wire))
        #expect(r.texts == ["@BM hello: with colons and  spaces", "tagged", "word"])
        #expect(r.notices == 5)
        #expect(r.rest == ":b4!u@h PRIVMSG #bench :".utf8.count)
        for cut in 0...wire.utf8.count {
            #expect(parse(wire, splitAt: cut)?.texts == ["@BM hello: with colons and  spaces", "tagged", "word"])
        }
    }

    @Test func answersPingWithPong() throws {
        let r = try #require(parse("PING :irc.example.net\r\n:srv PING tok\r\nPINGX\r\n"))
        #expect(r.replies == "PONG :irc.example.net\r\nPONG tok\r\n")
        #expect(r.texts.isEmpty && r.notices == 1)
    }

    @Test func emptyTextAndMissingTextAreNotConfused() throws {
        let r = try #require(parse(":a!b@c PRIVMSG #bench :\r\n:a!b@c PRIVMSG #bench\r\n\r\n"))
        #expect(r.texts == [""])
        #expect(r.notices == 1)
    }

    @Test func overlongLineIsAProtocolError() {
        var d = StreamDecoder(.irc)
        let long = [UInt8](repeating: 0x41, count: StreamDecoder.ircMaxLine + 1)
        #expect(long.withUnsafeBytes { d.parse($0) { _ in } } == .protocolError)
        var ok = StreamDecoder(.irc)
        let fits = [UInt8](repeating: 0x41, count: StreamDecoder.ircMaxLine)
        #expect(fits.withUnsafeBytes { ok.parse($0) { _ in } } == .consumed(0))
    }
}
