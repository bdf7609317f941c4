import EventLoop
import Room
import Synchronization
import Testing

@Suite("ChatHub with three fake loops")
struct ChatHubTests {
    let alice = user(0, 1), bob = user(2, 2), carol = user(1, 3)

    @Test func publishGoesOnlyToLoopsWithMembers() {
        let f = FakeLoops()
        let rust = f.join(alice, "alice", "rust")
        f.join(bob, "bob", "rust")
        _ = f.takeAll()
        let before = f.rings
        let frame = msg("alice", "hi")
        f.hub.publish(frame, in: rust, except: alice, currentLoop: 0)
        let boxes = f.takeAll()
        #expect(boxes.map { $0.map(describe) } == [
            ["deliver r1 [alice: hi] except 0/1#1"],
            [],
            ["deliver r1 [alice: hi] except 0/1#1"],
        ])
        // The publisher's own loop is posted quietly; only loop 2 was rung; loop 1 untouched.
        #expect(zip(f.rings, before).map { $0 - $1 } == [0, 0, 1])
        for box in boxes {
            for case .deliver(_, let delivered, _) in box { #expect(delivered === frame) }
        }
        #expect(rust.historyCount == 1)
    }

    @Test func joinedCarriesTheHistory() {
        let f = FakeLoops()
        let rust = f.join(alice, "alice", "rust")
        let sent = (1...3).map { msg("alice", "m\($0)") }
        for m in sent { f.hub.publish(m, in: rust, except: alice, currentLoop: 0) }
        _ = f.takeAll()

        #expect(f.join(carol, "carol", "RUST", sequence: 7) === rust)
        let boxes = f.takeAll()
        #expect(boxes.map { $0.map(describe) } == [
            ["deliver r1 [*: carol joined #rust] except 1/3#1"],
            [
                "joined 1/3#1 #rust seq 7 history [\"alice: m1\", \"alice: m2\", \"alice: m3\"]",
                "deliver r1 [*: carol joined #rust] except 1/3#1",
            ],
            [],
        ])
        guard case .joined(let j) = boxes[1].first else {
            Issue.record("no .joined")
            return
        }
        // The history holds the very events that were sent live.
        #expect(j.history.count == sent.count)
        for (r, s) in zip(j.history, sent) { #expect(r === s) }
        // Sequence numbers follow the room's order.
        #expect(sent.map(\.sequence) == [2, 3, 4])  // 1 was alice's join
        #expect(rust.memberNames == ["alice", "carol"])
        #expect(rust.memberCount == 2)
    }

    @Test func joinWithoutHistoryHasAnEmptyReplay() {
        let f = FakeLoops()
        f.join(alice, "alice", "lobby", sequence: 1)
        #expect(f.take(0).map(describe) == [
            "joined 0/1#1 #lobby seq 1 history []",
            "deliver r1 [*: alice joined #lobby] except 0/1#1",
        ])
    }

    @Test func replayIsCappedByTheHistorySize() {
        var limits = ChatLimits()
        limits.history = 2
        let f = FakeLoops(limits: limits)
        let room = f.join(alice, "alice", "r")
        for i in 1...5 { f.hub.publish(msg("alice", "\(i)"), in: room, except: alice, currentLoop: 0) }
        f.join(carol, "carol", "r", sequence: 2)
        let first = f.take(1).first.map(describe)
        #expect(first == "joined 1/3#1 #r seq 2 history [\"alice: 4\", \"alice: 5\"]")
    }

    @Test func messagesAfterAJoinFollowTheJoinedMessage() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "r")
        f.hub.publish(msg("alice", "before"), in: room, except: alice, currentLoop: 0)
        _ = f.takeAll()
        f.join(carol, "carol", "r", sequence: 1)
        f.hub.publish(msg("alice", "after"), in: room, except: alice, currentLoop: 0)
        #expect(f.take(1).map(describe) == [
            "joined 1/3#1 #r seq 1 history [\"alice: before\"]",
            "deliver r1 [*: carol joined #r] except 1/3#1",
            "deliver r1 [alice: after] except 0/1#1",
        ])
    }

    @Test func leaveNotifiesTheRemainingLoopsOnly() {
        let f = FakeLoops()
        let rust = f.join(alice, "alice", "rust")
        f.join(bob, "bob", "rust")
        _ = f.takeAll()
        let before = f.rings
        f.hub.leave(bob, room: rust, event: event(.part, "bob", "rust"), currentLoop: 2)
        #expect(f.takeAll().map { $0.map(describe) } == [["deliver r1 [*: bob left #rust] except 2/2#1"], [], []])
        #expect(zip(f.rings, before).map { $0 - $1 } == [1, 0, 0])
        #expect(rust.memberNames == ["alice"])

        // Leaving again, or leaving silently, posts nothing.
        f.hub.leave(bob, room: rust, event: event(.part, "bob", "rust"), currentLoop: 2)
        #expect(f.takeAll().allSatisfy { $0.isEmpty })
        // Publishing now reaches loop 0 only.
        f.hub.publish(msg("alice", "x"), in: rust, except: alice, currentLoop: 0)
        #expect(f.takeAll().map(\.count) == [1, 0, 0])
    }

    @Test func lastLeaveRemovesARoomWithoutHistory() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "tmp")
        #expect(f.hub.rooms.count == 1)
        f.hub.leave(alice, room: room, event: nil, currentLoop: 0)
        #expect(f.hub.rooms.count == 0)
        #expect(room.memberCount == 0)
        // A joiner holding the removed room object gets a fresh room by name.
        let again = f.join(bob, "bob", "tmp")
        #expect(again !== room)
    }

    @Test func lastLeaveKeepsARoomWithHistory() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "kept")
        f.hub.publish(msg("alice", "x"), in: room, except: alice, currentLoop: 0)
        f.hub.leave(alice, room: room, event: event(.part, "alice", "kept"), currentLoop: 0)
        #expect(f.hub.rooms.count == 1)
        #expect(f.join(bob, "bob", "kept") === room)
    }

    @Test func twoMembersOnOneLoopKeepTheLoopSubscribed() {
        let f = FakeLoops()
        let u1 = user(1, 10), u2 = user(1, 11)
        let room = f.join(u1, "u1", "r")
        f.join(u2, "u2", "r")
        f.hub.leave(u1, room: room, event: nil, currentLoop: 1)
        _ = f.takeAll()
        f.hub.publish(msg("u2", "still here"), in: room, except: u2, currentLoop: 1)
        #expect(f.takeAll().map(\.count) == [0, 1, 0])
        f.hub.leave(u2, room: room, event: nil, currentLoop: 1)
        f.hub.publish(msg("ghost", "nobody"), in: room, except: u2, currentLoop: 1)
        #expect(f.takeAll().map(\.count) == [0, 0, 0])
    }

    @Test func renamedAnnouncesToEveryLoopWithMembersIncludingTheRenamed() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "r")
        f.join(bob, "bob", "r")
        _ = f.takeAll()
        f.hub.renamed(alice, in: room, event: event(.nick, "alice", "r", "alicia"), currentLoop: 0)
        #expect(f.takeAll().map { $0.map(describe) } == [
            ["deliver r1 [*: alice is now known as alicia] except 0/0#0"],
            [],
            ["deliver r1 [*: alice is now known as alicia] except 0/0#0"],
        ])
        #expect(room.memberNames == ["alicia", "bob"])
        f.hub.renamed(carol, in: room, event: event(.nick, "carol", "r", "c"), currentLoop: 1)   // not a member
        #expect(f.takeAll().allSatisfy { $0.isEmpty })
    }

    @Test func directSendRingsOnlyAcrossLoops() {
        let f = FakeLoops()
        f.hub.send(msg("x", "psst", room: nil), to: bob, currentLoop: 0)
        f.hub.send(msg("x", "self", room: nil), to: alice, currentLoop: 0)
        #expect(f.rings == [0, 0, 1])
        #expect(f.takeAll().map { $0.map(describe) } == [["direct 0/1#1 [x: self]"], [], ["direct 2/2#1 [x: psst]"]])
    }

    @Test func reconfigureAndShutdownReachEveryLoop() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "r")
        for i in 0..<10 { f.hub.publish(msg("alice", "\(i)"), in: room, except: alice, currentLoop: 0) }
        _ = f.takeAll()
        let before = f.rings
        var limits = f.hub.limits
        limits.history = 3
        f.hub.reconfigure(limits)
        #expect(f.hub.limits == limits)
        #expect(room.historyCount == 3)
        f.hub.shutdown(deadline: 42)
        #expect(f.takeAll().map { $0.map(describe) } == Array(repeating: ["reconfigure history 3", "shutdown 42"], count: 3))
        #expect(zip(f.rings, before).map { $0 - $1 } == [1, 1, 1])
    }

    @Test func joinFailsWhenTheRoomCapIsReached() {
        var limits = ChatLimits()
        limits.maxRooms = 2
        let f = FakeLoops(limits: limits)
        f.join(alice, "alice", "lobby")
        f.join(bob, "bob", "one")
        _ = f.takeAll()
        let r = f.hub.join(carol, source: source("carol"), roomName: "two", sequence: 1, currentLoop: 1)
        guard case .failure(let e) = r else {
            Issue.record("join succeeded past maxRooms")
            return
        }
        #expect(e == .tooManyRooms)
        #expect(e.description == "too many rooms; try an existing one (/rooms)")
        #expect(f.takeAll().allSatisfy { $0.isEmpty })
    }

    // MARK: admission

    @Test func admissionLimitsPerAddressAndTotal() {
        var limits = ChatLimits()
        limits.maxConnsPerIP = 2
        limits.maxConns = 3
        let hub = FakeLoops(limits: limits).hub
        #expect(hub.admit(address: "10.0.0.1", limits: limits) == nil)
        #expect(hub.admit(address: "10.0.0.1", limits: limits) == nil)
        #expect(hub.admit(address: "10.0.0.1", limits: limits) == .tooManyFromAddress(limit: 2))
        #expect(hub.connectionCount.load(ordering: .relaxed) == 2)
        #expect(hub.admit(address: "10.0.0.2", limits: limits) == nil)
        #expect(hub.admit(address: "10.0.0.3", limits: limits) == .tooManyConnections(limit: 3))
        #expect(hub.connectionCount.load(ordering: .relaxed) == 3)
        hub.release(address: "10.0.0.1")
        #expect(hub.connectionCount.load(ordering: .relaxed) == 2)
        #expect(hub.admit(address: "10.0.0.3", limits: limits) == nil)
        #expect(hub.admit(address: "10.0.0.1", limits: limits) == .tooManyConnections(limit: 3))
        #expect(ChatHub.AdmissionError.tooManyConnections(limit: 3).description == "server full (3 connections)")
        #expect(ChatHub.AdmissionError.tooManyFromAddress(limit: 2).description
            == "too many connections from your address (limit 2)")
    }

    @Test func zeroMeansNoAdmissionLimit() {
        var limits = ChatLimits()
        limits.maxConnsPerIP = 0
        limits.maxConns = 0
        let hub = FakeLoops(limits: limits).hub
        for _ in 0..<1000 { #expect(hub.admit(address: "::1", limits: limits) == nil) }
        #expect(hub.connectionCount.load(ordering: .relaxed) == 1000)
        for _ in 0..<1000 { hub.release(address: "::1") }
        #expect(hub.connectionCount.load(ordering: .relaxed) == 0)
    }

    @Test func releaseFreesThePerAddressSlot() {
        var limits = ChatLimits()
        limits.maxConnsPerIP = 1
        let hub = FakeLoops(limits: limits).hub
        #expect(hub.admit(address: "a", limits: limits) == nil)
        #expect(hub.admit(address: "a", limits: limits) == .tooManyFromAddress(limit: 1))
        hub.release(address: "a")
        #expect(hub.admit(address: "a", limits: limits) == nil)
        #expect(hub.connectionCount.load(ordering: .relaxed) == 1)
    }

    @Test func concurrentAdmissionNeverExceedsTheLimits() {
        var limits = ChatLimits()
        limits.maxConnsPerIP = 5
        limits.maxConns = 12
        let hub = FakeLoops(limits: limits).hub
        let admitted = Mutex<[String: Int]>([:])
        let barrier = StartBarrier(parties: 8)
        let fixed = limits
        let threads = (0..<8).map { t in
            LoopThread.spawn(name: "admit-\(t)") {
                barrier.arriveAndWait()
                for i in 0..<50 {
                    let address = "10.0.0.\((t + i) % 4)"
                    if hub.admit(address: address, limits: fixed) == nil {
                        admitted.withLock { $0[address, default: 0] += 1 }
                    }
                }
            }
        }
        for t in threads { t.join() }
        let counts = admitted.withLock { $0 }
        #expect(counts.values.reduce(0, +) == 12)
        #expect(counts.values.allSatisfy { $0 <= 5 })
        #expect(hub.connectionCount.load(ordering: .relaxed) == 12)
    }

    // MARK: ordering

    /// Six publisher threads (two per loop) publish 500 messages each into one room that has
    /// members on all three loops: every loop's mailbox holds the same frames in the same order,
    /// each publisher's messages stay in send order, and the history is the tail of that order.
    @Test func concurrentPublishersGiveEveryLoopTheSameOrder() {
        let f = FakeLoops()
        let room = f.join(user(0, 1), "a", "busy")
        f.join(user(1, 1), "b", "busy")
        f.join(user(2, 1), "c", "busy")
        _ = f.takeAll()
        let publishers = 6, perPublisher = 500
        let barrier = StartBarrier(parties: publishers)
        let hub = f.hub
        let threads = (0..<publishers).map { p in
            LoopThread.spawn(name: "pub-\(p)") {
                let me = ConnectionID(loop: p % 3, slot: 100 + p, generation: 1)
                barrier.arriveAndWait()
                for i in 0..<perPublisher {
                    hub.publish(msg("p\(p)", "\(i)"), in: room, except: me, currentLoop: p % 3)
                }
            }
        }
        for t in threads { t.join() }

        let boxes = f.takeAll().map { box in
            box.compactMap { m -> RoomEvent? in
                if case .deliver(let id, let event, _) = m, id == room.id { return event }
                return nil
            }
        }
        #expect(boxes.map(\.count) == [3000, 3000, 3000])
        let reference = boxes[0]
        for box in boxes.dropFirst() {
            #expect(box.count == reference.count)
            #expect(zip(box, reference).allSatisfy { $0 === $1 })
        }
        var next = Array(repeating: 0, count: publishers)
        for frame in reference {
            let p = Int(frame.source.nick.dropFirst())!, i = Int(frame.text)!
            #expect(i == next[p], "publisher \(p) out of order")
            next[p] = i + 1
        }
        #expect(next == Array(repeating: perPublisher, count: publishers))
        #expect(room.historyCount == 50)
        // A late joiner's replay is exactly the last 50 of that order.
        f.join(user(1, 99), "late", "busy")
        guard case .joined(let j) = f.take(1).first else {
            Issue.record("no .joined")
            return
        }
        #expect(j.history.count == 50)
        #expect(zip(j.history, reference.suffix(50)).allSatisfy { $0 === $1 })
        // The room's sequence numbers give the one order every loop saw.
        #expect(reference.map(\.sequence) == Array(UInt64(4)...UInt64(3003)))
    }
}
