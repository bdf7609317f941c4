import ChatProtocol
import Testing

@Suite("Account commands")
struct AccountCommandTests {
    @Test(
        "register and login take the rest of the message as the password",
        arguments: [
            ("/register hunter22", ChatInput.account(.register(password: "hunter22"))),
            ("/REGISTER correct horse battery", .account(.register(password: "correct horse battery"))),
            ("/login  \tpass word ", .account(.login(password: "pass word "))),
            ("/Login p\u{301}ässwörd", .account(.login(password: "p\u{301}ässwörd"))),
        ])
    func parses(text: String, expected: ChatInput) {
        #expect(ChatCommand.parse(text) == expected)
    }

    @Test("a missing password is a usage error", arguments: ["/register", "/login", "/login   ", "/register\t"])
    func usage(text: String) {
        let name = text.dropFirst().prefix { $0 != " " && $0 != "\t" }.lowercased()
        #expect(ChatCommand.parse(text) == .invalid("usage: /\(name) PASSWORD"))
    }

    @Test("no description of the command shows the password")
    func passwordHidden() {
        let input = ChatCommand.parse("/login hunter22-secret")
        for text in ["\(input)", String(reflecting: input), String(describing: [input]), "\(AccountCommand.register(password: "hunter22-secret"))"] {
            #expect(!text.contains("hunter22"), "\(text)")
        }
    }

    @Test("help lists both")
    func help() {
        #expect(ChatCommand.helpText.contains { $0.hasPrefix("/register PASSWORD") })
        #expect(ChatCommand.helpText.contains { $0.hasPrefix("/login PASSWORD") })
    }
}
