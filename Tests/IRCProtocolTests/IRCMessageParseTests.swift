import IRCProtocol
import Testing

@Suite("IRC message parsing")
struct IRCMessageParseTests {
    @Test("the Modern IRC examples parse into tags, source, command and parameters")
    func examples() throws {
        let privmsg = try IRCMessage.parse(":dan!d@localhost PRIVMSG #chan :Hey what's up!")
        #expect(privmsg == IRCMessage(source: "dan!d@localhost", command: "PRIVMSG", params: ["#chan", "Hey what's up!"]))

        let cap = try IRCMessage.parse("CAP REQ :sasl message-tags foo")
        #expect(cap.params == ["REQ", "sasl message-tags foo"])

        let user = try IRCMessage.parse("USER u 0 * :Real Name")
        #expect(user.params == ["u", "0", "*", "Real Name"])

        let tagged = try IRCMessage.parse("@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!")
        #expect(tagged.tags == [IRCTag("id", "234AB")])

        let numeric = try IRCMessage.parse(":irc.example.com 001 dan :Welcome")
        #expect(numeric.command == "001" && numeric.params == ["dan", "Welcome"])
    }

    @Test("trailing parameter: empty, with spaces, with a leading colon; middle parameters end at spaces")
    func trailing() throws {
        #expect(try IRCMessage.parse("AWAY :").params == [""])
        #expect(try IRCMessage.parse("PRIVMSG #a ::)").params == ["#a", ":)"])
        #expect(try IRCMessage.parse("PRIVMSG #a hello").params == ["#a", "hello"])
        #expect(try IRCMessage.parse("PRIVMSG   #a    :x  y ").params == ["#a", "x  y "])
        #expect(try IRCMessage.parse("QUIT").params.isEmpty)
        #expect(try IRCMessage.parse("PING x   ").params == ["x"])
    }

    @Test("tag values are unescaped per message-tags; duplicates keep the last value")
    func tagEscaping() throws {
        let message = try IRCMessage.parse(#"@a=x\:y\sz\\w\r\n;b=\q\;c=;+client/tag=1;vendor.example/k=2;a=last PING"#)
        #expect(message.tags == [
            IRCTag("a", "last"), IRCTag("b", "q"), IRCTag("c"), IRCTag("+client/tag", "1"),
            IRCTag("vendor.example/k", "2"),
        ])
        let escaped = try IRCMessage.parse(#"@a=x\:y\sz\\w\r\n PING"#)
        #expect(escaped.tag("a") == "x;y z\\w\r\n")
        #expect(escaped.tag("missing") == nil)
        #expect(message.tags[3].isClientOnly && !message.tags[0].isClientOnly)
    }

    @Test("malformed lines give typed errors")
    func errors() {
        #expect(throws: IRCParseError.empty) { try IRCMessage.parse("   ") }
        #expect(throws: IRCParseError.malformedTags) { try IRCMessage.parse("@a=b") }
        #expect(throws: IRCParseError.missingCommand) { try IRCMessage.parse("@a=b  ") }
        #expect(throws: IRCParseError.malformedTags) { try IRCMessage.parse("@=b PING") }
        #expect(throws: IRCParseError.malformedTags) { try IRCMessage.parse("@a_b=1 PING") }
        #expect(throws: IRCParseError.malformedTags) { try IRCMessage.parse("@+ PING") }
        #expect(throws: IRCParseError.malformedTags) { try IRCMessage.parse("@/k PING") }
        #expect(throws: IRCParseError.missingCommand) { try IRCMessage.parse(": PING") }
        #expect(throws: IRCParseError.missingCommand) { try IRCMessage.parse(":server") }
        #expect(throws: IRCParseError.invalidCommand) { try IRCMessage.parse("PRIV-MSG #a") }
        #expect(throws: IRCParseError.invalidCommand) { try IRCMessage.parse("01 x") }
        #expect(throws: IRCParseError.invalidCommand) { try IRCMessage.parse("1234 x") }
        #expect(throws: IRCParseError.forbiddenByte(0)) { try IRCMessage.parse([0x50, 0x00, 0x20]) }
        #expect(throws: IRCParseError.forbiddenByte(0x0D)) { try IRCMessage.parse("PRIVMSG #a :a\rb") }
    }

    @Test("invalid UTF-8 is rejected naming the command, or replaced when asked")
    func invalidUTF8() throws {
        let line = bytes("PRIVMSG #a :caf") + [0xE9]
        #expect(throws: IRCParseError.invalidUTF8(command: "PRIVMSG")) { try IRCMessage.parse(line) }
        let replaced = try IRCMessage.parse(line, invalidUTF8: .replace)
        #expect(replaced.params == ["#a", "caf\u{FFFD}"])
        #expect(throws: IRCParseError.invalidUTF8(command: "NICK")) { try IRCMessage.parse(bytes("@a=") + [0xFF] + bytes(" NICK x")) }
        #expect(throws: IRCParseError.invalidUTF8(command: "123")) { try IRCMessage.parse(bytes(":") + [0xFF] + bytes(" 123 x")) }
        #expect(throws: IRCParseError.invalidCommand) { try IRCMessage.parse(bytes(":") + [0xFF] + bytes(" 12 x")) }
        #expect(throws: IRCParseError.invalidCommand) { try IRCMessage.parse([0xFF, 0x20, 0x78]) }
        #expect(try IRCMessage.parse("PRIVMSG #é :ünïcödé 👋").params == ["#é", "ünïcödé 👋"])
    }

    @Test("commands compare case-insensitively; verb is upper case")
    func commandCase() throws {
        let message = try IRCMessage.parse("privmsg #a :x")
        #expect(message.isCommand("PRIVMSG") && !message.isCommand("NOTICE") && !message.isCommand("PRIVMS"))
        #expect(message.verb == "PRIVMSG" && message.command == "privmsg")
    }
}
