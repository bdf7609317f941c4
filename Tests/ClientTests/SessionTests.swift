import Testing

@testable import chatd_client

@Suite("Session")
struct SessionTests {
    /// Feeds (sender, text) pairs as the server sends them: two frames per message.
    func feed(_ session: inout Session, _ pairs: [(String, String)]) -> [DisplayLine] {
        var lines: [DisplayLine] = []
        for (sender, text) in pairs {
            #expect(session.receive(sender) == nil)
            if let line = session.receive(text) { lines.append(line) }
        }
        return lines
    }

    @Test func classifiesByProtocolConventions() {
        #expect(MessageKind.classify(sender: "*", text: "bob joined #lobby") == (.notice, "bob joined #lobby"))
        #expect(MessageKind.classify(sender: "*", text: "error: bad") == (.error, "error: bad"))
        #expect(MessageKind.classify(sender: "bob", text: "(private) hi") == (.privateMessage, "(private) hi"))
        #expect(MessageKind.classify(sender: "bob", text: "/me waves") == (.action, "waves"))
        #expect(MessageKind.classify(sender: "bob", text: "/mere") == (.message, "/mere"))
    }

    @Test func historyReplayIsMarked() {
        var s = Session(username: "me")
        let lines = feed(&s, [
            ("*", "history: 2 messages in #lobby"), ("a", "one"), ("b", "/me two"),
            ("*", "end of history"), ("a", "live"),
        ])
        #expect(lines.map(\.replay) == [true, true, true, true, false])
        #expect(lines[2].kind == .action)
        #expect(lines[4].text == "live")
    }

    @Test func handshakeRejoinsLastRoom() {
        var s = Session(username: "me")
        #expect(s.handshake() == ["me"])
        #expect(s.input("/join #Rust", interactive: true) == .send("/join #Rust", echo: nil))
        #expect(s.room == "Rust")
        _ = feed(&s, [("*", "you joined #rust (2 members)")])
        #expect(s.room == "rust")
        #expect(s.handshake() == ["me", "/join rust"])
        _ = s.input("/leave", interactive: true)
        #expect(s.handshake() == ["me"])
    }

    @Test func loginRejectionIsDetected() {
        var s = Session(username: "taken")
        _ = s.handshake()
        _ = feed(&s, [("*", "error: username taken is taken")])
        #expect(s.loginRejection == "error: username taken is taken")
        _ = s.handshake()
        _ = feed(&s, [("*", "welcome"), ("*", "error: unknown command")])
        #expect(s.loginRejection == nil)
    }

    @Test func localCommandsAndEcho() {
        var s = Session(username: "me")
        #expect(s.input("", interactive: true) == .ignore)
        #expect(s.input("/help", interactive: true) == .showHelp)
        #expect(s.input("/quit", interactive: true) == .quit)
        #expect(s.input("hi", interactive: true)
            == .send("hi", echo: DisplayLine(sender: "me", text: "hi", kind: .message, own: true)))
        #expect(s.input("//slash", interactive: true)
            == .send("//slash", echo: DisplayLine(sender: "me", text: "/slash", kind: .message, own: true)))
        #expect(s.input("/me waves", interactive: true)
            == .send("/me waves", echo: DisplayLine(sender: "me", text: "waves", kind: .action, own: true)))
        // Scripting mode sends every line as is.
        #expect(s.input("/help", interactive: false) == .send("/help", echo: nil))
        #expect(s.input("/quit", interactive: false) == .send("/quit", echo: nil))
    }

    @Test func nickChangeAdoptedOnConfirmation() {
        var s = Session(username: "old")
        _ = s.input("/nick new", interactive: true)
        _ = feed(&s, [("*", "old is now known as new")])
        #expect(s.username == "new")
        _ = s.input("/nick taken", interactive: true)
        _ = feed(&s, [("*", "error: username taken is taken")])
        #expect(s.username == "new")
        #expect(s.pendingNick == nil)
    }

    @Test func backoffDoublesToCap() {
        var b = Backoff(initial: 0.25, cap: 5)
        let delays = (0..<8).map { _ in b.next(unit: 0.5) }
        #expect(delays[0] == 0.25)
        #expect(delays[1] == 0.5)
        #expect(delays[4] == 4)
        #expect(delays[5...].allSatisfy { $0 == 5 })
        b.reset()
        #expect(b.next(unit: 0.5) == 0.25)
        #expect(b.next(unit: 0.999) <= 0.6)
    }
}
