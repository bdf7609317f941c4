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
        let frame = ChatFrames.message(sender: "alice", text: "hi")
        f.hub.publish(frame, in: rust, from: alice, currentLoop: 0)
        let boxes = f.takeAll()
        #expect(boxes.map { $0.map(describe) } == [
            ["deliver r1 [alice: hi] except 0/1#1"],
            [],
            ["deliver r1 [alice: hi] except 0/1#1"],
        ])
        // The publisher's own loop is posted quietly; only loop 2 was rung; loop 1 untouched.
        #expect(zip(f.rings, before).map { $0 - $1 } == [0, 0, 1])
        for box in boxes {
            for case .deliver(_, let delivered, _) in box { #expect(delivered.isSameStorage(as: frame)) }
        }
        #expect(rust.historyCount == 1)
    }

    @Test func joinedCarriesHistoryReplayBracketedByNotices() {
        let f = FakeLoops()
        let rust = f.join(alice, "alice", "rust")
        let sent = (1...3).map { ChatFrames.message(sender: "alice", text: "m\($0)") }
        for m in sent { f.hub.publish(m, in: rust, from: alice, currentLoop: 0) }
        _ = f.takeAll()

        #expect(f.join(carol, "carol", "RUST", sequence: 7) === rust)
        let boxes = f.takeAll()
        #expect(boxes.map { $0.map(describe) } == [
            ["deliver r1 [*: carol joined #rust] except 1/3#1"],
            [
                "joined 1/3#1 #rust seq 7 replay [\"*: history: 3 messages in #rust\", \"alice: m1\", \"alice: m2\", \"alice: m3\", \"*: end of history\"]",
                "deliver r1 [*: carol joined #rust] except 1/3#1",
            ],
            [],
        ])
        guard case .joined(_, _, _, let replay) = boxes[1].first else {
            Issue.record("no .joined")
            return
        }
        // The replay shares the very frames that were sent live.
        for (r, s) in zip(replay.dropFirst().dropLast(), sent) { #expect(r.isSameStorage(as: s)) }
        #expect(rust.memberNames == ["alice", "carol"])
        #expect(rust.memberCount == 2)
    }

    @Test func joinWithoutHistoryHasAnEmptyReplay() {
        let f = FakeLoops()
        f.join(alice, "alice", "lobby", sequence: 1)
        #expect(f.take(0).map(describe) == [
            "joined 0/1#1 #lobby seq 1 replay []",
            "deliver r1 [*: alice joined #lobby] except 0/1#1",
        ])
    }

    @Test func replayIsCappedByTheHistorySize() {
        var limits = ChatLimits()
        limits.history = 2
        let f = FakeLoops(limits: limits)
        let room = f.join(alice, "alice", "r")
        for i in 1...5 { f.hub.publish(ChatFrames.message(sender: "alice", text: "\(i)"), in: room, from: alice, currentLoop: 0) }
        f.join(carol, "carol", "r", sequence: 2)
        let first = f.take(1).first.map(describe)
        #expect(first == "joined 1/3#1 #r seq 2 replay [\"*: history: 2 messages in #r\", \"alice: 4\", \"alice: 5\", \"*: end of history\"]")
    }

    @Test func joinWithoutAnnounceSendsOnlyJoined() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "quiet")
        _ = f.takeAll()
        guard case .success(let r) = f.hub.join(bob, name: "bob", roomName: "quiet", sequence: 1, currentLoop: 2, announce: false) else {
            Issue.record("join failed")
            return
        }
        #expect(r === room)
        #expect(f.takeAll().map { $0.map(describe) } == [[], [], ["joined 2/2#1 #quiet seq 1 replay []"]])
    }

    @Test func messagesAfterAJoinFollowTheJoinedMessage() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "r")
        f.hub.publish(ChatFrames.message(sender: "alice", text: "before"), in: room, from: alice, currentLoop: 0)
        _ = f.takeAll()
        f.join(carol, "carol", "r", sequence: 1)
        f.hub.publish(ChatFrames.message(sender: "alice", text: "after"), in: room, from: alice, currentLoop: 0)
        #expect(f.take(1).map(describe) == [
            "joined 1/3#1 #r seq 1 replay [\"*: history: 1 messages in #r\", \"alice: before\", \"*: end of history\"]",
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
        f.hub.leave(bob, room: rust, notice: "bob left #rust", currentLoop: 2)
        #expect(f.takeAll().map { $0.map(describe) } == [["deliver r1 [*: bob left #rust] except 2/2#1"], [], []])
        #expect(zip(f.rings, before).map { $0 - $1 } == [1, 0, 0])
        #expect(rust.memberNames == ["alice"])

        // Leaving again, or leaving silently, posts nothing.
        f.hub.leave(bob, room: rust, notice: "bob left #rust", currentLoop: 2)
        #expect(f.takeAll().allSatisfy { $0.isEmpty })
        // Publishing now reaches loop 0 only.
        f.hub.publish(ChatFrames.message(sender: "alice", text: "x"), in: rust, from: alice, currentLoop: 0)
        #expect(f.takeAll().map(\.count) == [1, 0, 0])
    }

    @Test func lastLeaveRemovesARoomWithoutHistory() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "tmp")
        #expect(f.hub.rooms.count == 1)
        f.hub.leave(alice, room: room, notice: nil, currentLoop: 0)
        #expect(f.hub.rooms.count == 0)
        #expect(room.memberCount == 0)
        // A joiner holding the removed room object gets a fresh room by name.
        let again = f.join(bob, "bob", "tmp")
        #expect(again !== room)
    }

    @Test func lastLeaveKeepsARoomWithHistory() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "kept")
        f.hub.publish(ChatFrames.message(sender: "alice", text: "x"), in: room, from: alice, currentLoop: 0)
        f.hub.leave(alice, room: room, notice: "alice left #kept", currentLoop: 0)
        #expect(f.hub.rooms.count == 1)
        #expect(f.join(bob, "bob", "kept") === room)
    }

    @Test func twoMembersOnOneLoopKeepTheLoopSubscribed() {
        let f = FakeLoops()
        let u1 = user(1, 10), u2 = user(1, 11)
        let room = f.join(u1, "u1", "r")
        f.join(u2, "u2", "r")
        f.hub.leave(u1, room: room, notice: nil, currentLoop: 1)
        _ = f.takeAll()
        f.hub.publish(ChatFrames.message(sender: "u2", text: "still here"), in: room, from: u2, currentLoop: 1)
        #expect(f.takeAll().map(\.count) == [0, 1, 0])
        f.hub.leave(u2, room: room, notice: nil, currentLoop: 1)
        f.hub.publish(ChatFrames.message(sender: "ghost", text: "nobody"), in: room, from: u2, currentLoop: 1)
        #expect(f.takeAll().map(\.count) == [0, 0, 0])
    }

    @Test func renamedAnnouncesToEveryLoopWithMembersIncludingTheRenamed() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "r")
        f.join(bob, "bob", "r")
        _ = f.takeAll()
        f.hub.renamed(alice, in: room, from: "alice", to: "alicia", currentLoop: 0)
        #expect(f.takeAll().map { $0.map(describe) } == [
            ["deliver r1 [*: alice is now known as alicia] except 0/0#0"],
            [],
            ["deliver r1 [*: alice is now known as alicia] except 0/0#0"],
        ])
        #expect(room.memberNames == ["alicia", "bob"])
        f.hub.renamed(carol, in: room, from: "carol", to: "c", currentLoop: 1)   // not a member
        #expect(f.takeAll().allSatisfy { $0.isEmpty })
    }

    @Test func directSendRingsOnlyAcrossLoops() {
        let f = FakeLoops()
        f.hub.send(ChatFrames.notice("psst"), to: bob, currentLoop: 0)
        f.hub.send(ChatFrames.notice("self"), to: alice, currentLoop: 0)
        #expect(f.rings == [0, 0, 1])
        #expect(f.takeAll().map { $0.map(describe) } == [["direct 0/1#1 [*: self]"], [], ["direct 2/2#1 [*: psst]"]])
    }

    @Test func reconfigureAndShutdownReachEveryLoop() {
        let f = FakeLoops()
        let room = f.join(alice, "alice", "r")
        for i in 0..<10 { f.hub.publish(ChatFrames.message(sender: "alice", text: "\(i)"), in: room, from: alice, currentLoop: 0) }
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
        let r = f.hub.join(carol, name: "carol", roomName: "two", sequence: 1, currentLoop: 1)
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
                    hub.publish(ChatFrames.message(sender: "p\(p)", text: "\(i)"), in: room, from: me, currentLoop: p % 3)
                }
            }
        }
        for t in threads { t.join() }

        let boxes = f.takeAll().map { box in
            box.compactMap { m -> SharedBytes? in
                if case .deliver(let id, let frame, _) = m, id == room.id { return frame }
                return nil
            }
        }
        #expect(boxes.map(\.count) == [3000, 3000, 3000])
        let reference = boxes[0]
        for box in boxes.dropFirst() {
            #expect(box.count == reference.count)
            #expect(zip(box, reference).allSatisfy { $0.isSameStorage(as: $1) })
        }
        var next = Array(repeating: 0, count: publishers)
        for frame in reference {
            let parts = payloads(frame.array)
            let p = Int(parts[0].dropFirst())!, i = Int(parts[1])!
            #expect(i == next[p], "publisher \(p) out of order")
            next[p] = i + 1
        }
        #expect(next == Array(repeating: perPublisher, count: publishers))
        #expect(room.historyCount == 50)
        // A late joiner's replay is exactly the last 50 of that order.
        f.join(user(1, 99), "late", "busy")
        guard case .joined(_, _, _, let replay) = f.take(1).first else {
            Issue.record("no .joined")
            return
        }
        #expect(replay.count == 52)
        #expect(zip(replay.dropFirst().dropLast(), reference.suffix(50)).allSatisfy { $0.isSameStorage(as: $1) })
    }
}
