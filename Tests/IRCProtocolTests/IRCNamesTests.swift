import IRCProtocol
import Testing

@Suite("IRC names, casemapping, CTCP")
struct IRCNamesTests {
    @Test("ascii folds only A-Z; rfc1459 also folds []\\~ to {}|^")
    func casemapping() {
        #expect(IRCCasemapping.ascii.fold("NiCk[]\\~É") == "nick[]\\~É")
        #expect(IRCCasemapping.rfc1459.fold("NiCk[]\\~É") == "nick{}|^É")
        #expect(IRCCasemapping.ascii.equals("Alice", "aLICE"))
        #expect(!IRCCasemapping.ascii.equals("a[", "a{"))
        #expect(IRCCasemapping.rfc1459.equals("a[", "A{"))
        #expect(IRCCasemapping.rfc1459.equals("a^", "a~"))
        #expect(!IRCCasemapping.ascii.equals("a", "ab"))
        for mapping in IRCCasemapping.allCases {
            for byte in UInt8(0)...255 { #expect(mapping.fold(mapping.fold(byte)) == mapping.fold(byte)) }
        }
        #expect(IRCCasemapping.ascii.isupportValue == "ascii")
    }

    @Test("nicks: IRC's forbidden characters and first characters; Unicode allowed")
    func nicks() {
        for good in ["alice", "Bob_", "a-b", "[x]", "{x}", "x|y", "9lives", "zoë", "👩‍💻", "a^b", "`a"] {
            #expect(IRCNames.validateNick(good) == .success(good), "\(good)")
        }
        let bad: [(String, IRCNameError)] = [
            ("", .empty), ("a b", .forbiddenCharacter(" ")), ("a,b", .forbiddenCharacter(",")),
            ("a*", .forbiddenCharacter("*")), ("a?", .forbiddenCharacter("?")), ("a!b", .forbiddenCharacter("!")),
            ("a@b", .forbiddenCharacter("@")), ("a.b", .forbiddenCharacter(".")), ("a\u{1}", .forbiddenCharacter("\u{1}")),
            ("a\u{7F}", .forbiddenCharacter("\u{7F}")),
            ("#a", .forbiddenFirstCharacter("#")), ("&a", .forbiddenFirstCharacter("&")), ("$a", .forbiddenFirstCharacter("$")),
            (":a", .forbiddenFirstCharacter(":")), ("@a", .forbiddenFirstCharacter("@")), ("+a", .forbiddenFirstCharacter("+")),
            ("%a", .forbiddenFirstCharacter("%")), ("~a", .forbiddenFirstCharacter("~")),
            (String(repeating: "a", count: 33), .tooLong(33)),
        ]
        for (nick, error) in bad {
            #expect(IRCNames.validateNick(nick) == .failure(error), "\(nick.debugDescription)")
        }
        #expect(IRCNames.validateNick("abcdef", maxBytes: 5) == .failure(.tooLong(6)))
    }

    @Test("channels: '#' prefix, no space, comma or BEL; the room name comes back without '#'")
    func channels() {
        #expect(IRCNames.validateChannel("#lobby") == .success("lobby"))
        #expect(IRCNames.validateChannel("#été") == .success("été"))
        #expect(IRCNames.validateChannel("##x") == .success("#x"))
        #expect(IRCNames.validateChannel("lobby") == .failure(.missingChannelPrefix))
        #expect(IRCNames.validateChannel("&local") == .failure(.missingChannelPrefix))
        #expect(IRCNames.validateChannel("#") == .failure(.empty))
        #expect(IRCNames.validateChannel("") == .failure(.empty))
        #expect(IRCNames.validateChannel("#a b") == .failure(.forbiddenCharacter(" ")))
        #expect(IRCNames.validateChannel("#a,b") == .failure(.forbiddenCharacter(",")))
        #expect(IRCNames.validateChannel("#a\u{7}") == .failure(.forbiddenCharacter("\u{7}")))
        #expect(IRCNames.validateChannel("#" + String(repeating: "a", count: 50)) == .failure(.tooLong(51)))
        #expect(IRCNames.channel(forRoom: "lobby") == "#lobby")
    }

    @Test("masks, source nicks and USER names")
    func masks() {
        #expect(IRCNames.mask(nick: "alice", user: "alice", host: "framed") == "alice!alice@framed")
        #expect(IRCNames.nick(ofSource: "alice!a@h") == "alice")
        #expect(IRCNames.nick(ofSource: "irc.server") == "irc.server")
        #expect(IRCNames.sanitizeUser("~We!rd@user.name_1") == "Werduser.name_1")
        #expect(IRCNames.sanitizeUser("@@@") == "user")
        #expect(IRCNames.sanitizeUser(String(repeating: "x", count: 40)).utf8.count == 16)
    }

    @Test("CTCP ACTION both ways; other CTCP parsed; plain text is not CTCP")
    func ctcp() {
        #expect(CTCP.actionText("\u{1}ACTION waves\u{1}") == "waves")
        #expect(CTCP.actionText("\u{1}ACTION waves") == "waves")
        #expect(CTCP.actionText("\u{1}ACTION\u{1}") == "")
        #expect(CTCP.actionText("\u{1}ACTION  two  spaces \u{1}") == " two  spaces ")
        #expect(CTCP.actionText("ACTION waves") == nil)
        #expect(CTCP.actionText("\u{1}VERSION\u{1}") == nil)
        #expect(CTCP.actionText("\u{1}ACTIONS x\u{1}") == nil)
        #expect(CTCP.parse("\u{1}VERSION\u{1}").map { [String($0.command), String($0.parameter)] } == ["VERSION", ""])
        #expect(CTCP.parse("\u{1}PING 123 456\u{1}").map { [String($0.command), String($0.parameter)] } == ["PING", "123 456"])
        #expect(CTCP.parse("hello") == nil)
        #expect(CTCP.action("waves") == "\u{1}ACTION waves\u{1}")
        #expect(CTCP.action("a\u{1}b") == "\u{1}ACTION a b\u{1}")
        #expect(CTCP.actionText(CTCP.action("dances 💃")) == "dances 💃")
    }
}
