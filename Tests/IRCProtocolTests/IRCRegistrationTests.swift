import IRCProtocol
import Testing

/// Registration sequences as real clients send them (irssi 1.4, WeeChat 4, HexChat 2.16
/// all open with `CAP LS 302`, then NICK and USER, some with PASS first).
@Suite("IRC registration")
struct IRCRegistrationTests {
    /// Runs lines through the machine; the caller's nick registry is `taken`. Returns the
    /// wire lines sent, and the final outcome.
    struct Run {
        var machine: IRCRegistration
        var taken: Set<String> = []
        var chatdRejects: Set<String> = []
        var sent: [String] = []
        var registered: IRCRegistered?
        var closedWith: String?

        init(_ configuration: IRCRegistration.Configuration = .init(server: "chatd.test")) {
            machine = IRCRegistration(configuration)
        }

        mutating func feed(_ lines: String...) {
            for line in lines {
                guard let message = try? IRCMessage.parse(line) else {
                    Issue.record("unparsable test line \(line)")
                    continue
                }
                perform(machine.handle(message))
            }
        }

        mutating func perform(_ actions: [IRCRegistration.Action]) {
            for action in actions {
                switch action {
                case .send(let message): sent.append(wire(message))
                case .claimNick(let nick):
                    let answer: IRCRegistration.ClaimResult =
                        chatdRejects.contains(nick) ? .erroneous : taken.contains(nick) ? .inUse : .granted
                    if answer == .granted { taken.insert(nick) }
                    perform(machine.claimResult(answer, for: nick))
                case .registered(let result): registered = result
                case .close(let error): closedWith = wire(error)
                }
            }
        }

        mutating func takeSent() -> [String] {
            defer { sent = [] }
            return sent
        }
    }

    static let lsReply = ":chatd.test CAP * LS :server-time message-tags echo-message multi-prefix cap-notify away-notify batch"

    @Test("irssi: CAP LS 302, NICK, USER; REQ what it wants; END registers")
    func irssi() {
        var run = Run()
        run.feed("CAP LS 302", "NICK alice", "USER alice 0 * :Alice A")
        #expect(run.takeSent() == [Self.lsReply])
        #expect(run.registered == nil && run.machine.negotiating)
        run.feed("CAP REQ :multi-prefix server-time")
        #expect(run.takeSent() == [":chatd.test CAP alice ACK :multi-prefix server-time"])
        run.feed("CAP END")
        #expect(run.registered == IRCRegistered(
            nick: "alice", user: "alice", realname: "Alice A",
            capabilities: ["multi-prefix", "server-time", "cap-notify"], capVersion: 302))
        #expect(run.takeSent().isEmpty)
    }

    @Test("WeeChat: requests several caps at once, one unknown → NAK, retries without it")
    func weechat() {
        var run = Run()
        run.feed("CAP LS 302", "NICK weeuser", "USER weechat 0 * :WeeChat User")
        _ = run.takeSent()
        run.feed("CAP REQ :account-notify away-notify cap-notify multi-prefix server-time")
        #expect(run.takeSent() == [":chatd.test CAP weeuser NAK :account-notify away-notify cap-notify multi-prefix server-time"])
        #expect(run.machine.capabilities == ["cap-notify"])  // only what 302 implied; the NAK changed nothing
        run.feed("CAP REQ :away-notify multi-prefix server-time echo-message batch message-tags", "CAP LIST", "CAP END")
        #expect(run.takeSent() == [
            ":chatd.test CAP weeuser ACK :away-notify multi-prefix server-time echo-message batch message-tags",
            ":chatd.test CAP weeuser LIST :away-notify batch cap-notify echo-message message-tags multi-prefix server-time",
        ])
        #expect(run.registered?.nick == "weeuser")
        #expect(run.registered?.realname == "WeeChat User")
    }

    @Test("HexChat with PASS: accepted when it matches the configured password")
    func hexchatWithPassword() {
        var run = Run(.init(server: "chatd.test", password: "sesame"))
        run.feed("CAP LS 302", "PASS sesame", "NICK hex", "USER hex 0 * :HexChat", "CAP REQ :multi-prefix", "CAP END")
        #expect(run.registered?.nick == "hex")
        #expect(run.closedWith == nil)
    }

    @Test("a wrong or missing password gets 464 and ERROR; PASS is ignored when none is configured")
    func password() {
        var wrong = Run(.init(server: "chatd.test", password: "sesame"))
        wrong.feed("PASS guess", "NICK a", "USER a 0 * :a")
        #expect(wrong.takeSent() == [":chatd.test 464 a :Password incorrect"])
        #expect(wrong.closedWith == "ERROR :Closing Link: a (Bad Password)")
        #expect(wrong.registered == nil)

        var missing = Run(.init(server: "chatd.test", password: "sesame"))
        missing.feed("NICK a", "USER a 0 * :a")
        #expect(missing.closedWith != nil && missing.registered == nil)

        var unconfigured = Run()
        unconfigured.feed("PASS anything", "NICK a", "USER a 0 * :a")
        #expect(unconfigured.registered?.nick == "a")
        var empty = Run()
        empty.feed("PASS")
        #expect(empty.takeSent() == [":chatd.test 461 * PASS :Not enough parameters"])
    }

    @Test("without CAP, NICK + USER registers at once, in either order")
    func noCap() {
        var run = Run()
        run.feed("USER u 0 * :Real Name", "NICK bob")
        #expect(run.registered == IRCRegistered(nick: "bob", user: "u", realname: "Real Name", capabilities: [], capVersion: 0))
    }

    @Test("nick in use: 433 with '*', the client picks another and registers")
    func nickInUse() {
        var run = Run()
        run.taken = ["alice"]
        run.feed("CAP LS 302", "NICK alice", "USER a 0 * :A", "CAP END")
        #expect(run.takeSent() == [Self.lsReply, ":chatd.test 433 * alice :Nickname is already in use"])
        #expect(run.registered == nil)
        run.feed("NICK alice_")
        #expect(run.registered?.nick == "alice_")
    }

    @Test("432 for IRC-invalid nicks here, and for nicks the caller (chatd's rules) refuses")
    func erroneousNick() {
        var run = Run()
        run.chatdRejects = ["\u{200B}x"]
        run.feed("NICK #chan", "NICK", "NICK :", "USER u 0 * :r", "NICK \u{200B}x")
        #expect(run.takeSent() == [
            ":chatd.test 432 * #chan :Erroneus nickname",
            ":chatd.test 431 * :No nickname given",
            ":chatd.test 431 * :No nickname given",
            ":chatd.test 432 * \u{200B}x :Erroneus nickname",
        ])
        run.feed("NICK ok")
        #expect(run.registered?.nick == "ok")
    }

    @Test("USER needs four parameters and a non-empty user name")
    func userParams() {
        var run = Run()
        run.feed("USER u 0 *", "USER  0 * :x", "USER :")
        #expect(run.takeSent() == Array(repeating: ":chatd.test 461 * USER :Not enough parameters", count: 3))
    }

    @Test("PING before registration is answered; PONG ignored; other commands get 451; QUIT closes")
    func otherCommands() {
        var run = Run()
        run.feed("PING :LAG1", "PING", "PONG x", "JOIN #a", "PRIVMSG #a :hi", "NICK n", "MODE n +i")
        #expect(run.takeSent() == [
            ":chatd.test PONG chatd.test LAG1",
            ":chatd.test 409 * :No origin specified",
            ":chatd.test 451 * :You have not registered",
            ":chatd.test 451 * :You have not registered",
            ":chatd.test 451 n :You have not registered",
        ])
        run.feed("QUIT :bye")
        #expect(run.closedWith == "ERROR :Closing Link: n (Quit: bye)")
    }

    @Test("CAP details: LS without version has no values, 302 gets values; bad subcommands; empty REQ; disabling")
    func capDetails() {
        let caps = [IRCCapability("server-time"), IRCCapability("sasl", value: "PLAIN")]
        var old = Run(.init(server: "chatd.test", capabilities: caps))
        old.feed("CAP LS")
        #expect(old.takeSent() == [":chatd.test CAP * LS :server-time sasl"])
        #expect(old.machine.capVersion == 301)
        var new = Run(.init(server: "chatd.test", capabilities: caps))
        new.feed("cap ls 302", "CAP FOO", "CAP", "CAP REQ :", "CAP REQ server-time", "CAP REQ :-server-time", "CAP LIST")
        #expect(new.takeSent() == [
            ":chatd.test CAP * LS :server-time sasl=PLAIN",
            ":chatd.test 410 * FOO :Invalid CAP command",
            ":chatd.test 461 * CAP :Not enough parameters",
            ":chatd.test CAP * NAK :",
            ":chatd.test CAP * ACK server-time",
            ":chatd.test CAP * ACK -server-time",
            ":chatd.test CAP * LIST :",
        ])
    }

    @Test("a long CAP LS continues on '*' lines for 302 clients, each within 512 bytes")
    func capLSContinuation() {
        let caps = (1...60).map { IRCCapability("vendor.example/capability-\($0)") }
        var run = Run(.init(server: "chatd.test", capabilities: caps))
        run.feed("CAP LS 302")
        let lines = run.takeSent()
        #expect(lines.count > 1)
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix(":chatd.test CAP * LS * :") })
        #expect(lines.last?.hasPrefix(":chatd.test CAP * LS :") == true)
        #expect(lines.allSatisfy { $0.utf8.count <= 510 })
        let listed = lines.flatMap { $0.split(separator: ":").last!.split(separator: " ").map(String.init) }
        #expect(listed == caps.map(\.name))
    }

    @Test("after registration: CAP REQ still works, PASS/USER get 462, the rest is the session's")
    func afterRegistration() {
        var run = Run()
        run.feed("NICK a", "USER a 0 * :a")
        #expect(run.registered != nil)
        run.feed("CAP REQ :echo-message", "USER a 0 * :a", "PASS x", "PRIVMSG #a :hi", "CAP END")
        #expect(run.takeSent() == [
            ":chatd.test CAP a ACK echo-message",
            ":chatd.test 462 a :You may not reregister",
            ":chatd.test 462 a :You may not reregister",
        ])
        #expect(run.machine.capabilities == ["echo-message"])
        run.machine.renamed(to: "b")
        run.feed("CAP LIST")
        #expect(run.takeSent() == [":chatd.test CAP b LIST echo-message"])
    }

    @Test("a claim answer for a nick that is not pending is ignored")
    func staleClaim() {
        var machine = IRCRegistration(.init(server: "s"))
        #expect(machine.claimResult(.granted, for: "nobody").isEmpty)
        _ = machine.handle(try! IRCMessage.parse("NICK a"))
        #expect(machine.handle(try! IRCMessage.parse("USER a 0 * :a")) == [.claimNick("a")])
        #expect(machine.claimResult(.granted, for: "b").isEmpty)
        #expect(machine.claimResult(.granted, for: "a").count == 1)
        #expect(machine.isRegistered)
    }
}

@Suite("IRC registration with hostile input")
struct IRCRegistrationHostileTests {
    @Test("a CAP REQ too long to echo in an ACK is refused with a NAK that fits")
    func longRequest() throws {
        var machine = IRCRegistration(.init(server: "chatd.test"))
        let request = Array(repeating: "server-time", count: 44).joined(separator: " ")
        let actions = machine.handle(IRCMessage(command: "CAP", params: ["REQ", request]))
        guard case .send(let nak) = actions.first else {
            Issue.record("no reply")
            return
        }
        #expect(nak.params[1] == "NAK")
        #expect(try nak.serialized().count <= 512)
        #expect(machine.capabilities.isEmpty)
    }

    @Test("QUIT with a reason of nearly a whole line still gets a writable ERROR")
    func longQuit() throws {
        var machine = IRCRegistration(.init(server: "chatd.test"))
        let actions = machine.handle(IRCMessage(command: "QUIT", params: [String(repeating: "q", count: 500)]))
        guard case .close(let error) = actions.first else {
            Issue.record("no close")
            return
        }
        #expect(try error.serialized().count <= 512)
    }
}
