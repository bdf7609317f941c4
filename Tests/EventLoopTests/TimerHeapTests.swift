import EventLoop
import Testing

@Suite("TimerHeap")
struct TimerHeapTests {
    @Test func emptyHeap() {
        var h = TimerHeap()
        #expect(h.count == 0)
        #expect(h.nextDeadline == nil)
        #expect(h.popExpired(now: .max) == nil)
    }

    @Test func popsOnlyWhatIsDue() {
        var h = TimerHeap()
        h.schedule(Timer(deadline: 300, token: 3, kind: 0))
        h.schedule(Timer(deadline: 100, token: 1, kind: 7))
        h.schedule(Timer(deadline: 200, token: 2, kind: 0))
        #expect(h.nextDeadline == 100)
        #expect(h.popExpired(now: 99) == nil)
        #expect(h.popExpired(now: 100) == Timer(deadline: 100, token: 1, kind: 7))
        #expect(h.popExpired(now: 150) == nil)
        #expect(h.nextDeadline == 200)
        #expect(h.popExpired(now: 1000)?.token == 2)
        #expect(h.popExpired(now: 1000)?.token == 3)
        #expect(h.popExpired(now: 1000) == nil)
        #expect(h.count == 0)
    }

    @Test(arguments: [1 as UInt64, 42, 0xDEAD_BEEF])
    func randomDeadlinesPopSorted(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var h = TimerHeap()
        var deadlines: [UInt64] = []
        for i in 0..<2000 {
            let d = UInt64.random(in: 1...500, using: &rng)      // many duplicates on purpose
            deadlines.append(d)
            h.schedule(Timer(deadline: d, token: UInt64(i), kind: 0))
        }
        #expect(h.count == 2000)
        var popped: [UInt64] = []
        var tokens = Set<UInt64>()
        while let t = h.popExpired(now: .max) {
            popped.append(t.deadline)
            tokens.insert(t.token)
        }
        #expect(popped == deadlines.sorted())
        #expect(tokens.count == 2000)
    }

    @Test func interleavedScheduleAndPopMatchesASortedModel() {
        var rng = SeededGenerator(seed: 99)
        var h = TimerHeap()
        var model: [UInt64] = []
        var now: UInt64 = 0
        for step in 0..<5000 {
            if Bool.random(using: &rng) {
                let d = now + UInt64.random(in: 0...1000, using: &rng)
                h.schedule(Timer(deadline: d, token: UInt64(step), kind: 1))
                model.append(d)
            } else {
                now += UInt64.random(in: 0...300, using: &rng)
                model.sort()
                while let t = h.popExpired(now: now) {
                    #expect(t.deadline == model.removeFirst())
                    #expect(t.deadline <= now)
                }
                #expect(model.first.map { $0 > now } ?? true)
            }
            #expect(h.count == model.count)
            #expect(h.nextDeadline == model.min())
        }
    }
}
