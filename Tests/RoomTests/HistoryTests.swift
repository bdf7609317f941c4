import EventLoop
import Room
import Testing

@Suite("History")
struct HistoryTests {
    func frame(_ i: Int) -> RoomEvent { msg("a", "m\(i)") }
    func names(_ h: History) -> [String] { h.events.map(\.text) }

    @Test func keepsInsertionOrderBelowCapacity() {
        var h = History(capacity: 5)
        #expect(h.capacity == 5)
        #expect(h.count == 0)
        #expect(h.events.isEmpty)
        for i in 1...3 { h.append(frame(i)) }
        #expect(h.count == 3)
        #expect(names(h) == ["m1", "m2", "m3"])
    }

    @Test func dropsOldestAtCapacity() {
        var h = History(capacity: 3)
        for i in 1...8 { h.append(frame(i)) }
        #expect(h.count == 3)
        #expect(names(h) == ["m6", "m7", "m8"])
    }

    @Test func eventsAreTheObjectsThatWereAppended() {
        var h = History(capacity: 2)
        let f = frame(1)
        h.append(f)
        #expect(h.events[0] === f)
    }

    @Test func zeroCapacityKeepsNothing() {
        var h = History(capacity: 0)
        h.append(frame(1))
        #expect(h.count == 0)
        #expect(h.events.isEmpty)
        #expect(History(capacity: -4).capacity == 0)
    }

    @Test func shrinkKeepsTheNewest() {
        var h = History(capacity: 5)
        for i in 1...7 { h.append(frame(i)) }           // wrapped: m3…m7
        h.resize(to: 2)
        #expect(h.capacity == 2)
        #expect(names(h) == ["m6", "m7"])
        h.append(frame(8))
        #expect(names(h) == ["m7", "m8"])
    }

    @Test func growKeepsEverythingAndMakesRoom() {
        var h = History(capacity: 3)
        for i in 1...5 { h.append(frame(i)) }
        h.resize(to: 6)
        #expect(h.capacity == 6)
        #expect(names(h) == ["m3", "m4", "m5"])
        for i in 6...9 { h.append(frame(i)) }
        #expect(names(h) == ["m4", "m5", "m6", "m7", "m8", "m9"])
    }

    @Test func resizeToZeroAndBack() {
        var h = History(capacity: 3)
        for i in 1...3 { h.append(frame(i)) }
        h.resize(to: 0)
        #expect(h.count == 0)
        h.resize(to: 2)
        #expect(h.events.isEmpty)
        h.append(frame(4))
        #expect(names(h) == ["m4"])
    }

    @Test func sequenceNumbersNameEntriesAcrossEvictionAndResize() {
        var h = History(capacity: 3)
        for i in 0..<5 { h.append(frame(i)) }                // holds m2 m3 m4 = sequences 2...4
        #expect(h.appended == 5)
        #expect(h.oldestSequence == 2)
        #expect(!h.holds(1) && h.holds(2) && h.holds(4) && !h.holds(5))
        #expect(h.evict(through: 1) == 0)                     // already gone: frees nothing
        #expect(h.evict(through: 3) == frame(2).historyBytes + frame(3).historyBytes)
        #expect(names(h) == ["m4"])
        h.resize(to: 5)
        #expect(h.holds(4) && h.oldestSequence == 4)         // numbers survive a reload
        h.append(frame(5))
        #expect(h.holds(5))
        #expect(h.removeAll() == frame(4).historyBytes + frame(5).historyBytes)
        #expect(h.count == 0 && h.bytes == 0 && h.appended == 6)
    }

    @Test func randomizedAgainstAnArrayModel() {
        var rng = SeededGenerator(seed: 7)
        var h = History(capacity: 4)
        var model: [Int] = []
        var cap = 4
        for i in 0..<3000 {
            if Int.random(in: 0..<20, using: &rng) == 0 {
                cap = Int.random(in: 0...10, using: &rng)
                h.resize(to: cap)
                model = Array(model.suffix(cap))
            } else {
                h.append(frame(i))
                if cap > 0 { model.append(i); model = Array(model.suffix(cap)) }
            }
            #expect(names(h) == model.map { "m\($0)" })
        }
    }
}
