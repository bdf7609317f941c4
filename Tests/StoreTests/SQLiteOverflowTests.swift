// The writer falling behind: the queue bound holds, the oldest unsaved events go (counted and
// logged), appends never wait, and everything still queued is stored once the writer can write.

import Foundation
import Logging
@testable import Store
import Testing

@Suite struct SQLiteOverflowTests {
    /// The writer does not commit for a minute: the queue keeps the newest `capacity` events.
    @Test func overflowDropsTheOldestUnsavedEvents() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: dir.file("h.db"), options: .testing(commitMilliseconds: 60_000) {
            $0.queueCapacity = 100
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        var ids: [Int64] = []
        for s in 1...250 as ClosedRange<UInt64> { ids.append(store.append(event("r", s))) }
        #expect(Set(ids).count == 250, "dropped events still got their own ids")
        #expect(store.statistics.dropped == 150)
        #expect(store.statistics.pending == 100)
        #expect(store.latest(room: "r", limit: 1_000).map(\.sequence) == Array(151...250))
        #expect(store.lastSequence(room: "r") == 250)
        #expect(store.flush(timeout: 5))
        #expect(store.statistics.committed == 100)
        #expect(waitUntil { log.contains(.warning, "fell behind") })
        let warning = log.first("fell behind")
        #expect(warning?.metadata["dropped"] == "150")
        #expect(warning?.metadata["queue_bound"] == "100")
    }

    /// The byte bound: a few large messages cannot pin more than `queueBytes` while unsaved.
    @Test func overflowByBytesDropsTheOldest() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: dir.file("h.db"), options: .testing(commitMilliseconds: 60_000) {
            $0.queueBytes = 100_000
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        let big = String(repeating: "z", count: 10_000)
        for s in 1...50 as ClosedRange<UInt64> { store.append(event("r", s, big)) }
        let kept = store.latest(room: "r", limit: 100).map(\.sequence)
        #expect(kept.count == 9, "9 × (10,000 + names + 64) fit in 100,000 bytes: \(kept.count)")
        #expect(kept == Array(42...50))
        #expect(store.statistics.dropped == 41)
        #expect(store.flush(timeout: 5))
        #expect(store.latest(room: "r", limit: 100).map(\.sequence) == Array(42...50))
    }

    /// Another process holds the database's write lock: every commit fails (SQLITE_BUSY after the
    /// busy timeout) and is retried. Appends go on meanwhile, bounded, and once the lock is gone
    /// the newest events are stored.
    @Test func stalledWriterKeepsTheNewestAndRecovers() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let path = dir.file("h.db")
        let store = try SQLiteHistoryStore(path: path, options: .testing {
            $0.queueCapacity = 100
            $0.retryMilliseconds = 20
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        let blocker = try SQLiteDatabase(path: path)
        try blocker.execute("BEGIN IMMEDIATE")
        for s in 1...1_000 as ClosedRange<UInt64> { store.append(event("r", s)) }
        #expect(waitUntil { store.statistics.failedCommits > 0 }, "the writer's commit failed behind the lock")
        // The counter is bumped before the error is logged: wait for the line, do not race it.
        #expect(waitUntil { log.contains(.error, "history write failed") })
        for s in 1_001...1_500 as ClosedRange<UInt64> { store.append(event("r", s)) }
        let held = store.statistics.pending
        #expect(held <= 200, "at most the queue bound plus the batch in flight: \(held)")
        #expect(store.statistics.committed == 0)
        try blocker.execute("COMMIT")
        #expect(store.flush(timeout: 15))
        let stored = store.latest(room: "r", limit: 10_000).map(\.sequence)
        #expect(stored.last == 1_500)
        #expect(stored == Array((1_501 - UInt64(stored.count))...1_500), "a contiguous run of the newest")
        #expect(store.statistics.committed == UInt64(stored.count))
        #expect(store.statistics.dropped + store.statistics.committed == 1_500)
        #expect(waitUntil { log.contains(.notice, "history writes recovered") })
    }
}
