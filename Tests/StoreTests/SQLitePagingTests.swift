// Scroll-back over a large room, and what survives closing and reopening the file.

import Foundation
@testable import Store
import Testing

@Suite struct SQLitePagingTests {
    /// 100,000 messages paged backwards and forwards: every sequence exactly once, in order, with
    /// the id `append` returned, and the same ids after a reopen.
    @Test func pagingAcross100000Messages() throws {
        let dir = try TempDirectory()
        let log = CapturedLog()
        let path = dir.file("history.db")
        let total: UInt64 = 100_000
        var ids: [Int64] = []
        ids.reserveCapacity(Int(total))
        do {
            // A queue that holds them all: appending at full speed outruns a debug-build writer,
            // and this test is about paging, not the overflow policy (SQLiteOverflowTests).
            let store = try SQLiteHistoryStore(path: path, options: .testing(commitMilliseconds: 20) {
                $0.queueCapacity = 200_000
            }, logger: log.logger)
            for s in 1...total {
                ids.append(store.append(event("big", s)))
                if s % 1000 == 0 { store.append(event("other", s / 1000)) }
            }
            #expect(store.flush(timeout: 60))
            #expect(store.statistics.dropped == 0)
            #expect(store.statistics.committed == total + total / 1000)
            store.close(timeout: 5)
        }
        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        #expect(store.opened == .existing)

        var backwards: [StoredEvent] = []
        var page = store.latest(room: "big", limit: 1000)
        while let first = page.first {
            backwards.insert(contentsOf: page, at: 0)
            page = store.before(room: "big", sequence: first.sequence, limit: 1000)
        }
        #expect(backwards.count == Int(total))
        #expect(firstMismatch(backwards.map(\.sequence), Array(1...total)) == nil)
        #expect(firstMismatch(backwards.map(\.id), ids) == nil)
        #expect(backwards.allSatisfy { $0.room == "big" && $0.text == "message \($0.sequence) in big" })

        var forwards: [StoredEvent] = []
        var cursor: UInt64 = 0
        while true {
            let next = store.after(room: "big", sequence: cursor, limit: 777)
            guard let last = next.last else { break }
            forwards += next
            cursor = last.sequence
        }
        #expect(firstMismatch(forwards, backwards) == nil)
        #expect(store.event(id: ids[54_321]) == backwards[54_321])
        #expect(store.around(room: "big", sequence: 50_000, limit: 4).map(\.sequence) == [49_998, 49_999, 50_000, 50_001])
    }

    /// Sequences and ids continue after a restart, also when retention deleted every row.
    @Test func reopenContinuesSequencesAndIds() throws {
        let dir = try TempDirectory()
        let path = dir.file("history.db")
        let clock = TestClock()
        let log = CapturedLog()
        var lastID: Int64 = 0
        do {
            let store = try SQLiteHistoryStore(path: path, options: .testing { $0.clock = clock.read }, logger: log.logger)
            for s in 1...42 as ClosedRange<UInt64> { lastID = store.append(event("r", s, time: clock.read())) }
            store.close(timeout: 5)
        }
        do {
            let store = try SQLiteHistoryStore(path: path, options: .testing { $0.clock = clock.read }, logger: log.logger)
            #expect(store.lastSequence(room: "r") == 42)
            let id = store.append(event("r", 43, time: clock.read()))
            #expect(id == lastID + 1)
            lastID = id
            store.close(timeout: 5)
        }
        // A week later with a one-day bound: retention empties the room.
        clock.advance(days: 7)
        do {
            let store = try SQLiteHistoryStore(path: path, options: .testing {
                $0.clock = clock.read
                $0.retention = HistoryRetention(keepDays: 1)
            }, logger: log.logger)
            #expect(waitUntil { store.latest(room: "r", limit: 100).isEmpty }, "retention by age emptied the room")
            store.close(timeout: 5)
        }
        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        #expect(store.lastSequence(room: "r") == 43, "the last sequence outlives the rows")
        #expect(store.append(event("r", 44)) == lastID + 1, "ids are never reused")
    }
}

/// The first index where `a` and `b` differ (or the shorter length), nil if equal: a failure
/// message that names the spot instead of printing 100,000 elements.
func firstMismatch<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    for i in 0..<min(a.count, b.count) where a[i] != b[i] { return "at \(i): \(a[i]) vs \(b[i])" }
    return a.count == b.count ? nil : "lengths \(a.count) vs \(b.count)"
}
