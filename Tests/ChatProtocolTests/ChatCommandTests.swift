import ChatProtocol
import Testing

@Suite("Slash commands")
struct ChatCommandTests {
    static func parse(_ text: String) -> ChatInput { ChatCommand.parse(text) }

    @Test("plain text is a message, unchanged", arguments: ["hello", "", " /join x", "a/b", "\t/quit", "😀 /me"])
    func plainText(text: String) {
        #expect(Self.parse(text) == .message(text))
    }

    @Test("// escapes a leading slash")
    func doubleSlash() {
        #expect(Self.parse("//text") == .message("/text"))
        #expect(Self.parse("//") == .message("/"))
        #expect(Self.parse("///") == .message("//"))
        #expect(Self.parse("//join x") == .message("/join x"))
    }

    @Test(
        "every command",
        arguments: [
            ("/join rust", ChatInput.join(room: "rust")),
            ("/join #rust", .join(room: "rust")),
            ("/join  \trust \n", .join(room: "rust")),
            ("/leave", .leave), ("/rooms", .rooms), ("/who", .who), ("/help", .help), ("/quit", .quit),
            ("/quit\n", .quit), ("/who \r\n", .who),
            ("/nick bob", .nick("bob")),
            ("/nick *bob", .nick("*bob")),  // validated by the daemon, not here
            ("/msg bob hi", .privateMessage(to: "bob", text: "hi")),
            ("/msg bob   hello   world  ", .privateMessage(to: "bob", text: "hello   world  ")),
            ("/msg\tbob\thi\tthere", .privateMessage(to: "bob", text: "hi\tthere")),
            ("/me waves", .me("waves")),
            ("/me   waves  slowly ", .me("waves  slowly ")),
            ("/me \u{301}x", .me("\u{301}x")),
        ])
    func commands(text: String, expected: ChatInput) {
        #expect(Self.parse(text) == expected)
    }

    @Test("command names are case-insensitive", arguments: ["/JOIN x", "/Join x", "/jOiN x"])
    func caseInsensitive(text: String) {
        #expect(Self.parse(text) == .join(room: "x"))
        #expect(Self.parse("/LEAVE") == .leave)
        #expect(Self.parse("/MSG Bob Hi") == .privateMessage(to: "Bob", text: "Hi"))
    }

    @Test("arguments keep their case")
    func argumentCase() {
        #expect(Self.parse("/join #Rust") == .join(room: "Rust"))
        #expect(Self.parse("/nick Bob") == .nick("Bob"))
    }

    @Test(
        "usage errors",
        arguments: [
            ("/join", "usage: /join ROOM [KEY]"), ("/join   ", "usage: /join ROOM [KEY]"), ("/join a b c", "usage: /join ROOM [KEY]"),
            ("/leave now", "usage: /leave"), ("/rooms all", "usage: /rooms"), ("/who x", "usage: /who"),
            ("/help me", "usage: /help"), ("/quit bye", "usage: /quit"),
            ("/nick", "usage: /nick NAME"), ("/nick a b", "usage: /nick NAME"),
            ("/msg", "usage: /msg NAME TEXT"), ("/msg bob", "usage: /msg NAME TEXT"),
            ("/msg bob   ", "usage: /msg NAME TEXT"),
            ("/me", "usage: /me TEXT"), ("/me   ", "usage: /me TEXT"), ("/me\n", "usage: /me TEXT"),
        ])
    func usage(text: String, message: String) {
        #expect(Self.parse(text) == .invalid(message))
    }

    @Test("invalid room names are reported")
    func invalidRoom() {
        #expect(Self.parse("/join *x") == .invalid("invalid room name: must not start with '*'"))
        #expect(Self.parse("/join #") == .invalid("invalid room name: must be 1–32 bytes, got 0"))
        #expect(
            Self.parse("/join " + String(repeating: "r", count: 33))
                == .invalid("invalid room name: must be 1–32 bytes, got 33"))
    }

    @Test("unknown commands")
    func unknown() {
        #expect(Self.parse("/x") == .invalid("unknown command /x (try /help)"))
        #expect(Self.parse("/Dance now") == .invalid("unknown command /Dance (try /help)"))
        #expect(Self.parse("/joinx") == .invalid("unknown command /joinx (try /help)"))
        #expect(Self.parse("/join\u{A0}x") == .invalid("unknown command /join\u{A0}x (try /help)"))
        let long = "/" + String(repeating: "z", count: 1000)
        #expect(Self.parse(long) == .invalid("unknown command /\(String(repeating: "z", count: 32))… (try /help)"))
    }

    @Test("an empty command name", arguments: ["/", "/ join", "/\t"])
    func emptyName(text: String) {
        guard case .invalid(let message) = Self.parse(text) else {
            Issue.record("not invalid")
            return
        }
        #expect(message.hasPrefix("empty command"))
    }

    @Test("isCommand looks at the first byte only")
    func isCommand() {
        #expect(withBytes(bytes("/join x"), ChatCommand.isCommand))
        #expect(withBytes(bytes("//x"), ChatCommand.isCommand))
        #expect(!withBytes(bytes("hi /join"), ChatCommand.isCommand))
        #expect(!withBytes([], ChatCommand.isCommand))
    }

    @Test("help has a line for every command")
    func help() {
        for command in ["/join ", "/leave ", "/rooms ", "/who ", "/nick ", "/msg ", "/me ", "/help ", "/quit ", "//TEXT ", "/history "] {
            #expect(ChatCommand.helpText.contains { $0.hasPrefix(command) }, "\(command)")
        }
    }

    @Test("/history [N] and /history before SEQ [N]")
    func history() {
        #expect(ChatCommand.parse("/history") == .history(before: nil, limit: nil))
        #expect(ChatCommand.parse("/HISTORY  20 ") == .history(before: nil, limit: 20))
        #expect(ChatCommand.parse("/history before 81") == .history(before: 81, limit: nil))
        #expect(ChatCommand.parse("/history Before 81 10") == .history(before: 81, limit: 10))
        #expect(ChatCommand.parse("/history before 18446744073709551615 1") == .history(before: .max, limit: 1))
        // A count above Int.max trapped in Int(_:) (found by fuzz-command); it is clamped now.
        #expect(ChatCommand.parse("/history 17111111118811888118") == .history(before: nil, limit: .max))
        #expect(ChatCommand.parse("/history before 5 17111111118811888118") == .history(before: 5, limit: .max))
        #expect(ChatCommand.parse("/history @bob") == .privateHistory(with: "bob", before: nil, limit: nil))
        #expect(ChatCommand.parse("/history @Bob 5") == .privateHistory(with: "Bob", before: nil, limit: 5))
        #expect(ChatCommand.parse("/history @bob before 9 3") == .privateHistory(with: "bob", before: 9, limit: 3))
        let usage = ChatInput.invalid("usage: /history [@NAME] [N] or /history [@NAME] before SEQ [N]")
        for bad in ["/history @", "/history @bob 0", "/history @bob before", "/history @bob @carol", "/history 5 @bob",
                    "/history @bob before 5 3 4"] {
            #expect(ChatCommand.parse(bad) == usage, "\(bad)")
        }
        for bad in ["/history 0", "/history -1", "/history +5", "/history x", "/history 1 2", "/history before",
                    "/history before 0", "/history before x 3", "/history after 5 3", "/history before 5 3 4",
                    "/history 99999999999999999999", "/history before 5 0", "/history ５"] {
            #expect(ChatCommand.parse(bad) == usage, "\(bad)")
        }
    }
}
