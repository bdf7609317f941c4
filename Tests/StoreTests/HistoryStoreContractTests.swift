// The HistoryStore contract, checked against both implementations with the same calls.

import Foundation
@testable import Store
import Testing

@Suite struct HistoryStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func roundTripKeepsEveryField(kind: StoreKind) throws {
        let dir = try TempDirectory()
        let store = try kind.make(dir)
        defer { store.close(timeout: 5) }
        let originals = [
            StoredEvent(room: "rust", sequence: 1, time: 1_700_000_000_123, sender: "alice", kind: .message, text: "héllo ✓ 🦀"),
            StoredEvent(room: "rust", sequence: 2, time: 1_700_000_000_124, sender: "bob", kind: .action, text: "waves"),
            StoredEvent(room: "rust", sequence: 3, time: 1_700_000_000_125, sender: "bob", kind: .join, text: ""),
            StoredEvent(room: "*dm alice bob", sequence: 1, time: 1_700_000_000_126, sender: "alice", kind: .message,
                        text: "psst", isPrivate: true),
            StoredEvent(room: "rust", sequence: 4, time: 1_700_000_000_127, sender: "carol", kind: .topic,
                        text: String(repeating: "x", count: 65_536)),
        ]
        var ids: [Int64] = []
        for e in originals { ids.append(store.append(e)) }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count && ids.allSatisfy { $0 > 0 }, "ids unique and ascending: \(ids)")
        #expect(store.flush(timeout: 5))
        var expected = originals
        for i in expected.indices { expected[i].id = ids[i] }
        #expect(store.latest(room: "rust", limit: 10) == [expected[0], expected[1], expected[2], expected[4]])
        #expect(store.latest(room: "*dm alice bob", limit: 10) == [expected[3]])
        #expect(store.event(id: ids[3]) == expected[3])
        #expect(store.event(id: 999_999) == nil)
        #expect(store.latest(room: "nowhere", limit: 10).isEmpty)
        #expect(store.lastSequence(room: "rust") == 4)
        #expect(store.lastSequence(room: "nowhere") == 0)
        #expect(store.statistics.appended == 5)
        #expect(store.statistics.committed == 5)
    }

    @Test(arguments: StoreKind.allCases)
    func windowsAroundAnAnchor(kind: StoreKind) throws {
        let dir = try TempDirectory()
        let store = try kind.make(dir)
        defer { store.close(timeout: 5) }
        for s in 1...20 as ClosedRange<UInt64> {
            store.append(event("a", s))
            store.append(event("b", s))
        }
        #expect(store.flush(timeout: 5))
        func seqs(_ e: [StoredEvent]) -> [UInt64] { e.map(\.sequence) }
        #expect(seqs(store.latest(room: "a", limit: 3)) == [18, 19, 20])
        #expect(seqs(store.before(room: "a", sequence: 10, limit: 3)) == [7, 8, 9])
        #expect(seqs(store.before(room: "a", sequence: 2, limit: 3)) == [1])
        #expect(seqs(store.after(room: "a", sequence: 10, limit: 3)) == [11, 12, 13])
        #expect(seqs(store.after(room: "a", sequence: 19, limit: 3)) == [20])
        #expect(seqs(store.around(room: "a", sequence: 10, limit: 5)) == [8, 9, 10, 11, 12])
        #expect(seqs(store.between(room: "a", lower: 5, upper: 12, limit: 3, newestFirst: false)) == [6, 7, 8])
        #expect(seqs(store.between(room: "a", lower: 5, upper: 12, limit: 3, newestFirst: true)) == [9, 10, 11])
        #expect(seqs(store.between(room: "a", lower: 12, upper: 5, limit: 3, newestFirst: true)) == [])
        #expect(store.latest(room: "a", limit: 0).isEmpty)
        #expect(store.before(room: "a", sequence: 10, limit: -1).isEmpty)
        #expect(store.latest(room: "b", limit: 100).allSatisfy { $0.room == "b" })
        // Times are seq-dependent (event(): time + seq): the first at or after base+15 is 15.
        #expect(store.firstSequence(room: "a", atOrAfter: 1_700_000_000_015) == 15)
        #expect(store.firstSequence(room: "a", atOrAfter: 1_800_000_000_000) == nil)
    }

    /// A read right after an append sees it, before any commit: a room re-created within the
    /// commit interval must replay its last messages and continue its sequence.
    @Test(arguments: StoreKind.allCases)
    func readsSeeAppendsBeforeTheyAreCommitted(kind: StoreKind) throws {
        let dir = try TempDirectory()
        let store = try kind.make(dir, commitMilliseconds: 60_000)
        defer { store.close(timeout: 5) }
        for s in 1...5 as ClosedRange<UInt64> { store.append(event("r", s)) }
        #expect(store.latest(room: "r", limit: 10).map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(store.lastSequence(room: "r") == 5)
        #expect(store.before(room: "r", sequence: 4, limit: 2).map(\.sequence) == [2, 3])
        let id = store.append(event("r", 6))
        #expect(store.event(id: id)?.sequence == 6)
        #expect(store.firstSequence(room: "r", atOrAfter: 1_700_000_000_006) == 6)
        if kind == .sqlite { #expect(store.statistics.committed == 0, "the commit interval is a minute") }
        // Now commit part of it and append more: stored and unsaved merge without duplicates.
        #expect(store.flush(timeout: 5))
        for s in 7...9 as ClosedRange<UInt64> { store.append(event("r", s)) }
        #expect(store.latest(room: "r", limit: 5).map(\.sequence) == [5, 6, 7, 8, 9])
        #expect(store.after(room: "r", sequence: 4, limit: 3).map(\.sequence) == [5, 6, 7])
    }

    @Test(arguments: StoreKind.allCases)
    func appendsAfterCloseAreIgnored(kind: StoreKind) throws {
        let dir = try TempDirectory()
        let store = try kind.make(dir)
        store.append(event("r", 1))
        store.close(timeout: 5)
        #expect(store.append(event("r", 2)) == 0)
        store.close(timeout: 5)
    }
}
