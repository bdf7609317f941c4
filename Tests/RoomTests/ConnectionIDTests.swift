import EventLoop
import Room
import Testing

@Suite("ConnectionID")
struct ConnectionIDTests {
    @Test func packsLoopSlotAndGeneration() {
        let id = ConnectionID(loop: 3, slot: 17, generation: 5)
        #expect(id.loop == 3)
        #expect(id.slot == 17)
        #expect(id.generation == 5)
        #expect(id.rawValue == 3 << 56 | 5 << 32 | 17)
        #expect(id.description == "3/17#5")
        #expect(ConnectionID(rawValue: id.rawValue) == id)
    }

    @Test func fieldsAreMaskedToTheirWidths() {
        let id = ConnectionID(loop: 255, slot: Int(UInt32.max), generation: 0xFFFF_FFFF)
        #expect(id.loop == 255)
        #expect(id.slot == Int(UInt32.max))
        #expect(id.generation == 0xFF_FFFF)               // 24 bits
        #expect(ConnectionID(loop: 0, slot: 1, generation: 0x100_0001).generation == 1)
    }

    @Test func generationDistinguishesReusedSlots() {
        let old = ConnectionID(loop: 1, slot: 9, generation: 1)
        let new = ConnectionID(loop: 1, slot: 9, generation: 2)
        #expect(old != new)
        #expect(old.slot == new.slot)
        #expect(Set([old, new, ConnectionID(loop: 2, slot: 9, generation: 1)]).count == 3)
    }

    /// The widest daemon (`--threads` is capped at `maxLoops`): loop 255's IDs, wake-up sets and
    /// mailboxes work, without starting 256 threads (the loops are fake).
    @Test func theLastLoopOfTheWidestDaemonIsAddressable() {
        let f = FakeLoops(count: ConnectionID.maxLoops)
        let first = user(0, 1), middle = user(128, 2), last = user(255, 3)
        #expect(last.loop == 255 && last.slot == 3)
        let room = f.join(first, "first", "wide")
        f.join(middle, "middle", "wide")
        f.join(last, "last", "wide")
        _ = f.takeAll()
        let before = f.rings
        f.hub.publish(msg("last", "hi"), in: room, except: last, currentLoop: 255)
        let boxes = f.takeAll()
        #expect(boxes.indices.filter { !boxes[$0].isEmpty } == [0, 128, 255])
        // Loop 255 posted to itself quietly; 0 and 128 were rung once each.
        #expect(zip(f.rings, before).enumerated().filter { $1.0 != $1.1 }.map(\.offset) == [0, 128])

        var set = LoopSet()
        for i in [0, 63, 64, 200, 255] { set.insert(i) }
        var seen: [Int] = []
        set.forEach { seen.append($0) }
        #expect(seen == [0, 63, 64, 200, 255])
    }

    @Test func aHubWiderThanTheLoopIndexIsRefused() async {
        await #expect(processExitsWith: .failure) {
            _ = ChatHub(loopCount: ConnectionID.maxLoops + 1, limits: ChatLimits(),
                        doorbells: Array(repeating: {}, count: ConnectionID.maxLoops + 1))
        }
    }
}
