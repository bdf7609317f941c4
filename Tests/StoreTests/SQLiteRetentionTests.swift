// --history-keep-days and --history-keep-per-room, applied by the writer in small batches.

import Foundation
@testable import Store
import Testing

@Suite struct SQLiteRetentionTests {
    @Test func keepPerRoomKeepsTheNewest() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: dir.file("h.db"), options: .testing {
            $0.retention = HistoryRetention(keepPerRoom: 100)
            $0.pruneBatch = 50
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        for s in 1...1_000 as ClosedRange<UInt64> { store.append(event("busy", s)) }
        for s in 1...10 as ClosedRange<UInt64> { store.append(event("quiet", s)) }
        #expect(store.flush(timeout: 10))
        #expect(waitUntil { store.latest(room: "busy", limit: 10_000).count == 100 },
                "got \(store.latest(room: "busy", limit: 10_000).count)")
        #expect(store.latest(room: "busy", limit: 10_000).map(\.sequence) == Array(901...1000))
        #expect(store.latest(room: "quiet", limit: 100).count == 10)
        #expect(store.statistics.pruned == 900)
        #expect(store.lastSequence(room: "busy") == 1000)
    }

    @Test func keepDaysDropsOldEventsOnly() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let clock = TestClock()
        let store = try SQLiteHistoryStore(path: dir.file("h.db"), options: .testing {
            $0.retention = HistoryRetention(keepDays: 2)
            $0.clock = clock.read
            $0.pruneBatch = 100
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        let now = clock.read()
        // 600 events three days old, then 50 from today: only today's may stay.
        for s in 1...600 as ClosedRange<UInt64> { store.append(event("r", s, time: now - 3 * 86_400_000)) }
        for s in 601...650 as ClosedRange<UInt64> { store.append(event("r", s, time: now)) }
        #expect(store.flush(timeout: 10))
        #expect(waitUntil { store.latest(room: "r", limit: 1_000).count == 50 },
                "got \(store.latest(room: "r", limit: 1_000).count)")
        #expect(store.latest(room: "r", limit: 1_000).first?.sequence == 601)
        // Three more days: the rest ages out too.
        clock.advance(days: 3)
        #expect(waitUntil { store.latest(room: "r", limit: 1_000).isEmpty })
    }

    /// A lowered keep-per-room applies at the next start to rooms nobody writes to.
    @Test func loweredBoundAppliesToIdleRoomsAtStart() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let path = dir.file("h.db")
        do {
            let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: log.logger)
            for s in 1...300 as ClosedRange<UInt64> { store.append(event("idle", s)) }
            store.close(timeout: 5)
        }
        let store = try SQLiteHistoryStore(path: path, options: .testing {
            $0.retention = HistoryRetention(keepPerRoom: 20)
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        #expect(waitUntil { store.latest(room: "idle", limit: 1_000).count == 20 })
        #expect(store.latest(room: "idle", limit: 1_000).first?.sequence == 281)
    }

    @Test func memoryStoreAppliesTheSameBounds() {
        let clock = TestClock()
        let store = MemoryHistoryStore(retention: HistoryRetention(keepDays: 1, keepPerRoom: 10), clock: clock.read)
        for s in 1...25 as ClosedRange<UInt64> { store.append(event("r", s, time: clock.read() - 2 * 86_400_000)) }
        #expect(store.latest(room: "r", limit: 100).count <= 1, "old events go as new ones arrive")
        for s in 26...50 as ClosedRange<UInt64> { store.append(event("r", s, time: clock.read())) }
        #expect(store.latest(room: "r", limit: 100).map(\.sequence) == Array(41...50))
        #expect(store.lastSequence(room: "r") == 50)
    }
}
