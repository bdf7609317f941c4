import IRCProtocol
import Testing

@Suite("IRC message writing")
struct IRCMessageWriteTests {
    @Test("a ':' goes before the last parameter only when it needs one")
    func trailingColon() {
        #expect(wire(IRCMessage(command: "PRIVMSG", params: ["#a", "hello"])) == "PRIVMSG #a hello")
        #expect(wire(IRCMessage(command: "PRIVMSG", params: ["#a", "hello world"])) == "PRIVMSG #a :hello world")
        #expect(wire(IRCMessage(command: "PRIVMSG", params: ["#a", ":)"])) == "PRIVMSG #a ::)")
        #expect(wire(IRCMessage(command: "AWAY", params: [""])) == "AWAY :")
        #expect(wire(IRCMessage(source: "srv", command: "001", params: ["n", "Welcome"])) == ":srv 001 n Welcome")
    }

    @Test("tags are escaped; empty values are written without '='")
    func tags() {
        let message = IRCMessage(
            tags: [IRCTag("time", "2026-01-01T00:00:00.000Z"), IRCTag("a", "x;y z\\\r\n"), IRCTag("+c")],
            source: "n!u@h", command: "PRIVMSG", params: ["#a", "hi"])
        #expect(wire(message) == #"@time=2026-01-01T00:00:00.000Z;a=x\:y\sz\\\r\n;+c :n!u@h PRIVMSG #a hi"#)
    }

    @Test("CR, LF or NUL anywhere, bad middle parameters, keys, sources and commands are rejected and the buffer is left alone")
    func rejects() {
        let cases: [(IRCMessage, IRCWriteError)] = [
            (IRCMessage(command: "PRIVMSG", params: ["#a", "x\r\nQUIT"]), .invalidParam(index: 1)),
            (IRCMessage(command: "PRIVMSG", params: ["#a", "x\0"]), .invalidParam(index: 1)),
            (IRCMessage(command: "PRIVMSG", params: ["#a b", "x"]), .invalidParam(index: 0)),
            (IRCMessage(command: "PRIVMSG", params: ["", "x"]), .invalidParam(index: 0)),
            (IRCMessage(command: "PRIVMSG", params: [":a", "x"]), .invalidParam(index: 0)),
            (IRCMessage(tags: [IRCTag("bad key")], command: "PING"), .invalidTagKey("bad key")),
            (IRCMessage(tags: [IRCTag("k", "a\0")], command: "PING"), .invalidTagValue(key: "k")),
            (IRCMessage(source: "a b", command: "PING"), .invalidSource),
            (IRCMessage(source: "", command: "PING"), .invalidSource),
            (IRCMessage(command: "PING\r\n"), .invalidCommand),
            (IRCMessage(command: "12"), .invalidCommand),
            (IRCMessage(command: ""), .invalidCommand),
            (IRCMessage(command: "PRIVMSG", params: ["#a", String(repeating: "x", count: 500)]), .tooLong(.body)),
            (IRCMessage(tags: [IRCTag("k", String(repeating: "v", count: 8188))], command: "PING"), .tooLong(.tags)),
        ]
        for (message, expected) in cases {
            var buffer = bytes("kept")
            #expect(throws: expected) { try message.write(into: &buffer) }
            #expect(buffer == bytes("kept"))
        }
        // The largest allowed: 8191 bytes of tags, 510 of body.
        let tags = IRCMessage(tags: [IRCTag("k", String(repeating: "v", count: 8187))], command: "PING")
        #expect(throws: Never.self) { try tags.serialized() }
        let body = IRCMessage(command: "PRIVMSG", params: ["#a", String(repeating: "x", count: 510 - 12)])
        #expect(throws: Never.self) { try body.serialized() }
    }

    @Test("writing appends to what the buffer already holds")
    func appends() throws {
        var buffer = bytes("PING a\r\n")
        try IRCMessage(command: "PONG", params: ["b"]).write(into: &buffer)
        #expect(buffer == bytes("PING a\r\nPONG b\r\n"))
    }

    @Test("parse(write(m)) == m for parsed lines, including escapes, colons and duplicates")
    func roundTrip() throws {
        let lines = [
            "@a=1;b;+c=x\\sy;a=2 :nick!user@host PRIVMSG #chan :hello world",
            "PRIVMSG #a ::)",
            "CAP * LS :multi-prefix sasl",
            "@k=\\\\\\:\\r\\n PING tok",
            "001 me :Welcome",
            ":srv 353 me = #a :@op +voice plain",
            "mode #a +o nick",
            "AWAY :",
        ]
        for line in lines {
            let message = try IRCMessage.parse(line)
            let again = try IRCMessage.parse(try message.serialized().dropLast(2).map { $0 })
            #expect(again == message, "\(line)")
        }
    }

    @Test("description shows the line as sent")
    func description() {
        #expect(IRCMessage(source: "s", command: "PONG", params: ["s", "t"]).description == ":s PONG s t")
    }
}
