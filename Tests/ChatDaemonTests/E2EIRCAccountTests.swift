// Issue 18, accounts on IRC against a real daemon: SASL PLAIN (sasl-3.1 numerics), REGISTER
// (draft/account-registration), account-tag and extended-join, the auth-timeout rename as a NICK.

@testable import ChatDaemon
import Foundation
import Testing

@Suite("E2E IRC accounts") struct E2EIRCAccountTests {
    static func daemon(_ configure: (inout ChatConfig) -> Void = { _ in }) throws -> (E2EDaemon, Int) {
        try E2EIRCTests.daemon {
            $0.argon2MemoryKiB = 64
            $0.argon2Iterations = 1
            configure(&$0)
        }
    }

    static func plain(_ authcid: String, _ password: String, authzid: String = "") -> String {
        Data(Array(authzid.utf8) + [0] + Array(authcid.utf8) + [0] + Array(password.utf8)).base64EncodedString()
    }

    /// A framed user registers `name` with `password` (the account the IRC tests log in to).
    static func register(_ d: E2EDaemon, _ name: String, _ password: String) throws {
        let c = try E2EClient.login(port: d.port, name: name)
        try c.send(frame: "/register \(password)")
        #expect(E2EAccountTests.notice(c) { $0.contains("registered and logged in") } != nil)
        try E2EAccountTests.quit(c)
    }

    @Test func saslPlainBeforeRegistration() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        try Self.register(d, "ivy", "ivy-password")
        let c = try IRCTestClient(port: port)
        c.send("CAP LS 302")
        let ls = c.until { $0.contains(" LS ") }?.last ?? ""
        #expect(ls.contains("sasl=PLAIN") && ls.contains("account-tag") && ls.contains("extended-join")
                && ls.contains("draft/account-registration"), "\(ls)")
        c.send("NICK ivy", "USER ivy 0 * :Ivy", "CAP REQ :sasl", "AUTHENTICATE SCRAM-SHA-256")
        #expect(c.until { $0.contains(" 904 ") }?.contains(":irc.test 908 ivy PLAIN :are available SASL mechanisms") == true)
        // A wrong password: 904, and the client may try again.
        c.send("AUTHENTICATE PLAIN")
        #expect(c.until { $0.hasPrefix("AUTHENTICATE") } == ["AUTHENTICATE +"])
        c.send("AUTHENTICATE " + Self.plain("ivy", "not-her-password"))
        #expect(c.until { $0.contains(" 904 ") }?.last == ":irc.test 904 ivy :SASL authentication failed")
        c.send("AUTHENTICATE PLAIN", "AUTHENTICATE " + Self.plain("ivy", "ivy-password"))
        let ok = c.until { $0.contains(" 903 ") } ?? []
        #expect(ok.contains(":irc.test 900 ivy ivy!ivy@irc ivy :You are now logged in as ivy"), "\(ok)")
        #expect(ok.last == ":irc.test 903 ivy :SASL authentication successful")
        c.send("AUTHENTICATE PLAIN")
        #expect(c.until { $0.contains(" 907 ") } != nil)
        c.send("CAP END")
        let burst = c.until { $0.contains(" 422 ") } ?? []
        #expect(burst.contains { $0.contains(" 001 ivy ") })
        // Logged in: no auth-timeout notice for the registered nick.
        #expect(!burst.contains { $0.contains("registered account") })
        #expect(!c.sync().contains { $0.contains("registered account") })
    }

    @Test func saslEdgeCases() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        try Self.register(d, "jack", "jack-password")
        let c = try IRCTestClient(port: port)
        c.send("CAP LS 302", "CAP REQ :sasl", "NICK jack", "USER jack 0 * :Jack")
        _ = c.until { $0.contains(" ACK ") }
        c.send("AUTHENTICATE PLAIN", "AUTHENTICATE *")
        #expect(c.until { $0.contains(" 906 ") } != nil)
        c.send("AUTHENTICATE PLAIN", "AUTHENTICATE not!base64")
        #expect(c.until { $0.contains(" 904 ") } != nil)
        c.send("AUTHENTICATE PLAIN", "AUTHENTICATE " + Self.plain("jack", "jack-password", authzid: "ivy"))
        #expect(c.until { $0.contains(" 904 ") }?.contains { $0.contains("authzid") } == true)
        c.send("AUTHENTICATE PLAIN")
        for _ in 0..<4 { c.send("AUTHENTICATE " + String(repeating: "A", count: 400)) }
        #expect(c.until { $0.contains(" 905 ") } != nil)
        // A response split into a 400-byte chunk and the rest.
        let long = Self.plain("jack", "jack-password" + String(repeating: "x", count: 300))
        #expect(long.utf8.count > 400)
        c.send("AUTHENTICATE PLAIN", "AUTHENTICATE " + String(long.prefix(400)), "AUTHENTICATE " + String(long.dropFirst(400)))
        #expect(c.until { $0.contains(" 904 ") } != nil, "the right chunks of a wrong password")
        c.send("AUTHENTICATE PLAIN", "AUTHENTICATE " + Self.plain("jack", "jack-password"))
        #expect(c.until { $0.contains(" 903 ") } != nil)
    }

    @Test func registerCommandAndAccountTags() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        let kim = try IRCTestClient.register(port: port, nick: "kim")
        kim.send("REGISTER * * short")
        #expect(kim.until { $0.contains("FAIL REGISTER") }?.last?.contains("FAIL REGISTER WEAK_PASSWORD") == true)
        kim.send("REGISTER bob * kims-password")
        #expect(kim.until { $0.contains("FAIL REGISTER") }?.last?.contains("ACCOUNT_NAME_MUST_BE_NICK bob") == true)
        kim.send("REGISTER * kim@example.org kims-password")
        let ok = kim.until { $0.contains(" 900 ") } ?? []
        #expect(ok.contains(":irc.test REGISTER SUCCESS kim :Account created"), "\(ok)")
        kim.send("REGISTER * * kims-password")
        #expect(kim.until { $0.contains("FAIL REGISTER") }?.last?.contains("ALREADY_AUTHENTICATED kim") == true)

        // A watcher with account-tag and extended-join sees kim's account on JOIN and PRIVMSG;
        // a guest's join says `*`.
        let watcher = try IRCTestClient.register(port: port, nick: "watcher", caps: ["account-tag", "extended-join"])
        watcher.send("JOIN #room")
        _ = watcher.until { $0.contains(" 366 ") }
        kim.send("JOIN #room")
        let kimJoin = watcher.until { $0.contains(" JOIN ") }?.last ?? ""
        // (The writer puts ':' before a last parameter only when it needs one.)
        #expect(kimJoin.hasSuffix(":kim!kim@irc JOIN #room kim kim") && kimJoin.contains("account=kim"), "\(kimJoin)")
        kim.send("PRIVMSG #room :hello")
        let message = watcher.until { $0.contains("PRIVMSG") }?.last ?? ""
        #expect(message.hasPrefix("@") && message.contains("account=kim") && message.hasSuffix(":kim!kim@irc PRIVMSG #room :hello"), "\(message)")
        let guest = try IRCTestClient.register(port: port, nick: "guest")
        guest.send("JOIN #room", "PRIVMSG #room :hi")
        let guestJoin = watcher.until { $0.contains(" JOIN ") }?.last ?? ""
        #expect(guestJoin.hasSuffix(":guest!guest@irc JOIN #room * guest") && !guestJoin.contains("account="), "\(guestJoin)")
        let plainMessage = watcher.until { $0.contains("PRIVMSG") }?.last ?? ""
        #expect(!plainMessage.contains("account="), "\(plainMessage)")
        // Without the capabilities: no account anywhere.
        let old = try IRCTestClient.register(port: port, nick: "old")
        old.send("JOIN #room")
        _ = old.until { $0.contains(" 366 ") }
        kim.send("PRIVMSG #room :again")
        #expect(old.until { $0.contains("PRIVMSG") }?.last == ":kim!kim@irc PRIVMSG #room :again")
    }

    @Test func aRegisteredNickWithoutSASLIsRenamed() throws {
        let (d, port) = try Self.daemon { $0.authTimeout = 0.5 }
        defer { d.stop() }
        try Self.register(d, "lena", "lenas-password")
        let c = try IRCTestClient.register(port: port, nick: "lena")
        let lines = c.until { $0.contains(" NICK ") } ?? []
        #expect(lines.contains { $0.contains("NOTICE lena :lena is a registered account: log in with SASL within 0.5 s") }, "\(lines)")
        let nick = lines.last ?? ""
        #expect(nick.hasPrefix(":lena!lena@irc NICK Guest"), "\(nick)")
        let guest = String(nick.split(separator: " ").last ?? "")
        let why = c.until { $0.contains("NOTICE") }?.last ?? ""
        #expect(why.contains("NOTICE \(guest) :you are now \(guest): lena is a registered account and you did not log in within 0.5 s"), "\(why)")
    }

    @Test func closedRegistrationHidesTheCapabilityAndRefusesRegister() throws {
        let (d, port) = try Self.daemon { $0.registration = .closed }
        defer { d.stop() }
        let c = try IRCTestClient(port: port)
        c.send("CAP LS 302")
        let ls = c.until { $0.contains(" LS ") }?.last ?? ""
        #expect(ls.contains("sasl=PLAIN") && !ls.contains("account-registration"), "\(ls)")
        c.send("NICK max", "USER max 0 * :Max", "CAP END")
        _ = c.until { $0.contains(" 422 ") }
        c.send("REGISTER * * maxs-password")
        let fail = c.until { $0.contains("FAIL REGISTER") }?.last ?? ""
        #expect(fail.contains("TEMPORARILY_UNAVAILABLE") && fail.contains("registration is closed"), "\(fail)")
    }
}
