import EventLoop
@testable import Room
import Synchronization
import Testing

/// The daemon-wide history budget (`ChatLimits.historyBudgetBytes`, `HistoryLedger`): a hard
/// bound even when every room holding history is occupied, at work per publish that does not
/// depend on the number of rooms.
@Suite("History budget")
struct HistoryBudgetTests {
    static func limits(budget: Int, history: Int = 50) -> ChatLimits {
        var l = ChatLimits()
        l.historyBudgetBytes = budget
        l.history = history
        return l
    }

    /// A message charged about `size` bytes of history (`RoomEvent.historyBytes`).
    static func message(_ i: Int, size: Int) -> RoomEvent {
        let tag = "\(i):"
        return msg("u", tag + String(repeating: "x", count: max(0, size - 128 - tag.count)))
    }

    /// Bytes the rooms really hold, summed room by room (what the counter must agree with).
    static func heldBytes(_ hub: ChatHub, _ names: [String]) -> Int {
        names.reduce(0) { sum, name in
            guard case .success(let room) = hub.rooms.room(named: name, limits: hub.limits) else { return sum }
            return sum + room.state.withLock { $0.history.bytes }
        }
    }

    static func examined(_ hub: ChatHub) -> Int { hub.historyLedger.withLock { $0.examined } }

    /// Every room has a member, so dropping empty rooms (the old rule) would free nothing.
    @Test func boundHoldsWhenEveryRoomIsOccupied() {
        let budget = 64 * 1024
        let f = FakeLoops(count: 2, limits: Self.limits(budget: budget))
        let names = (0..<200).map { "r\($0)" }
        let rooms = names.enumerated().map { i, name in f.join(user(i % 2, i + 1), "u\(i)", name) }
        _ = f.takeAll()
        var maxSeen = 0
        for round in 0..<4 {
            for (i, room) in rooms.enumerated() {
                f.hub.publish(Self.message(round * 1000 + i, size: 1000), in: room, except: user(i % 2, i + 1), currentLoop: i % 2)
                maxSeen = max(maxSeen, f.hub.rooms.historyBytes.load(ordering: .relaxed))
            }
            _ = f.takeAll()
        }
        #expect(maxSeen <= budget)
        let held = Self.heldBytes(f.hub, names)
        #expect(held == f.hub.rooms.historyBytes.load(ordering: .relaxed))
        // 800 messages of ~1 KB went in; what is kept is close to the budget, not far under it.
        #expect(held > budget - 2 * 1024)
        // Oldest first: the last room published to still has its newest message.
        #expect(rooms.last!.state.withLock { $0.history.count } >= 1)
        #expect(rooms.first!.state.withLock { $0.history.count } <= 1)
        #expect(f.hub.rooms.count == 200)
    }

    /// Eviction work per publish once the budget is full, for `roomCount` occupied rooms.
    static func workPerPublish(roomCount: Int) -> Double {
        let f = FakeLoops(count: 2, limits: limits(budget: 32 * 1024))
        let rooms = (0..<roomCount).map { i in f.join(user(i % 2, i + 1), "u\(i)", "room\(i)") }
        _ = f.takeAll()
        var n = 0
        func publishRound() {
            for (i, room) in rooms.enumerated() {
                f.hub.publish(message(n, size: 500), in: room, except: user(i % 2, i + 1), currentLoop: i % 2)
                n += 1
                if n % 256 == 0 { _ = f.takeAll() }
            }
        }
        while n < 200 || f.hub.rooms.historyBytes.load(ordering: .relaxed) < 30 * 1024 { publishRound() }
        let before = examined(f.hub)
        let start = n
        while n - start < 4000 { publishRound() }
        return Double(examined(f.hub) - before) / Double(n - start)
    }

    @Test func workPerPublishDoesNotGrowWithTheNumberOfRooms() {
        let few = Self.workPerPublish(roomCount: 10)
        let many = Self.workPerPublish(roomCount: 2000)
        // Each publish of a 500-byte message evicts about one 500-byte entry; compaction adds
        // well under one look per publish. Scanning the rooms would cost ~2000 here.
        #expect(few <= 3)
        #expect(many <= 3)
        #expect(few >= 0.5 && many >= 0.5)                   // and the budget does evict
    }

    /// Entries a room drops by its own count bound go stale in the ledger; the ledger must not
    /// grow with them while the budget is never reached.
    @Test func ledgerStaysBoundedBelowTheBudget() {
        let f = FakeLoops(count: 1, limits: Self.limits(budget: 1 << 30, history: 5))
        let room = f.join(user(0, 1), "alice", "quiet")
        var longest = 0
        for i in 0..<20_000 {
            f.hub.publish(Self.message(i, size: 40), in: room, except: user(0, 1), currentLoop: 0)
            longest = max(longest, f.hub.historyLedger.withLock { $0.count })
            if i % 1024 == 0 { _ = f.takeAll() }
        }
        #expect(longest <= 2 * 5 + HistoryLedger.minimumCompactionThreshold)
        #expect(room.historyCount == 5)
    }

    /// Random traffic from several loops, reloads that shrink histories and the budget, rooms
    /// emptied and evicted: the counter always equals what the rooms hold, and stays in budget.
    @Test func accountingMatchesTheRoomsUnderRandomTraffic() {
        var rng = SeededGenerator(seed: 42)
        var budget = 20_000
        let f = FakeLoops(count: 3, limits: Self.limits(budget: budget, history: 8))
        let names = (0..<40).map { "r\($0)" }
        var members: [String: ConnectionID] = [:]
        var slot = 1
        for step in 0..<6000 {
            let name = names[Int.random(in: 0..<names.count, using: &rng)]
            let loop = Int.random(in: 0..<3, using: &rng)
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<80:
                let id = members[name] ?? {
                    slot += 1
                    let id = user(loop, slot)
                    f.join(id, "u\(slot)", name)
                    members[name] = id
                    return id
                }()
                guard case .success(let room) = f.hub.rooms.room(named: name, limits: f.hub.limits) else { continue }
                f.hub.publish(Self.message(step, size: Int.random(in: 40...3000, using: &rng)), in: room, except: id, currentLoop: id.loop)
                let total = f.hub.rooms.historyBytes.load(ordering: .relaxed)
                #expect(total <= budget, "step \(step)")
            case 80..<90:
                if let id = members.removeValue(forKey: name),
                    case .success(let room) = f.hub.rooms.room(named: name, limits: f.hub.limits)
                {
                    f.hub.leave(id, room: room, event: nil, currentLoop: id.loop)
                }
            case 90..<95:
                var l = f.hub.limits
                l.history = Int.random(in: 0...10, using: &rng)
                f.hub.reconfigure(l)
            default:
                var l = f.hub.limits
                budget = Int.random(in: 5_000...30_000, using: &rng)
                l.historyBudgetBytes = budget
                f.hub.reconfigure(l)
                // A lower budget is enforced by the next publish, not by the reload itself.
                budget = max(budget, f.hub.rooms.historyBytes.load(ordering: .relaxed))
            }
            #expect(Self.heldBytes(f.hub, names) == f.hub.rooms.historyBytes.load(ordering: .relaxed), "step \(step)")
            if step % 100 == 0 { _ = f.takeAll() }
        }
    }
}
