// IRC over real sockets against an in-process daemon with a framed and an IRC listener.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E IRC")
struct E2EIRCTests {
    static func daemon(_ configure: (inout ChatConfig) -> Void = { _ in }) throws -> (E2EDaemon, Int) {
        let d = try E2EDaemon { c in
            c.listen.append(ListenAddress(.irc, host: "127.0.0.1", port: 0))
            c.serverName = "irc.test"
            configure(&c)
        }
        return (d, d.server.port(for: .irc)!)
    }

    @Test func registrationBurstInOrder() throws {
        let (d, ircPort) = try Self.daemon()
        defer { d.stop() }
        let c = try IRCTestClient(port: ircPort)
        c.send("CAP LS 302", "NICK alice", "USER al 0 * :Alice A", "CAP REQ :server-time", "CAP END")
        let lines = c.until { $0.contains(" 422 ") } ?? []
        let codes = lines.compactMap { l -> String? in
            let parts = l.split(separator: " ")
            return parts.count > 1 && parts[0] == ":irc.test" ? String(parts[1]) : nil
        }
        #expect(codes.first == "CAP")
        #expect(Array(codes.drop { $0 == "CAP" }.prefix(4)) == ["001", "002", "003", "004"])
        #expect(codes.contains("005") && codes.contains("251") && codes.contains("255") && codes.last == "422")
        #expect(lines.contains(":irc.test CAP alice ACK :server-time") || lines.contains(":irc.test CAP alice ACK server-time"))
        #expect(lines.contains { $0.hasPrefix(":irc.test 005 alice ") && $0.contains("CASEMAPPING=ascii") && $0.contains("CHANTYPES=#") })
        #expect(lines.contains(":irc.test 001 alice :Welcome to the chatd Network, alice"))
    }

    /// Framed and IRC users in one room: messages and /me both ways, history both ways, nick
    /// changes and quits seen across protocols, framed clients still get the two-frame messages.
    @Test func crossProtocolChatAndHistory() throws {
        let (d, ircPort) = try Self.daemon { $0.history = 10 }
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "framed history line")
        try alice.sync()
        let bob = try IRCTestClient.register(port: ircPort, nick: "bob")
        bob.send("JOIN #lobby")
        let join = bob.until { $0.contains(" 366 ") } ?? []
        #expect(join.first == ":bob!bob@irc JOIN #lobby")
        #expect(join.contains(":irc.test 353 bob = #lobby :alice bob"))
        // No batch capability: history as plain PRIVMSGs between notices, no tags.
        let history = bob.until { $0.hasSuffix(":end of history") } ?? []
        #expect(history.contains(":alice!alice@framed PRIVMSG #lobby :framed history line"))
        #expect(alice.receiveUntil(.notice("bob joined #lobby")) != nil)

        try alice.send(frame: "hi bob")
        try alice.send(frame: "/me waves")
        #expect(bob.line() == ":alice!alice@framed PRIVMSG #lobby :hi bob")
        #expect(bob.line() == ":alice!alice@framed PRIVMSG #lobby :\u{1}ACTION waves\u{1}")

        bob.send("PRIVMSG #lobby :hello alice", "PRIVMSG #lobby :\u{1}ACTION dances\u{1}", "NICK bobby")
        #expect(alice.receive() == Msg("bob", "hello alice"))
        #expect(alice.receive() == Msg("bob", "/me dances"))
        #expect(alice.receive() == .notice("bob is now known as bobby"))
        #expect(bob.line() == ":bob!bob@irc NICK bobby")

        // A framed late joiner gets the IRC user's messages as history.
        let carol = try E2EClient.connect(port: d.port, name: "carol")
        let replay = carol.receiveUntil(.notice("end of history")) ?? []
        #expect(replay.contains(Msg("bob", "hello alice")) && replay.contains(Msg("bob", "/me dances")))
        #expect(replay.contains(Msg("alice", "framed history line")))

        bob.send("QUIT :bye")
        #expect(bob.until { $0.hasPrefix("ERROR :Closing Link: bobby (Quit: bye)") } != nil)
        #expect(alice.receiveUntil(.notice("bobby disconnected (Quit: bye)")) != nil)
    }

    /// server-time clients get the shared line with its tag; others the same bytes past it;
    /// batch clients get history as a chathistory batch; echo-message echoes.
    @Test func capabilitiesShapeTheLines() throws {
        let (d, ircPort) = try Self.daemon { $0.history = 5 }
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "before")
        try alice.sync()
        let tagged = try IRCTestClient.register(port: ircPort, nick: "tagged", caps: ["server-time", "batch", "echo-message"])
        let plain = try IRCTestClient.register(port: ircPort, nick: "plain")
        tagged.send("JOIN #lobby")
        let lines = tagged.until { $0.hasPrefix(":irc.test BATCH -") } ?? []
        #expect(lines.contains { $0.hasPrefix(":irc.test BATCH +h1 chathistory #lobby") })
        #expect(lines.contains { $0.hasPrefix("@time=") && $0.contains(";batch=h1 :alice!alice@framed PRIVMSG #lobby :before") })
        plain.send("JOIN #lobby")
        _ = plain.until { $0.hasSuffix(":end of history") }
        _ = tagged.until { $0.contains("JOIN #lobby") && $0.contains("plain") }
        try alice.send(frame: "now")
        let t = tagged.line() ?? ""
        #expect(t.hasPrefix("@time=20") && t.hasSuffix("Z :alice!alice@framed PRIVMSG #lobby :now"))
        #expect(plain.line() == ":alice!alice@framed PRIVMSG #lobby :now")
        tagged.send("PRIVMSG #lobby :echoed")
        #expect(tagged.line()?.hasSuffix(":tagged!tagged@irc PRIVMSG #lobby :echoed") == true)
        #expect(plain.line() == ":tagged!tagged@irc PRIVMSG #lobby :echoed")
    }

    /// Error numerics a client can trigger, with Modern IRC's parameter layouts.
    @Test func errorNumerics() throws {
        let (d, ircPort) = try Self.daemon()
        defer { d.stop() }
        let pre = try IRCTestClient(port: ircPort)
        pre.send("JOIN #x")
        #expect(pre.line() == ":irc.test 451 * :You have not registered")
        pre.send("NICK")
        #expect(pre.line() == ":irc.test 431 * :No nickname given")
        pre.send("NICK bad!nick")
        #expect(pre.line() == ":irc.test 432 * bad!nick :Erroneus nickname")  // sic: Modern IRC's text
        let a = try IRCTestClient.register(port: ircPort, nick: "anna")
        pre.send("NICK anna", "USER x 0 * :x")
        #expect(pre.line() == ":irc.test 433 * anna :Nickname is already in use")
        let cases: [(String, String)] = [
            ("PRIVMSG nobody :hi", ":irc.test 401 anna nobody :No such nick/channel"),
            ("PRIVMSG #nowhere :hi", ":irc.test 403 anna #nowhere :No such channel"),
            ("PART #nowhere", ":irc.test 403 anna #nowhere :No such channel"),
            ("PRIVMSG", ":irc.test 411 anna :No recipient given (PRIVMSG)"),
            ("PRIVMSG anna", ":irc.test 412 anna :No text to send"),
            ("FROB", ":irc.test 421 anna FROB :Unknown command"),
            ("JOIN", ":irc.test 461 anna JOIN :Not enough parameters"),
            ("USER a 0 * :b", ":irc.test 462 anna :You may not reregister"),
            ("MODE bob", ":irc.test 401 anna bob :No such nick/channel"),
        ]
        for (input, expected) in cases {
            a.send(input)
            #expect(a.line() == expected, "\(input)")
        }
        let b = try IRCTestClient.register(port: ircPort, nick: "bea")
        b.send("JOIN #room")
        _ = b.until { $0.contains(" 366 ") }
        a.send("PRIVMSG #room :hi")
        #expect(a.line() == ":irc.test 404 anna #room :Cannot send to channel")
        a.send("PART #room")
        #expect(a.line() == ":irc.test 442 anna #room :You're not on that channel")
        a.send("TOPIC #room :x")
        #expect(a.line() == ":irc.test 442 anna #room :You're not on that channel")
    }

    /// An IRC client that stops answering is pinged after the interval and dropped after the
    /// timeout; the others see a quit with "Ping timeout".
    @Test func pingTimeout() throws {
        let (d, ircPort) = try Self.daemon { $0.ircPingInterval = 1; $0.ircPingTimeout = 1 }
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        let quiet = try IRCTestClient.register(port: ircPort, nick: "quiet")
        quiet.send("JOIN #lobby")
        #expect(alice.receiveUntil(.notice("quiet joined #lobby")) != nil)
        #expect(quiet.until(timeout: 5) { $0 == "PING irc.test" || $0 == ":irc.test PING irc.test" } != nil)
        #expect(quiet.until(timeout: 5) { $0.hasPrefix("ERROR :Closing Link: quiet (Ping timeout") } != nil)
        #expect(alice.receiveUntil(timeout: 5) { $0.isNotice && $0.text.hasPrefix("quiet disconnected (Ping timeout") } != nil)
    }
}
