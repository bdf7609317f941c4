import ChatProtocol
@testable import ChatDaemon
import Testing

@Suite("SessionInput")
struct SessionInputTests {
    func classify(_ bytes: [UInt8], loggedIn: Bool) -> SessionInput {
        bytes.withUnsafeBytes { SessionInput.classify($0, loggedIn: loggedIn) }
    }

    func classify(_ s: String, loggedIn: Bool) -> SessionInput { classify(Array(s.utf8), loggedIn: loggedIn) }

    func nameError(_ s: String) -> String {
        guard case .failure(let e) = Names.validateUsername(s) else { return "valid" }
        return e.description
    }

    @Test func firstFrameIsTheUsername() {
        #expect(classify("alice", loggedIn: false) == .username("alice"))
        #expect(classify("/join", loggedIn: false) == .badUsername(nameError("/join")))
        #expect(classify("", loggedIn: false) == .badUsername(nameError("")))
        #expect(classify("*root", loggedIn: false) == .badUsername(nameError("*root")))
        #expect(classify("two words", loggedIn: false) == .badUsername(nameError("two words")))
        #expect(classify(String(repeating: "a", count: 33), loggedIn: false) == .badUsername(nameError(String(repeating: "a", count: 33))))
        #expect(classify([0xFF], loggedIn: false) != .username("\u{FFFD}"))
        if case .badUsername = classify([0xFF], loggedIn: false) {} else { Issue.record("invalid UTF-8 accepted as a name") }
    }

    @Test func plainTextIsAMessage() {
        #expect(classify("hello world", loggedIn: true) == .message)
        #expect(classify("héllo", loggedIn: true) == .message)
        #expect(classify(" /not a command", loggedIn: true) == .message)
    }

    @Test func badMessages() {
        #expect(classify([UInt8](), loggedIn: true) == .badMessage("empty message"))
        #expect(classify([0x68, 0xC3], loggedIn: true) == .badMessage("message is not valid UTF-8"))
        #expect(classify([0xED, 0xA0, 0x80], loggedIn: true) == .badMessage("message is not valid UTF-8"))
    }

    @Test func slashCommands() {
        #expect(classify("/join rust", loggedIn: true) == .command(.join(room: "rust")))
        #expect(classify("/leave", loggedIn: true) == .command(.leave))
        #expect(classify("/who", loggedIn: true) == .command(.who))
        #expect(classify("//etc/passwd", loggedIn: true) == .command(.message("/etc/passwd")))
        #expect(classify("/msg bob hi", loggedIn: true) == .command(.privateMessage(to: "bob", text: "hi")))
        #expect(classify("/join rust", loggedIn: true) == .command(ChatCommand.parse("/join rust")))
        if case .command(.invalid) = classify("/frobnicate", loggedIn: true) {} else {
            Issue.record("unknown command not reported as invalid")
        }
    }
}
