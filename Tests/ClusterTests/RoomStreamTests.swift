import Cluster
import Testing

/// The per-room order state machine: what it delivers and asks for, step by step.
struct RoomStreamTests {
    typealias Stream = RoomStream<String>

    static func e(_ n: UInt64) -> StreamEntry<String> { StreamEntry(number: n, payload: "m\(n)") }

    /// Renders actions compactly: "S1" snapshot, "F3/2" fetch after 3 (request 2), "R5[4,5]"
    /// restore, "D6" deliver, "L2" lost, "X" reset.
    static func show(_ actions: [Stream.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .snapshot(let r): "S\(r)"
            case .fetch(let after, let r): "F\(after)/\(r)"
            case .restore(let last, let entries): "R\(last)\(entries.map(\.number))"
            case .deliver(let entry): "D\(entry.number)"
            case .lost(let n): "L\(n)"
            case .reset: "X"
            }
        }
    }

    /// Live entries that arrive while the past is being read wait, then follow it; those the
    /// snapshot already holds are not delivered twice.
    @Test func snapshotThenBufferedLiveEntries() {
        var s = Stream()
        #expect(Self.show(s.start()) == ["S1"])
        #expect(Self.show(s.published(Self.e(5), epoch: "A")).isEmpty)
        #expect(Self.show(s.published(Self.e(6), epoch: "A")).isEmpty)
        let actions = s.snapshotArrived(request: 1, epoch: "A", last: 5, newest: [Self.e(4), Self.e(5)])
        #expect(Self.show(actions) == ["R5[4, 5]", "D6"])
        #expect(s.last == 6 && s.buffered == 0)
    }

    @Test func inOrderAndDuplicates() {
        var s = Stream()
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: nil, last: 0, newest: [])
        #expect(Self.show(s.published(Self.e(1), epoch: "A")) == ["D1"])
        #expect(Self.show(s.published(Self.e(1), epoch: "A")).isEmpty)
        #expect(Self.show(s.published(Self.e(2), epoch: "A")) == ["D2"])
        #expect(s.epoch == "A")
    }

    /// A gap is fetched before anything newer is delivered; newer entries arriving meanwhile
    /// wait; the fetched range fills the gap and the waiting ones follow, each once.
    @Test func gapIsFetchedBeforeNewerEntries() {
        var s = Stream()
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 3, newest: [])
        #expect(Self.show(s.published(Self.e(6), epoch: "A")) == ["F3/2"])
        #expect(Self.show(s.published(Self.e(7), epoch: "A")).isEmpty)
        let actions = s.rangeArrived(request: 2, epoch: "A", entries: [Self.e(4), Self.e(5), Self.e(6), Self.e(7)])
        #expect(Self.show(actions) == ["D4", "D5", "D6", "D7"])
        #expect(Self.show(s.published(Self.e(7), epoch: "A")).isEmpty)
        #expect(Self.show(s.published(Self.e(8), epoch: "A")) == ["D8"])
    }

    /// Entries the stream no longer holds (trimmed) are reported lost, with their count, and
    /// delivery goes on after them.
    @Test func trimmedRangeIsReportedLost() {
        var s = Stream()
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 10, newest: [])
        #expect(Self.show(s.published(Self.e(50), epoch: "A")) == ["F10/2"])
        // The stream keeps only 45...50.
        let actions = s.rangeArrived(request: 2, epoch: "A", entries: (45...50).map(Self.e))
        #expect(Self.show(actions) == ["L34", "D45", "D46", "D47", "D48", "D49", "D50"])
    }

    /// An empty answer while a newer entry waits: everything between was trimmed.
    @Test func emptyRangeBeforeBufferedEntryIsLoss() {
        var s = Stream()
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 2, newest: [])
        #expect(Self.show(s.published(Self.e(9), epoch: "A")) == ["F2/2"])
        #expect(Self.show(s.rangeArrived(request: 2, epoch: "A", entries: [])) == ["L6", "D9"])
    }

    /// After a non-empty answer a remaining gap may be newer entries: fetch again, not "lost".
    @Test func gapAfterPartialRangeIsFetchedAgain() {
        var s = Stream()
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 0, newest: [])
        #expect(Self.show(s.published(Self.e(3), epoch: "A")) == ["F0/2"])
        #expect(Self.show(s.published(Self.e(9), epoch: "A")).isEmpty)
        #expect(Self.show(s.rangeArrived(request: 2, epoch: "A", entries: [Self.e(1), Self.e(2), Self.e(3)])) == ["D1", "D2", "D3", "F3/3"])
        #expect(Self.show(s.rangeArrived(request: 3, epoch: "A", entries: (4...9).map(Self.e))) == ["D4", "D5", "D6", "D7", "D8", "D9"])
    }

    /// A full answer means there may be more: fetch on from the last number.
    @Test func fullRangeFetchesOn() {
        var s = Stream(fetchLimit: 2)
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 0, newest: [])
        #expect(Self.show(s.reconnected()) == ["F0/2"])
        #expect(Self.show(s.rangeArrived(request: 2, epoch: "A", entries: [Self.e(1), Self.e(2)])) == ["D1", "D2", "F2/3"])
        #expect(Self.show(s.rangeArrived(request: 3, epoch: "A", entries: [Self.e(3)])) == ["D3"])
    }

    /// An answer to a request that was superseded (reconnect) is ignored.
    @Test func staleAnswersAreIgnored() {
        var s = Stream()
        _ = s.start()
        #expect(Self.show(s.reconnected()) == ["S2"])
        #expect(Self.show(s.snapshotArrived(request: 1, epoch: "A", last: 9, newest: [])).isEmpty)
        #expect(Self.show(s.snapshotArrived(request: 2, epoch: "A", last: 3, newest: [])) == ["R3[]"])
        #expect(s.last == 3)
    }

    /// A new epoch (Redis lost the room): numbering restarts from the new epoch's first entry.
    @Test func newEpochResets() {
        var s = Stream()
        _ = s.start()
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 40, newest: [])
        #expect(Self.show(s.published(Self.e(2), epoch: "B")) == ["X", "F0/2"])
        #expect(Self.show(s.rangeArrived(request: 2, epoch: "B", entries: [Self.e(1), Self.e(2)])) == ["D1", "D2"])
        #expect(s.epoch == "B" && s.last == 2)
        // A catch-up that finds the room gone from Redis resets too.
        _ = s.reconnected()
        #expect(Self.show(s.rangeArrived(request: 3, epoch: nil, entries: [])) == ["X"])
        #expect(Self.show(s.published(Self.e(1), epoch: "C")) == ["D1"])
    }

    /// The periodic top check fetches after the last number (a lost last message shows up),
    /// but never while another request is outstanding.
    @Test func checkTop() {
        var s = Stream()
        #expect(Self.show(s.checkTop()).isEmpty)
        _ = s.start()
        #expect(Self.show(s.checkTop()).isEmpty)
        _ = s.snapshotArrived(request: 1, epoch: "A", last: 4, newest: [])
        #expect(Self.show(s.checkTop()) == ["F4/2"])
        #expect(Self.show(s.checkTop()).isEmpty)
        #expect(Self.show(s.rangeArrived(request: 2, epoch: "A", entries: [Self.e(5)])) == ["D5"])
        #expect(Self.show(s.checkTop()) == ["F5/3"])
    }

    /// Waiting entries are bounded: beyond the limit they are dropped and come from the stream.
    @Test func bufferIsBounded() {
        var s = Stream(bufferLimit: 3)
        _ = s.start()
        for n in 1...10 { _ = s.published(Self.e(UInt64(n)), epoch: "A") }
        #expect(s.buffered == 3)
    }
}
