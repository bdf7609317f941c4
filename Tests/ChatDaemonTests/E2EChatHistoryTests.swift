// Issue 14: IRCv3 draft/chathistory against a real daemon with the SQLite store, and
// --history-private (private messages archived only when asked, readable only by their two
// nicknames).

@testable import ChatDaemon
import Foundation
import Testing

@Suite("E2E CHATHISTORY")
struct E2EChatHistoryTests {
    static let caps = ["server-time", "batch", "message-tags", "draft/chathistory"]

    final class StateDir {
        let path: String
        init() throws {
            var template = Array("/tmp/chatd-e2e-chathistory-XXXXXX".utf8CString)
            guard let p = mkdtemp(&template) else { throw E2EError("mkdtemp") }
            path = String(cString: p)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func daemon(_ dir: StateDir, historyPrivate: Bool = false) throws -> (E2EDaemon, Int) {
        let d = try E2EDaemon { c in
            c.listen.append(ListenAddress(.irc, host: "127.0.0.1", port: 0))
            c.serverName = "irc.test"
            c.historyStore = .sqlite
            c.stateDir = dir.path
            c.historyCommitMs = 10
            c.historyPrivate = historyPrivate
            c.msgRate = 0
        }
        return (d, d.server.port(for: .irc)!)
    }

    /// One line of a batch: its tags and what follows them.
    struct Line {
        var tags: [String: String]
        var body: String
        var text: String { body.components(separatedBy: " :").dropFirst().joined(separator: " :") }
        var msgid: String { tags["msgid"] ?? "" }

        init(_ raw: String) {
            var tags: [String: String] = [:]
            var body = raw
            if raw.hasPrefix("@"), let space = raw.firstIndex(of: " ") {
                for pair in raw[raw.index(after: raw.startIndex)..<space].split(separator: ";") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    tags[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
                }
                body = String(raw[raw.index(after: space)...])
            }
            self.tags = tags
            self.body = body
        }
    }

    /// Sends one CHATHISTORY command and returns the batch's lines (checking the batch frame and
    /// that every line carries its batch, time and msgid tags), or the FAIL line as `fail`.
    static func query(_ c: IRCTestClient, _ command: String) -> (lines: [Line], fail: String?) {
        c.send("CHATHISTORY " + command)
        guard let first = c.line() else { Issue.record("no reply to \(command)"); return ([], nil) }
        if first.hasPrefix(":irc.test FAIL ") { return ([], first) }
        let open = first.split(separator: " ")
        guard open.count >= 5, open[1] == "BATCH", open[2].hasPrefix("+"), open[3] == "chathistory" else {
            Issue.record("\(command): expected a chathistory batch, got \(first)")
            return ([], nil)
        }
        let id = String(open[2].dropFirst())
        let rest = c.until { $0 == ":irc.test BATCH -\(id)" } ?? []
        #expect(!rest.isEmpty, "\(command): the batch \(id) was not closed")
        let lines = rest.dropLast().map(Line.init)
        for l in lines {
            #expect(l.tags["batch"] == id && l.tags["time"]?.hasSuffix("Z") == true && Int(l.msgid) != nil, "\(command): \(l)")
        }
        return (lines, nil)
    }

    static func texts(_ r: (lines: [Line], fail: String?)) -> [String] { r.lines.map(\.text) }

    @Test func pagesARoomBySelectorsAndKeepsIDsAcrossARestart() throws {
        let dir = try StateDir()
        var latestIDs: [String] = []
        var liveID = ""
        do {
            let (d, ircPort) = try Self.daemon(dir)
            defer { d.stop() }
            let writer = try IRCTestClient.register(port: ircPort, nick: "writer")
            writer.send("JOIN #lobby", "JOIN #other")
            for i in 1...30 { writer.send("PRIVMSG #lobby :m\(i)") }
            writer.send("PRIVMSG #other :elsewhere")
            _ = writer.sync()

            let c = try IRCTestClient(port: ircPort)
            c.send("CAP LS 302", "NICK reader", "USER reader 0 * :R", "CAP REQ :" + Self.caps.joined(separator: " "), "CAP END")
            let burst = c.until { $0.contains(" 422 ") || $0.contains(" 376 ") } ?? []
            #expect(burst.contains { $0.contains("CAP * LS") && $0.contains("draft/chathistory") })
            #expect(burst.contains { $0.contains(" 005 reader ") && $0.contains("CHATHISTORY=100") && $0.contains("MSGREFTYPES=msgid,timestamp") })
            // A chathistory client fetches history itself: its join replays none.
            c.send("JOIN #lobby")
            let join = c.until { $0.contains(" 366 ") } ?? []
            #expect(!join.contains { $0.contains("BATCH") || $0.contains("PRIVMSG") }, "\(join)")

            let latest = Self.query(c, "LATEST #LOBBY * 10")
            #expect(Self.texts(latest) == (21...30).map { "m\($0)" })
            // Archived events name their sender's nick; the host says they come from history.
            #expect(latest.lines.first?.body == ":writer!writer@history PRIVMSG #lobby :m21")
            latestIDs = latest.lines.map(\.msgid)
            let id = { (n: Int) -> String in latest.lines[n - 21].msgid }

            #expect(Self.texts(Self.query(c, "BEFORE #lobby msgid=\(id(21)) 5")) == (16...20).map { "m\($0)" })
            let older = Self.query(c, "BEFORE #lobby msgid=\(id(21)) 5").lines
            #expect(Self.texts(Self.query(c, "AFTER #lobby msgid=\(older[0].msgid) 3")) == ["m17", "m18", "m19"])
            #expect(Self.texts(Self.query(c, "AROUND #lobby msgid=\(id(25)) 4")) == ["m23", "m24", "m25", "m26"])
            #expect(Self.texts(Self.query(c, "LATEST #lobby msgid=\(id(27)) 10")) == ["m28", "m29", "m30"])
            #expect(Self.texts(Self.query(c, "BETWEEN #lobby msgid=\(id(22)) msgid=\(id(28)) 10")) == (23...27).map { "m\($0)" })
            // Newer reference first: the page nearest it.
            #expect(Self.texts(Self.query(c, "BETWEEN #lobby msgid=\(id(28)) msgid=\(id(22)) 2")) == ["m26", "m27"])
            #expect(Self.texts(Self.query(c, "BETWEEN #lobby msgid=\(id(22)) msgid=\(id(28)) 2")) == ["m23", "m24"])
            // Timestamps: everything is after 2000 and before 2100.
            #expect(Self.texts(Self.query(c, "AFTER #lobby timestamp=2000-01-01T00:00:00.000Z 3")) == ["m1", "m2", "m3"])
            #expect(Self.texts(Self.query(c, "BEFORE #lobby timestamp=2100-01-01T00:00:00.000Z 2")) == ["m29", "m30"])
            #expect(Self.texts(Self.query(c, "AFTER #lobby timestamp=2100-01-01T00:00:00.000Z 2")).isEmpty)
            // A timestamp taken from a message's own tag: AFTER is the messages of later
            // milliseconds, BEFORE those of earlier ones (times in this format sort as text).
            let all = Self.query(c, "LATEST #lobby * 100").lines
            let t21 = latest.lines[0].tags["time"]!
            #expect(Self.texts(Self.query(c, "AFTER #lobby timestamp=\(t21) 100")) == all.filter { $0.tags["time"]! > t21 }.map(\.text))
            #expect(Self.texts(Self.query(c, "BEFORE #lobby timestamp=\(t21) 100")) == all.filter { $0.tags["time"]! < t21 }.map(\.text))
            // AROUND a timestamp: centred on the first message at or after it.
            let pivot = try #require(all.firstIndex { $0.tags["time"]! >= t21 })
            #expect(Self.texts(Self.query(c, "AROUND #lobby timestamp=\(t21) 4"))
                    == all[max(0, pivot - 2)..<min(all.count, pivot + 2)].map(\.text))
            // Limits above CHATHISTORY=100 are capped, not refused.
            #expect(Self.texts(Self.query(c, "LATEST #lobby * 5000")).count == 30)
            // A msgid of another room names nothing here: an empty batch.
            let other = Self.query(c, "LATEST #other * 1")
            #expect(Self.texts(other) == ["elsewhere"])
            #expect(Self.query(c, "BEFORE #lobby msgid=\(other.lines[0].msgid) 10").lines.isEmpty)
            #expect(Self.query(c, "BEFORE #lobby msgid=999999 10").lines.isEmpty)
            #expect(Self.query(c, "LATEST #empty * 10").lines.isEmpty)
            // Bad requests get FAIL, and the connection carries on.
            #expect(Self.query(c, "LATEST #lobby * 0").fail == ":irc.test FAIL CHATHISTORY INVALID_PARAMS LATEST :Invalid parameters")
            #expect(Self.query(c, "BEFORE #lobby * 10").fail == ":irc.test FAIL CHATHISTORY INVALID_PARAMS BEFORE :Invalid parameters")
            #expect(Self.query(c, "LATEST #lobby").fail == ":irc.test FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :Missing parameters")
            #expect(Self.query(c, "TARGETS x y 1").fail == ":irc.test FAIL CHATHISTORY UNKNOWN_COMMAND TARGETS :Unknown command")
            #expect(Self.query(c, "LATEST #bad,name * 1").fail == ":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST #bad,name :Messages could not be retrieved")
            // Private history is off by default: a nick is no target.
            #expect(Self.query(c, "LATEST writer * 1").fail == ":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST writer :Messages could not be retrieved")
            // Live messages carry the same msgid that CHATHISTORY names them by; a client
            // without tags gets the same line from past the tag section.
            let plain = try IRCTestClient.register(port: ircPort, nick: "plain")
            plain.send("JOIN #lobby")
            _ = plain.until { $0.hasSuffix(":end of history") }
            _ = c.until { $0.contains("JOIN #lobby") && $0.contains("plain") }
            writer.send("PRIVMSG #lobby :live one")
            let live = Line(c.line() ?? "")
            #expect(live.body == ":writer!writer@irc PRIVMSG #lobby :live one" && live.tags["time"] != nil)
            #expect(plain.line() == ":writer!writer@irc PRIVMSG #lobby :live one")
            #expect(Self.query(c, "LATEST #lobby * 1").lines.map(\.msgid) == [live.msgid])
            liveID = live.msgid
            #expect(c.sync().isEmpty)
        }
        // The ids are the store's: the same after a restart.
        let (d, ircPort) = try Self.daemon(dir)
        defer { d.stop() }
        let c = try IRCTestClient.register(port: ircPort, nick: "again", caps: Self.caps)
        let latest = Self.query(c, "LATEST #lobby * 11")
        #expect(Self.texts(latest) == (21...30).map { "m\($0)" } + ["live one"])
        #expect(latest.lines.map(\.msgid) == latestIDs + [liveID])
    }

    @Test func privateHistoryIsKeptOnlyWhenAskedAndOnlyForItsTwoNicks() throws {
        let dir = try StateDir()
        do {
            // Off (the default): nothing private reaches the archive.
            let (d, ircPort) = try Self.daemon(dir)
            defer { d.stop() }
            let alice = try IRCTestClient.register(port: ircPort, nick: "alice")
            let bob = try IRCTestClient.register(port: ircPort, nick: "bob")
            alice.send("PRIVMSG bob :unstored")
            #expect(bob.line()?.hasSuffix("PRIVMSG bob :unstored") == true)
        }
        let (d, ircPort) = try Self.daemon(dir, historyPrivate: true)
        defer { d.stop() }
        let alice = try IRCTestClient.register(port: ircPort, nick: "alice", caps: Self.caps)
        let bob = try IRCTestClient.register(port: ircPort, nick: "bob", caps: Self.caps)
        let carol = try IRCTestClient.register(port: ircPort, nick: "carol", caps: Self.caps)
        alice.send("PRIVMSG bob :secret one")
        let live = bob.line() ?? ""
        #expect(live.hasSuffix(":alice!alice@irc PRIVMSG bob :secret one"))
        bob.send("PRIVMSG Alice :\u{1}ACTION answers\u{1}")
        #expect(alice.line()?.hasSuffix("PRIVMSG alice :\u{1}ACTION answers\u{1}") == true)
        carol.send("PRIVMSG bob :from carol")
        _ = bob.line()
        _ = carol.sync()

        // Each side sees the conversation as it was delivered, oldest first, without the
        // message sent while private history was off.
        let forBob = Self.query(bob, "LATEST alice * 10").lines.map(\.body)
        #expect(forBob == [":alice!alice@history PRIVMSG bob :secret one", ":bob!bob@history PRIVMSG alice :\u{1}ACTION answers\u{1}"])
        let forAlice = Self.query(alice, "LATEST BOB * 10").lines.map(\.body)
        #expect(forAlice == [":alice!alice@history PRIVMSG BOB :secret one", ":bob!bob@history PRIVMSG alice :\u{1}ACTION answers\u{1}"])
        // A third nick sees only its own conversation with bob, never alice's.
        #expect(Self.texts(Self.query(carol, "LATEST bob * 10")) == ["from carol"])
        #expect(Self.query(carol, "LATEST alice * 10").lines.isEmpty)
        // …and cannot reach alice's messages through a msgid either.
        let aliceFirst = Self.query(alice, "LATEST bob * 1").lines[0].msgid
        #expect(Self.query(carol, "AROUND alice msgid=\(aliceFirst) 10").lines.isEmpty)
        #expect(Self.query(carol, "AROUND bob msgid=\(aliceFirst) 10").lines.isEmpty)
        // A room's history does not include private messages.
        #expect(Self.query(carol, "LATEST #bob * 10").lines.isEmpty)

        // Framed clients page through the same conversations with /history @NAME; each line
        // names its writer.
        let dora = try E2EClient.login(port: d.port, name: "dora")
        alice.send("PRIVMSG dora :to framed")
        #expect(dora.receive() == Msg("alice", "(private) to framed"))
        try dora.send(frame: "/msg alice back")
        #expect(dora.receive() == .notice("(private to alice) back"))
        _ = alice.line()
        try dora.send(frame: "/history @ALICE")
        #expect(dora.receive(count: 4) == [
            .notice("history: 2 messages with ALICE, 1 to 2"), Msg("alice", "(private) to framed"), Msg("dora", "(private) back"),
            .notice("end of history"),
        ])
        try dora.send(frame: "/history @alice before 2")
        #expect(dora.receive(count: 3) == [
            .notice("history: 1 messages with alice, 1 to 1"), Msg("alice", "(private) to framed"), .notice("end of history"),
        ])
        try dora.send(frame: "/history @bob")
        #expect(dora.receive() == .notice("no history with bob"))
    }

    @Test func framedPrivateHistoryIsRefusedWhenOff() throws {
        let dir = try StateDir()
        let (d, _) = try Self.daemon(dir)
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "ann")
        let b = try E2EClient.login(port: d.port, name: "ben")
        #expect(a.receive() == .notice("ben joined #lobby"))
        try a.send(frame: "/msg ben hello")
        #expect(a.receive() == .notice("(private to ben) hello"))
        try a.send(frame: "/history @ben")
        #expect(a.receive() == .notice("error: this server does not keep private messages"))
        #expect(b.receive() == Msg("ann", "(private) hello"))
    }
}
