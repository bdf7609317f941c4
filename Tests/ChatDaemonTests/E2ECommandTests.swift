// Issue 3: every slash command, and the notices they cause, end to end over real sockets,
// with the exact frames each party receives.

import ChatProtocol
@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E commands") struct E2ECommandTests {
    @Test func plainMessagesGoToEveryoneElseInTheRoomOnly() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["a", "b", "c"])
        try c[0].send(frame: "hello all")
        #expect(c[1].receive() == Msg("a", "hello all"))
        #expect(c[2].receive() == Msg("a", "hello all"))
        #expect(c[0].drain(for: 0.2) == [], "a message is never echoed to its sender")
    }

    @Test func joinAndLeaveWithNotices() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob", "carol"])
        let (alice, bob, carol) = (c[0], c[1], c[2])

        try alice.send(frame: "/join rust")
        #expect(alice.receive() == .notice("you joined #rust (1 members)"))
        #expect(bob.receive() == .notice("alice left #lobby"))
        #expect(carol.receive() == .notice("alice left #lobby"))

        try bob.send(frame: "/join #Rust")  // '#' prefix and case are accepted; the room keeps its first spelling
        #expect(bob.receive() == .notice("you joined #rust (2 members)"))
        #expect(alice.receive() == .notice("bob joined #rust"))
        #expect(carol.receive() == .notice("bob left #lobby"))

        // Rooms are separate.
        try alice.send(frame: "in rust")
        #expect(bob.receive() == Msg("alice", "in rust"))
        try carol.send(frame: "in lobby")
        #expect(alice.drain(for: 0.2) == [])
        #expect(bob.drain(for: 0) == [])

        try bob.send(frame: "/join rust")
        #expect(bob.receive() == .notice("you are already in #rust"))

        try bob.send(frame: "/leave")
        #expect(bob.receive() == .notice("you joined #lobby (2 members)"))
        #expect(alice.receive() == .notice("bob left #rust"))
        #expect(carol.receive() == .notice("bob joined #lobby"))

        try bob.send(frame: "/leave")
        #expect(bob.receive() == .notice("you are in #lobby; /quit to leave the server"))

        // A disconnect is announced in the room the client was in.
        alice.close()
        #expect(bob.drain(for: 0.3) == [])
        #expect(carol.drain(for: 0) == [])
        try bob.send(frame: "/join rust")
        #expect(bob.receive() == .notice("you joined #rust (1 members)"), "alice's leave emptied #rust")
    }

    @Test func disconnectNoticeGoesToTheRoom() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["x", "y", "z"])
        try c[0].send(frame: "/join den")
        #expect(c[0].receive() == .notice("you joined #den (1 members)"))
        #expect(c[1].receive() == .notice("x left #lobby"))
        try c[1].send(frame: "/join den")
        #expect(c[1].receive() == .notice("you joined #den (2 members)"))
        #expect(c[0].receive() == .notice("y joined #den"))
        #expect(c[2].receive(count: 2) == [.notice("x left #lobby"), .notice("y left #lobby")])
        c[1].close()
        #expect(c[0].receive() == .notice("y disconnected"))
        #expect(c[2].drain(for: 0.2) == [])
    }

    @Test func roomsAndWho() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["bob", "alice", "Zed"])
        try c[0].send(frame: "/who")
        #expect(c[0].receive() == .notice("in #lobby: Zed, alice, bob"))
        try c[2].send(frame: "/join zoo")
        #expect(c[2].receive() == .notice("you joined #zoo (1 members)"))
        #expect(c[1].receive() == .notice("Zed left #lobby"))
        #expect(c[0].receive() == .notice("Zed left #lobby"))
        try c[1].send(frame: "/join apple")
        #expect(c[1].receive() == .notice("you joined #apple (1 members)"))
        #expect(c[0].receive() == .notice("alice left #lobby"))
        try c[0].send(frame: "/rooms")
        #expect(c[0].receive() == .notice("rooms: #apple (1), #lobby (1), #zoo (1)"))
        try c[1].send(frame: "/who")
        #expect(c[1].receive() == .notice("in #apple: alice"))
        // An emptied room without history disappears.
        try c[1].send(frame: "/leave")
        #expect(c[1].receive() == .notice("you joined #lobby (2 members)"))
        #expect(c[0].receive() == .notice("alice joined #lobby"))
        try c[1].send(frame: "/rooms")
        #expect(c[1].receive() == .notice("rooms: #lobby (2), #zoo (1)"))
    }

    @Test func nickRenamesAndAnnounces() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob", "carol"])
        try c[2].send(frame: "/join elsewhere")
        #expect(c[2].receive() == .notice("you joined #elsewhere (1 members)"))
        #expect(c[0].receive() == .notice("carol left #lobby"))
        #expect(c[1].receive() == .notice("carol left #lobby"))

        try c[0].send(frame: "/nick Alicia")
        // Everyone in the room, the renamed client included, sees the notice; other rooms do not.
        #expect(c[0].receive() == .notice("alice is now known as Alicia"))
        #expect(c[1].receive() == .notice("alice is now known as Alicia"))
        #expect(c[2].drain(for: 0.2) == [])
        try c[0].send(frame: "as Alicia")
        #expect(c[1].receive() == Msg("Alicia", "as Alicia"))
        try c[1].send(frame: "/who")
        #expect(c[1].receive() == .notice("in #lobby: Alicia, bob"))

        // Taken (case-insensitively), invalid, usage: error, connection kept, name unchanged.
        try c[0].send(frame: "/nick BOB")
        #expect(c[0].receive() == .notice("error: username BOB is taken"))
        try c[0].send(frame: "/nick Carol")
        #expect(c[0].receive() == .notice("error: username Carol is taken"), "names are unique across rooms")
        try c[0].send(frame: "/nick *root")
        #expect(c[0].receive() == .notice("error: username must not start with '*'"))
        try c[0].send(frame: "/nick " + String(repeating: "x", count: 33))
        #expect(c[0].receive() == .notice("error: username must be 1–32 bytes, got 33"))
        try c[0].send(frame: "/nick")
        #expect(c[0].receive() == .notice("error: usage: /nick NAME"))
        try c[0].send(frame: "/nick two names")
        #expect(c[0].receive() == .notice("error: usage: /nick NAME"))
        #expect(c[1].drain(for: 0.2) == [])

        // Changing only the case of one's own name is allowed.
        try c[0].send(frame: "/nick ALICIA")
        #expect(c[0].receive() == .notice("Alicia is now known as ALICIA"))
        #expect(c[1].receive() == .notice("Alicia is now known as ALICIA"))

        // The old name is free again.
        let newAlice = try E2EClient.login(port: d.port, name: "alice")
        #expect(c[1].receive() == .notice("alice joined #lobby"))
        newAlice.close()
    }

    @Test func privateMessages() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob", "carol"])
        try c[1].send(frame: "/join far")
        #expect(c[1].receive() == .notice("you joined #far (1 members)"))
        _ = c[0].receive()
        _ = c[2].receive()

        try c[0].send(frame: "/msg BOB psst, over here ✓")  // name lookup is case-insensitive; rooms do not matter
        #expect(c[1].receive() == Msg("alice", "(private) psst, over here ✓"))
        #expect(c[0].receive() == .notice("(private to bob) psst, over here ✓"))
        #expect(c[2].drain(for: 0.2) == [], "nobody else sees a private message")

        try c[0].send(frame: "/msg nobody hi")
        #expect(c[0].receive() == .notice("error: no such user: nobody"))
        try c[0].send(frame: "/msg bob")
        #expect(c[0].receive() == .notice("error: usage: /msg NAME TEXT"))
        try c[0].send(frame: "/msg")
        #expect(c[0].receive() == .notice("error: usage: /msg NAME TEXT"))
    }

    @Test func meAndDoubleSlash() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        try c[0].send(frame: "/me waves")
        #expect(c[1].receive() == Msg("alice", "/me waves"))
        try c[0].send(frame: "//join is not a command here")
        #expect(c[1].receive() == Msg("alice", "/join is not a command here"))
        try c[0].send(frame: "//")
        #expect(c[1].receive() == Msg("alice", "/"))
        try c[0].send(frame: "/me")
        #expect(c[0].receive() == .notice("error: usage: /me TEXT"))
        #expect(c[0].drain(for: 0.2) == [])
        #expect(c[1].drain(for: 0) == [])
    }

    @Test func help() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        try c[0].send(frame: "/help")
        let lines = c[0].receive(count: 15)
        #expect(lines?.allSatisfy(\.isNotice) == true)
        let commands = lines?.map { String($0.text.split(separator: " ").first ?? "") }
        #expect(commands == ["/join", "/leave", "/rooms", "/who", "/nick", "/msg", "/me", "/history", "/history", "/history", "/register", "/login", "/help", "/quit", "//TEXT"])
        // Then the moderation commands.
        #expect(c[0].receive(count: ModerationCommand.helpText.count)?.map(\.text) == ModerationCommand.helpText)
        #expect(c[0].drain(for: 0.2) == [])
        #expect(c[1].drain(for: 0) == [])
    }

    @Test func quit() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        try c[0].send(frames: ["/quit", "after quit: never delivered"])
        #expect(c[0].expectClosed())
        #expect(c[0].partial == [.notice("bye")])
        #expect(c[1].receive() == .notice("alice disconnected"))
        #expect(c[1].drain(for: 0.2) == [])
        let again = try E2EClient.login(port: d.port, name: "alice")
        #expect(c[1].receive() == .notice("alice joined #lobby"))
        again.close()
    }

    @Test("unknown commands and usage errors keep the connection", arguments: [
        ("/foo", "error: unknown command /foo (try /help)"),
        ("/FOO bar baz", "error: unknown command /FOO (try /help)"),
        ("/", "error: empty command (try /help; send //text for a message starting with /)"),
        ("/ join", "error: empty command (try /help; send //text for a message starting with /)"),
        ("/join", "error: usage: /join ROOM [KEY]"),
        ("/join a b c", "error: usage: /join ROOM [KEY]"),
        ("/join /x", "error: invalid room name: must not start with '/'"),
        ("/join " + String(repeating: "r", count: 33), "error: invalid room name: must be 1–32 bytes, got 33"),
        ("/leave now", "error: usage: /leave"),
        ("/rooms all", "error: usage: /rooms"),
        ("/who is there", "error: usage: /who"),
        ("/help me", "error: usage: /help"),
        ("/quit now", "error: usage: /quit"),
    ])
    func commandErrors(_ input: String, _ expected: String) throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        try c[0].send(frame: input)
        #expect(c[0].receive() == .notice(expected))
        try c[0].send(frame: "still connected")
        #expect(c[1].receive() == Msg("alice", "still connected"))
        #expect(c[1].drain(for: 0.1) == [])
    }

    @Test func commandNamesAreCaseInsensitive() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        try c[0].send(frame: "/JOIN Rust")
        #expect(c[0].receive() == .notice("you joined #Rust (1 members)"))
        #expect(c[1].receive() == .notice("alice left #lobby"))
        try c[0].send(frame: "/Who")
        #expect(c[0].receive() == .notice("in #Rust: alice"))
    }

    // MARK: names across loops

    @Test func nickCollisionAcrossLoops() throws {
        let d = try E2EDaemon { $0.threads = 4 }
        defer { d.stop() }
        for round in 0..<20 {
            let target = "Winner\(round)"
            let a = try E2EClient.login(port: d.port, name: "ra\(round)")
            let b = try E2EClient.login(port: d.port, name: "rb\(round)")
            // Move them to a room of their own so other rounds' notices stay out.
            for c in [a, b] {
                try c.send(frame: "/join race\(round)")
                _ = c.receiveUntil { $0.text.hasPrefix("you joined") }
            }
            _ = a.receiveUntil(.notice("rb\(round) joined #race\(round)"))
            // Both ask for the same name (different case) at once.
            a.sendRaw(encodeFrame("/nick \(target)"))
            b.sendRaw(encodeFrame("/nick \(target.lowercased())"))
            func outcome(_ c: E2EClient) -> Msg? {
                c.receiveUntil { $0.text.hasPrefix("error:") || $0.text.hasPrefix("\(c.name) is now known as") }?.last
            }
            let ra = outcome(a), rb = outcome(b)
            let aWon = ra == .notice("ra\(round) is now known as \(target)")
            let bWon = rb == .notice("rb\(round) is now known as \(target.lowercased())")
            #expect(aWon != bWon, "round \(round): exactly one must win (a: \(String(describing: ra)), b: \(String(describing: rb)))")
            let loserError = aWon ? rb : ra
            #expect(loserError == .notice("error: username \(aWon ? target.lowercased() : target) is taken"), "round \(round)")
            a.close()
            b.close()
        }
        d.expectHealthy()
    }

    @Test func usernameRaceAtHandshakeAcrossLoops() throws {
        let d = try E2EDaemon { $0.threads = 4 }
        defer { d.stop() }
        for round in 0..<20 {
            let name = "same\(round)"
            let a = try E2EClient(port: d.port)
            let b = try E2EClient(port: d.port)
            a.sendRaw(encodeFrame(name))
            b.sendRaw(encodeFrame(name.uppercased()))
            // The winner answers /who; the loser gets the error and is closed.
            let aOK = (try? a.sync(timeout: 3)) != nil
            let bOK = (try? b.sync(timeout: 3)) != nil
            #expect(aOK != bOK, "round \(round): exactly one must win")
            let loser = aOK ? b : a
            #expect(loser.expectClosed())
            #expect(loser.skipped + loser.partial == [.notice("error: username \(aOK ? name.uppercased() : name) is taken")])
            a.close()
            b.close()
        }
    }
}
