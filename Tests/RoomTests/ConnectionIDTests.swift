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
}
