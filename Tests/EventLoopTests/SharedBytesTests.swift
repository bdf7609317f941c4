import EventLoop
import Testing

@Suite("SharedBytes")
struct SharedBytesTests {
    @Test func makeFromCollection() {
        let b = SharedBytes.make([1, 2, 3, 255] as [UInt8])
        #expect(b.count == 4)
        #expect(b.array == [1, 2, 3, 255])
        #expect(b.withBytes { $0.count } == 4)
        #expect(b.baseAddress.load(fromByteOffset: 3, as: UInt8.self) == 255)
    }

    @Test func makeWithFill() {
        let b = SharedBytes.make(count: 5) { p in
            for i in 0..<5 { p.storeBytes(of: UInt8(10 * i), toByteOffset: i, as: UInt8.self) }
        }
        #expect(b.array == [0, 10, 20, 30, 40])
    }

    @Test func emptyBytes() {
        let b = SharedBytes.make([UInt8]())
        #expect(b.count == 0)
        #expect(b.array == [])
    }

    @Test func copiesShareStorageEqualBytesDoNot() {
        let a = SharedBytes.make(Array("hello".utf8))
        let copy = a
        let other = SharedBytes.make(Array("hello".utf8))
        #expect(copy.isSameStorage(as: a))
        #expect(copy.baseAddress == a.baseAddress)
        #expect(!other.isSameStorage(as: a))
        #expect(other.array == a.array)
    }
}

@Suite("SharedBytesSlot")
struct SharedBytesSlotTests {
    final class Holder: Sendable { let slot = SharedBytesSlot() }

    @Test func firstStoreWins() {
        let slot = SharedBytesSlot()
        #expect(slot.value == nil)
        let a = SharedBytes.make([1]), b = SharedBytes.make([2])
        #expect(slot.storeIfEmpty(a).isSameStorage(as: a))
        #expect(slot.storeIfEmpty(b).isSameStorage(as: a))
        #expect(slot.value!.isSameStorage(as: a))
    }

    /// Eight threads race to fill one slot: every one of them gets the same storage back.
    @Test func racingThreadsAllGetTheWinner() {
        for _ in 0..<50 {
            let holder = Holder()
            let results = Locked<[SharedBytes]>([])
            let threads = (0..<8).map { t in
                LoopThread.spawn(name: "slot-\(t)") {
                    let mine = SharedBytes.make([UInt8(t)])
                    let got = holder.slot.storeIfEmpty(mine)
                    results.withLock { $0.append(got) }
                }
            }
            for t in threads { t.join() }
            let all = results.withLock { $0 }
            #expect(all.count == 8)
            #expect(all.allSatisfy { $0.isSameStorage(as: all[0]) })
        }
    }
}
