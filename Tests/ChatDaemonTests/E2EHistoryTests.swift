// Issue 3: room history — replayed on join, before live messages, in the room's order,
// bracketed by notices; capped at --history N; none with --history 0.

@testable import ChatDaemon
import Glibc
import Room
import Synchronization
import Testing

@Suite("E2E history") struct E2EHistoryTests {
    @Test func replayOnLoginThenLive() throws {
        let d = try E2EDaemon { $0.history = 50 }
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        // One after the other (concurrent senders on two loops may be ordered either way).
        try c[0].send(frame: "one")
        #expect(c[1].receive() == Msg("alice", "one"))
        try c[1].send(frame: "two")
        #expect(c[0].receive() == Msg("bob", "two"))
        try c[0].send(frame: "/me three")
        #expect(c[1].receive() == Msg("alice", "/me three"))

        let late = try E2EClient.connect(port: d.port, name: "late")
        let replay = late.receive(count: 5)
        #expect(replay == [
            .notice("history: 3 messages in #lobby"),
            Msg("alice", "one"), Msg("bob", "two"), Msg("alice", "/me three"),
            .notice("end of history"),
        ])
        #expect(c[0].receive() == .notice("late joined #lobby"))
        try c[0].send(frame: "live")
        #expect(late.receive() == Msg("alice", "live"))
        #expect(late.drain(for: 0.2) == [])
    }

    @Test func replayOnJoinAfterTheJoinReply() throws {
        let d = try E2EDaemon { $0.history = 50 }
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["alice", "bob"])
        try c[0].send(frame: "/join den")
        #expect(c[0].receive() == .notice("you joined #den (1 members)"))
        #expect(c[1].receive() == .notice("alice left #lobby"))
        for i in 0..<5 { try c[0].send(frame: "den \(i)") }
        try c[0].sync()
        try c[1].send(frame: "/join den")
        let got = c[1].receive(count: 8)
        #expect(got == [.notice("you joined #den (2 members)"), .notice("history: 5 messages in #den")]
                + (0..<5).map { Msg("alice", "den \($0)") } + [.notice("end of history")])
        // Join notices and private messages are not history.
        try c[1].send(frame: "/msg alice secret")
        #expect(c[1].receive() == .notice("(private to alice) secret"))
        let newcomer = try E2EClient.login(port: d.port, name: "carol")
        try newcomer.send(frame: "/join den")
        let replay = newcomer.receiveUntil(.notice("end of history")) ?? newcomer.partial
        #expect(replay.filter { !$0.isNotice } == (0..<5).map { Msg("alice", "den \($0)") })
    }

    @Test func historyIsCappedAtN() throws {
        let d = try E2EDaemon { $0.history = 3 }
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "alice")
        for i in 0..<10 { try a.send(frame: "m\(i)") }
        try a.sync()
        let late = try E2EClient.connect(port: d.port, name: "late")
        #expect(late.receive(count: 5) == [
            .notice("history: 3 messages in #lobby"), Msg("alice", "m7"), Msg("alice", "m8"), Msg("alice", "m9"),
            .notice("end of history"),
        ])
    }

    @Test func historyZeroMeansNone() throws {
        let d = try E2EDaemon { $0.history = 0 }
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "alice")
        for i in 0..<5 { try a.send(frame: "m\(i)") }
        try a.sync()
        let late = try E2EClient.connect(port: d.port, name: "late")
        try late.send(frame: "/join lobby")
        #expect(late.receive() == .notice("you are already in #lobby"))
        #expect(late.drain(for: 0.2) == [])
    }

    @Test func emptyRoomKeepsItsHistory() throws {
        let d = try E2EDaemon { $0.history = 50 }
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "alice")
        try a.send(frame: "/join attic")
        #expect(a.receive() == .notice("you joined #attic (1 members)"))
        try a.send(frame: "left behind")
        try a.send(frame: "/leave")
        #expect(a.receive() == .notice("you joined #lobby (1 members)"))
        try a.send(frame: "/rooms")
        #expect(a.receive() == .notice("rooms: #attic (0), #lobby (1)"))
        let b = try E2EClient.login(port: d.port, name: "bob")
        try b.send(frame: "/join attic")
        let got = b.receiveUntil(.notice("end of history")) ?? b.partial
        #expect(got.filter { !$0.isNotice } == [Msg("alice", "left behind")], "got \(got)")
        #expect(got.contains(.notice("history: 1 messages in #attic")))
    }

    @Test func replayOrderMatchesLiveOrderAcrossLoops() throws {
        // Four loops, four senders: the replay equals what a live member saw, in that order.
        let d = try E2EDaemon { $0.history = 200; $0.threads = 4 }
        defer { d.stop() }
        let names = ["s0", "s1", "s2", "s3", "watch"]
        let c = try loginAll(port: d.port, names)
        for i in 0..<40 {
            for s in 0..<4 { c[s].sendRaw(encodeFrame("\(names[s]) #\(i)")) }
        }
        let live = c[4].receive(count: 160) ?? c[4].partial
        #expect(live.count == 160)
        let late = try E2EClient.connect(port: d.port, name: "late")
        let replay = late.receive(count: 162) ?? late.partial
        #expect(replay.first == .notice("history: 160 messages in #lobby"))
        #expect(replay.last == .notice("end of history"))
        #expect(Array(replay.dropFirst().dropLast()) == live, "replay differs from the live order")
    }

    /// `--history-budget-bytes` bounds the history of all rooms together even when every room
    /// holding it is occupied (issue 10: the old rule only dropped empty rooms, so occupied
    /// ones grew to connections × 1 MiB). The oldest messages go first.
    @Test func budgetBoundsHistoryOfOccupiedRooms() throws {
        let budget = 2 << 20
        let d = try E2EDaemon { $0.history = 50; $0.historyBudgetBytes = budget }
        defer { d.stop() }
        let rooms = 60, perRoom = 10
        let payload = String(repeating: "x", count: 60_000)
        var clients: [E2EClient] = []
        for r in 0..<rooms {
            let c = try E2EClient.login(port: d.port, name: "owner\(r)")
            try c.send(frame: "/join budget\(r)")
            for m in 0..<perRoom { try c.send(frame: "m\(m) " + payload) }
            try c.sync(timeout: 20)
            clients.append(c)
            let held = d.server.hub.rooms.historyBytes.load(ordering: .relaxed)
            // Loops evict after their own publish: at most one message per loop in flight.
            #expect(held <= budget + d.config.threads * 61_000, "after room \(r): \(held) bytes held")
        }
        // 60 × 600 KB went in; about the budget is kept, all of it in the newest rooms.
        let held = d.server.hub.rooms.historyBytes.load(ordering: .relaxed)
        #expect(held > budget / 2, "\(held) bytes held")
        let reader = try E2EClient.login(port: d.port, name: "reader")
        try reader.send(frame: "/join budget\(rooms - 1)")
        let newest = reader.receiveUntil(.notice("end of history"), timeout: 20) ?? reader.partial
        #expect(newest.filter { !$0.isNotice }.map { String($0.text.prefix(3)) } == (0..<perRoom).map { "m\($0) " })
        try reader.send(frame: "/join budget0")
        let oldest = reader.receiveUntil(timeout: 20) { $0.isNotice && $0.text.hasPrefix("you joined #budget0") } ?? reader.partial
        #expect(!oldest.contains { !$0.isNotice }, "the oldest room kept history: \(oldest.count) frames")
        #expect(reader.drain(for: 0.2).filter { !$0.isNotice }.isEmpty)
        for c in clients { c.close() }
    }
}
