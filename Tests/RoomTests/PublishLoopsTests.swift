import EventLoop
import Room
import Testing

/// Issue 17, "many loops": what a publish does under the room's lock must grow with the number
/// of loops that have members, never with the number of members — one mailbox append per such
/// loop (docs/ARCHITECTURE.md, "Many loops"). A hub that posted per member, or to every loop,
/// fails these counts.
@Suite("Publish: O(loops) work under the room's lock")
struct PublishLoopsTests {
    /// `membersPerLoop` members on each of `loops` loops in one room; returns the mailbox
    /// messages one publish from loop 0 produced, per loop.
    static func publishOnce(loops: Int, membersPerLoop: Int, occupied: Set<Int>? = nil) -> [[LoopMessage]] {
        let f = FakeLoops(count: loops)
        var room: Room?
        for loop in 0..<loops where occupied?.contains(loop) ?? true {
            for slot in 1...membersPerLoop {
                room = f.join(user(loop, slot), "u\(loop)x\(slot)", "big")
            }
        }
        _ = f.takeAll()
        guard let room else { return [] }
        f.hub.publish(msg("u0x1", "hello"), in: room, except: user(0, 1), currentLoop: 0)
        return f.takeAll()
    }

    @Test("8 loops: one append per loop, whether 10 or 1,000 members per loop", arguments: [10, 1_000])
    func eightLoops(membersPerLoop: Int) {
        let boxes = Self.publishOnce(loops: 8, membersPerLoop: membersPerLoop)
        #expect(boxes.map(\.count) == Array(repeating: 1, count: 8))
        for box in boxes {
            guard case .deliver(_, let event, _)? = box.first else {
                Issue.record("expected one .deliver, got \(box.map(describe))")
                continue
            }
            #expect(text(event) == "u0x1: hello")
        }
    }

    @Test("2 loops (--threads 2): one append each")
    func twoLoops() {
        #expect(Self.publishOnce(loops: 2, membersPerLoop: 500).map(\.count) == [1, 1])
    }

    @Test("loops without members get nothing")
    func onlyOccupiedLoops() {
        let boxes = Self.publishOnce(loops: 8, membersPerLoop: 50, occupied: [0, 3, 7])
        #expect(boxes.map(\.count) == [1, 0, 0, 1, 0, 0, 0, 1])
    }
}
