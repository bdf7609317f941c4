// Issue 18, room moderation and server administration across protocols, against an in-process
// daemon with framed, IRC and http listeners: operators kick, ban, mute and set keys from any
// protocol, refusals come back as numerics / `* error:` lines / chatd.v1 errors, settings
// survive a restart, timed bans and mutes end, and the control socket bans addresses.

@testable import ChatDaemon
import Foundation
import Glibc
import Testing

@Suite("E2E moderation")
struct E2EModerationTests {
    static func daemon(_ configure: (inout ChatConfig) -> Void = { _ in }) throws -> (E2EDaemon, irc: Int, web: Int) {
        let d = try E2EDaemon { c in
            c.listen.append(ListenAddress(.irc, host: "127.0.0.1", port: 0))
            c.listen.append(ListenAddress(.http, host: "127.0.0.1", port: 0))
            c.webRoot = E2EWebTests.webRoot
            c.serverName = "irc.test"
            configure(&c)
        }
        return (d, d.server.port(for: .irc)!, d.server.port(for: .http)!)
    }

    /// IRC joins `channel` and waits for the end of NAMES; returns the join's lines.
    @discardableResult
    static func ircJoin(_ c: IRCTestClient, _ channel: String, key: String? = nil) -> [String] {
        c.send("JOIN \(channel)" + (key.map { " \($0)" } ?? ""))
        return c.until { $0.contains(" 366 ") } ?? []
    }

    @Test("an IRC operator bans and kicks a framed user; the ban keeps them out")
    func ircOperatorKicksAndBansFramedUser() throws {
        let (d, irc, _) = try Self.daemon()
        defer { d.stop() }
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        // The first to join an empty room is its operator (no account: while in the room).
        let joined = Self.ircJoin(bob, "#den")
        #expect(joined.contains(":irc.test 353 bob = #den @bob"))
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "/join den")
        #expect(alice.receiveUntil(.notice("you joined #den (2 members)")) != nil)
        #expect(bob.until { $0 == ":alice!alice@framed JOIN #den" } != nil)
        // alice is no operator: her /kick is refused with the reason.
        try alice.send(frame: "/kick bob")
        #expect(alice.receiveUntil(.notice("error: you are not an operator of #den")) != nil)

        bob.send("MODE #den +b alice", "KICK #den alice :take a break")
        #expect(bob.until { $0 == ":bob!bob@irc MODE #den +b alice!*@*" } != nil)
        #expect(bob.until { $0 == ":bob!bob@irc KICK #den alice :take a break" } != nil)
        #expect(alice.receiveUntil(.notice("bob sets mode +b alice!*@* on #den")) != nil)
        #expect(alice.receiveUntil(.notice("bob kicked alice from #den (take a break)")) != nil)
        // A kicked framed client is back in the lobby, and the ban keeps it out of #den.
        #expect(alice.receiveUntil(.notice("you joined #lobby (1 members)")) != nil)
        try alice.send(frame: "/join den")
        #expect(alice.receiveUntil(.notice("error: you are banned from this room")) != nil)
        try alice.send(frame: "/who")
        #expect(alice.receiveUntil(.notice("in #lobby: alice")) != nil)
        // The ban list: 367 with setter, then 368; framed /bans from a non-member is refused.
        bob.send("MODE #den b")
        let list = bob.until { $0.contains(" 368 ") } ?? []
        #expect(list.contains { $0.hasPrefix(":irc.test 367 bob #den alice!*@* bob ") })
        // Unbanned, alice comes back.
        bob.send("MODE #den -b alice!*@*")
        #expect(bob.until { $0 == ":bob!bob@irc MODE #den -b alice!*@*" } != nil)
        try alice.send(frame: "/join den")
        #expect(alice.receiveUntil(.notice("you joined #den (2 members)")) != nil)
        d.expectHealthy()
    }

    @Test("a browser user is muted (for a while) and told so; the room sees the mute")
    func browserUserMuted() throws {
        let (d, irc, web) = try Self.daemon()
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "/join quiet")
        #expect(alice.receiveUntil(.notice("you joined #quiet (1 members)")) != nil)
        let carol = try WebTestClient.open(port: web, nick: "carol")
        #expect(carol.join("quiet") != nil)
        let dave = try IRCTestClient.register(port: irc, nick: "dave")
        Self.ircJoin(dave, "#quiet")
        try alice.send(frame: "/mute carol 2s")
        #expect(alice.receiveUntil(.notice("alice muted carol for 2s in #quiet")) != nil)
        #expect(dave.until { $0 == ":alice!alice@framed NOTICE #quiet :muted carol for 2s" } != nil)
        #expect(carol.text { $0.contains("muted carol for 2s") } != nil)
        carol.send(#"{"type":"say","room":"quiet","text":"let me speak"}"#)
        let refusal = carol.text { $0.contains(#""type":"error""#) }?.last ?? ""
        #expect(refusal.contains("you are muted in this room"), "\(refusal)")
        #expect(alice.drain(for: 0.3).allSatisfy { $0.text != "let me speak" })
        // The mute ends by itself: carol's next words get through (waits on the condition).
        let deadline = e2eNow() + 10
        var heard = false
        while !heard && e2eNow() < deadline {
            carol.send(#"{"type":"say","room":"quiet","text":"free again"}"#)
            heard = alice.receiveUntil(timeout: 0.5) { $0 == Msg("carol", "free again") } != nil
        }
        #expect(heard)
        // The browser sends moderation commands as text too: carol is no operator.
        carol.send(#"{"type":"command","room":"quiet","text":"/mute alice"}"#)
        #expect(carol.text { $0.contains(#""type":"error""#) && $0.contains("you are not an operator of #quiet") } != nil)
    }

    @Test("a framed founder sets a key and invite-only; an IRC client must send the key or be invited")
    func framedKeyIRCJoin() throws {
        let (d, irc, web) = try Self.daemon()
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "/join vault")
        #expect(alice.receiveUntil(.notice("you joined #vault (1 members)")) != nil)
        try alice.send(frame: "/mode +k sesame")
        #expect(alice.receiveUntil(.notice("alice sets mode +k sesame on #vault")) != nil)
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        bob.send("JOIN #vault")
        #expect(bob.until { $0.contains(" 475 ") } == [":irc.test 475 bob #vault :Cannot join channel (+k)"])
        bob.send("JOIN #vault wrong")
        #expect(bob.until { $0.contains(" 475 ") } != nil)
        let lines = Self.ircJoin(bob, "#vault", key: "sesame")
        #expect(lines.first == ":bob!bob@irc JOIN #vault")
        bob.send("MODE #vault")
        #expect(bob.until { $0.contains(" 324 ") } == [":irc.test 324 bob #vault +nk sesame"])
        // A browser user without the key is refused with the reason; with it, it joins.
        let carol = try WebTestClient.open(port: web, nick: "carol")
        carol.send(#"{"type":"join","room":"vault"}"#)
        #expect(carol.text { $0.contains(#""type":"error""#) }?.last?.contains("needs a key") == true)
        carol.send(#"{"type":"join","room":"vault","key":"sesame"}"#)
        #expect(carol.text { $0.contains(#""type":"history","room":"vault""#) } != nil)
        // +i: the key is not enough; an invite (from IRC, 341) lets one user in once.
        try alice.send(frame: "/mode +i")
        #expect(alice.receiveUntil(.notice("alice sets mode +i on #vault")) != nil)
        let eve = try IRCTestClient.register(port: irc, nick: "eve")
        eve.send("JOIN #vault sesame")
        #expect(eve.until { $0.contains(" 473 ") } == [":irc.test 473 eve #vault :Cannot join channel (+i)"])
        bob.send("INVITE eve #vault")
        #expect(bob.until { $0.contains(" 341 ") || $0.contains(" 482 ") }?.last == ":irc.test 482 bob #vault :You're not channel operator")
        try alice.send(frame: "/invite eve")
        #expect(eve.until { $0.contains("invites you to #vault") } != nil)
        #expect(Self.ircJoin(eve, "#vault").first == ":eve!eve@irc JOIN #vault")
    }

    @Test("IRC refusals are the numerics of Modern IRC", arguments: [
        ("MODE #r +m", ":irc.test 482 eve #r :You're not channel operator"),
        ("KICK #r bob", ":irc.test 482 eve #r :You're not channel operator"),
        ("MODE #r +q", ":irc.test 472 eve q :is unknown mode char to me"),
        ("MODE #nowhere +m", ":irc.test 403 eve #nowhere :No such channel"),
        ("TOPIC #r :mine now", ":irc.test 482 eve #r :You're not channel operator"),
        ("KILL bob", ":irc.test 481 eve :Permission Denied- You're not an IRC operator"),
        ("INVITE nobody #r", ":irc.test 401 eve nobody :No such nick/channel"),
        ("MODE #r +k", ":irc.test 461 eve MODE :Not enough parameters"),
    ])
    func ircRefusals(command: String, expected: String) throws {
        let (d, irc, _) = try Self.daemon()
        defer { d.stop() }
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        Self.ircJoin(bob, "#r")
        bob.send("MODE #r +t")
        #expect(bob.until { $0.hasSuffix("MODE #r +t") } != nil)
        let eve = try IRCTestClient.register(port: irc, nick: "eve")
        Self.ircJoin(eve, "#r")
        eve.send(command)
        let reply = eve.until { $0.hasPrefix(":irc.test ") } ?? []
        #expect(reply.last == expected)
        // An operator's errors: 441 for a nick not in the room, 442 for a room it is not in.
        bob.send("KICK #r nobody")
        #expect(bob.until { $0.contains(" 441 ") }?.last == ":irc.test 441 bob nobody #r :They aren't on that channel")
        Self.ircJoin(eve, "#other")
        bob.send("MODE #other +m")
        #expect(bob.until { $0.contains(" 442 ") }?.last == ":irc.test 442 bob #other :You're not on that channel")
    }

    @Test("ISUPPORT describes the modes, and NAMES shows the prefixes")
    func isupportAndPrefixes() throws {
        let (d, irc, _) = try Self.daemon { $0.maxBansPerRoom = 25 }
        defer { d.stop() }
        let c = try IRCTestClient(port: irc)
        c.send("NICK alice", "USER alice 0 * :A")
        let burst = c.until { $0.contains(" 422 ") } ?? []
        let isupport = burst.filter { $0.contains(" 005 ") }.joined(separator: " ")
        for token in ["PREFIX=(ov)@+", "CHANMODES=b,k,,imnst", "MAXLIST=b:25", "MODES=6", "KICK:4"] {
            #expect(isupport.contains(token), "\(token) in \(isupport)")
        }
        Self.ircJoin(c, "#p")
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        Self.ircJoin(bob, "#p")
        c.send("MODE #p +v bob")
        #expect(c.until { $0 == ":alice!alice@irc MODE #p +v bob" } != nil)
        c.send("NAMES #p")
        #expect(c.until { $0.contains(" 353 ") } == [":irc.test 353 alice = #p :+bob @alice"])
        // +m: bob (voiced) speaks, a new unvoiced member gets 404.
        c.send("MODE #p +m")
        let carol = try IRCTestClient.register(port: irc, nick: "carol")
        Self.ircJoin(carol, "#p")
        carol.send("PRIVMSG #p :hello?")
        #expect(carol.until { $0.contains(" 404 ") } == [":irc.test 404 carol #p :Cannot send to channel"])
        bob.send("PRIVMSG #p :voiced")
        #expect(c.until { $0.hasSuffix("PRIVMSG #p :voiced") } != nil)
    }

    @Test("bans, modes, key and topic survive a restart (SQLite)")
    func persistenceAcrossRestart() throws {
        let dir = try E2EHistoryStoreTests.StateDir()
        func start() throws -> (E2EDaemon, Int) {
            let (d, irc, _) = try Self.daemon {
                $0.historyStore = .sqlite
                $0.stateDir = dir.path
                $0.historyCommitMs = 10
            }
            return (d, irc)
        }
        do {
            let (d, _) = try start()
            let alice = try E2EClient.login(port: d.port, name: "alice")
            try alice.send(frames: ["/join keep", "/mode +ms", "/mode +k sesame", "/topic kept across restarts", "/ban eve 1d", "/ban 203.0.113.0/24"])
            #expect(alice.receiveUntil(.notice("alice sets mode +b 203.0.113.0/24 on #keep")) != nil)
            #expect(d.stop() != nil)
        }
        let (d, irc) = try start()
        defer { d.stop() }
        let eve = try IRCTestClient.register(port: irc, nick: "eve")
        eve.send("JOIN #keep sesame")
        #expect(eve.until { $0.contains(" 474 ") } == [":irc.test 474 eve #keep :Cannot join channel (+b)"])
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        let joined = Self.ircJoin(bob, "#keep", key: "sesame")
        #expect(joined.contains(":irc.test 332 bob #keep :kept across restarts"))
        bob.send("MODE #keep", "MODE #keep b")
        #expect(bob.until { $0.contains(" 324 ") }?.last == ":irc.test 324 bob #keep +nmsk sesame")
        let bans = bob.until { $0.contains(" 368 ") } ?? []
        #expect(Set(bans.filter { $0.contains(" 367 ") }.map { String($0.split(separator: " ")[4]) }) == ["eve!*@*", "203.0.113.0/24"])
        // Secret: not listed for others.
        let carol = try E2EClient.login(port: d.port, name: "carol")
        try carol.send(frame: "/rooms")
        #expect(carol.receiveUntil { $0.text.hasPrefix("rooms:") }?.last?.text.contains("keep") == false)
    }

    @Test("a timed ban ends by itself")
    func timedBanExpires() throws {
        let (d, _, _) = try Self.daemon()
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frames: ["/join brief", "/ban eve 2s"])
        #expect(alice.receiveUntil(.notice("alice sets mode +b eve!*@* on #brief")) != nil)
        let eve = try E2EClient.login(port: d.port, name: "eve")
        try eve.send(frame: "/join brief")
        #expect(eve.receiveUntil(.notice("error: you are banned from this room")) != nil)
        let deadline = e2eNow() + 10
        var joined = false
        while !joined && e2eNow() < deadline {
            try eve.send(frame: "/join brief")
            joined = eve.receiveUntil(timeout: 1) { $0.text.hasPrefix("you joined #brief") || $0.text.contains("banned") }?
                .last?.text.hasPrefix("you joined #brief") == true
            if !joined { e2eSleep(0.2) }
        }
        #expect(joined)
    }

    @Test("chatd ctl ban closes and refuses an address; bans lists it; unban lets it back")
    func controlSocketServerBans() throws {
        let path = try E2EControlSocketTests.socketPath()
        let (d, _, _) = try Self.daemon { $0.controlSocket = path }
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        let ban = try E2EControlSocketTests.request(path, "ban 127.0.0.0/8 1h go away")
        #expect(E2EControlSocketTests.member(ban, "banned") == .string("127.0.0.0/8"))
        #expect(alice.receiveUntil(.notice("error: you are banned from this server: go away")) != nil)
        #expect(alice.expectClosed())
        let refused = try E2EClient(port: d.port)
        #expect(refused.receive()?.text == "error: you are banned from this server: go away")
        let list = try E2EControlSocketTests.request(path, "bans")
        guard case .array(let bans)? = E2EControlSocketTests.member(list, "bans"), case .object(let first)? = bans.first else {
            Issue.record("no bans: \(list)")
            return
        }
        #expect(E2EControlSocketTests.member(first, "mask") == .string("127.0.0.0/8"))
        #expect(E2EControlSocketTests.member(first, "reason") == .string("go away"))
        // Nick masks are no server bans; a bad mask is refused.
        #expect(E2EControlSocketTests.member(try E2EControlSocketTests.request(path, "ban bob"), "ok") == .bool(false))
        #expect(E2EControlSocketTests.member(try E2EControlSocketTests.request(path, "ban 1.2.3.4/99"), "ok") == .bool(false))
        #expect(E2EControlSocketTests.member(try E2EControlSocketTests.request(path, "unban 127.0.0.0/8"), "unbanned") == .string("127.0.0.0/8"))
        #expect(E2EControlSocketTests.member(try E2EControlSocketTests.request(path, "unban 127.0.0.0/8"), "ok") == .bool(false))
        let back = try E2EClient.login(port: d.port, name: "alice2")
        try back.sync()
    }

    @Test("hostile: a +b flood stops at --max-bans-per-room, a mode flood costs nothing lasting")
    func modeAndBanFloodsAreBounded() throws {
        let (d, irc, _) = try Self.daemon { $0.maxBansPerRoom = 10 }
        defer { d.stop() }
        let op = try IRCTestClient.register(port: irc, nick: "op")
        Self.ircJoin(op, "#flood")
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        try watcher.send(frame: "/join flood")
        #expect(watcher.receiveUntil(.notice("you joined #flood (2 members)")) != nil)
        for i in 0..<300 { op.send("MODE #flood +b spam\(i)") }
        for _ in 0..<300 { op.send("MODE #flood +m", "MODE #flood -m") }
        let full = op.sync("flooded").filter { $0.contains(" 478 ") }
        #expect(full.count == 290)
        #expect(full.first == ":irc.test 478 op #flood b :Channel list is full")
        op.send("MODE #flood b")
        #expect((op.until { $0.contains(" 368 ") } ?? []).filter { $0.contains(" 367 ") }.count == 10)
        // The room's history holds at most its bound; the watcher saw the last change; the
        // daemon still answers everyone.
        #expect(watcher.receiveUntil(.notice("op sets mode -m on #flood"), timeout: 10) != nil)
        try watcher.sync()
        d.expectHealthy()
    }
}

@Suite("E2E moderation with accounts")
struct E2EModerationAccountTests {
    static func daemon(_ dir: E2EHistoryStoreTests.StateDir) throws -> E2EDaemon {
        try E2EDaemon {
            $0.argon2MemoryKiB = 64
            $0.argon2Iterations = 1
            $0.historyStore = .sqlite
            $0.stateDir = dir.path
            $0.historyCommitMs = 10
            $0.admins = ["Root"]
        }
    }

    static func notice(_ c: E2EClient, _ match: (String) -> Bool) -> String? {
        c.receiveUntil { $0.isNotice && match($0.text) }?.last?.text
    }

    static func register(_ port: Int, _ name: String, password: String = "correct horse") throws -> E2EClient {
        let c = try E2EClient.login(port: port, name: name)
        try c.send(frame: "/register \(password)")
        guard notice(c, { $0.hasPrefix("registered and logged in as") }) != nil else { throw E2EError("\(name) not registered") }
        return c
    }

    @Test("a registered creator founds the room and is its operator after a restart; guests are not; admins kill and ban accounts")
    func founderAndAdmins() throws {
        let dir = try E2EHistoryStoreTests.StateDir()
        do {
            let d = try Self.daemon(dir)
            let alice = try Self.register(d.port, "alice")
            try alice.send(frames: ["/join guild", "/mode +t"])
            #expect(alice.receiveUntil(.notice("alice sets mode +t on #guild")) != nil)
            let mallory = try Self.register(d.port, "mallory", password: "mallory pass")
            try mallory.send(frame: "/join guild")
            #expect(Self.notice(mallory) { $0.hasPrefix("you joined #guild") } != nil)
            try mallory.send(frame: "/topic mine")
            #expect(Self.notice(mallory) { $0.hasPrefix("error:") } == "error: you are not an operator of #guild")
            // An operator by account stays one.
            try alice.send(frame: "/op mallory")
            #expect(alice.receiveUntil(.notice("alice sets mode +o mallory on #guild")) != nil)
            try alice.send(frame: "/deop mallory")
            #expect(alice.receiveUntil(.notice("alice sets mode -o mallory on #guild")) != nil)
            #expect(d.stop() != nil)
        }
        let d = try Self.daemon(dir)
        defer { d.stop() }
        // A guest who is first into the founded room gets nothing.
        let bob = try E2EClient.login(port: d.port, name: "bob")
        try bob.send(frames: ["/join guild", "/mode +m"])
        #expect(Self.notice(bob) { $0.hasPrefix("error:") } == "error: you are not an operator of #guild")
        // The founder logs in, comes back, and is the operator again.
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "/login correct horse")
        #expect(Self.notice(alice) { $0.hasPrefix("you are logged in") } != nil)
        try alice.send(frames: ["/join guild", "/kick bob enough"])
        #expect(bob.receiveUntil(.notice("alice kicked bob from #guild (enough)")) != nil)
        // Admins: /kill, /gban of an account (refused at log-in); others may not.
        try alice.send(frame: "/kill bob")
        #expect(Self.notice(alice) { $0.hasPrefix("error:") } == "error: only server admins can do that (log in to an admin account)")
        let root = try Self.register(d.port, "root", password: "root password")
        try root.send(frame: "/kill bob spamming")
        #expect(bob.receiveUntil { $0.text == "killed by root: spamming" } != nil)
        #expect(bob.expectClosed())
        try root.send(frame: "/gban ~a:mallory 1h spam account")
        #expect(Self.notice(root) { $0.hasPrefix("server ban") } == "server ban ~a:mallory added for 1h")
        let mallory = try E2EClient.login(port: d.port, name: "mallory")
        try mallory.send(frame: "/login mallory pass")
        #expect(mallory.receiveUntil { $0.text == "error: you are banned from this server: spam account" } != nil)
        #expect(mallory.expectClosed())
        try root.send(frame: "/gbans")
        #expect(Self.notice(root) { $0.hasPrefix("~a:mallory") } == "~a:mallory (by root: spam account)")
        // An admin is an operator everywhere, also in a room it did not found.
        try root.send(frames: ["/join guild", "/mode +s"])
        #expect(root.receiveUntil(.notice("root sets mode +s on #guild")) != nil)
    }
}
