import EventLoop
import Testing

@Suite("RingBuffer")
struct RingBufferTests {
    func append(_ ring: RingBuffer, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { ring.append($0) }
    }

    func contents(_ ring: RingBuffer) -> [UInt8] {
        ring.withContiguousReadableBytes { Array($0) }
    }

    func seq(_ range: Range<Int>) -> [UInt8] { range.map { UInt8(truncatingIfNeeded: $0) } }

    @Test func capacityRoundsUpToPowerOfTwoWithMinimum64() {
        #expect(RingBuffer(minimumCapacity: 0).capacity == 64)
        #expect(RingBuffer(minimumCapacity: 64).capacity == 64)
        #expect(RingBuffer(minimumCapacity: 65).capacity == 128)
        #expect(RingBuffer(minimumCapacity: 1000).capacity == 1024)
        let r = RingBuffer(minimumCapacity: 100)
        #expect(r.isEmpty)
        #expect(r.readableCount == 0)
        #expect(r.writableCount == 128)
    }

    @Test func appendAndConsumeKeepOrder() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, seq(0..<10))
        append(r, seq(10..<30))
        #expect(r.readableCount == 30)
        #expect(r.writableCount == 34)
        r.consume(5)
        #expect(contents(r) == seq(5..<30))
    }

    @Test func wrapAroundAppendThenLinearize() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, seq(0..<48))
        r.consume(40)                      // read index 40, 8 readable
        append(r, seq(48..<88))            // 16 bytes to the end, 24 wrapped to the start
        #expect(r.capacity == 64)          // fitted without growing
        #expect(r.readableCount == 48)
        #expect(r.writableCount == 16)
        // The readable bytes straddle the end: reading them contiguously rotates them.
        #expect(contents(r) == seq(40..<88))
        // After linearizing the layout is [0, 48): more appends continue in order.
        append(r, seq(88..<100))
        #expect(contents(r) == seq(40..<100))
    }

    @Test func growthWhileWrappedKeepsOrder() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, seq(0..<60))
        r.consume(50)
        append(r, seq(60..<110))           // wrapped: 10 + 50 readable of 64
        #expect(r.capacity == 64)
        append(r, seq(110..<300))          // needs 190 more: grows to 256
        #expect(r.capacity == 256)
        #expect(r.readableCount == 250)
        #expect(contents(r) == seq(50..<300))
    }

    @Test func reserveGrowsOnlyWhenNeeded() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, seq(0..<10))
        r.reserve(54)
        #expect(r.capacity == 64)
        r.reserve(55)
        #expect(r.capacity == 128)
        #expect(contents(r) == seq(0..<10))
        r.reserve(1000)
        #expect(r.capacity == 1024)        // 1024 - 10 readable leaves 1014 ≥ 1000
        #expect(contents(r) == seq(0..<10))
    }

    @Test func writableRegionAndCommitWrite() {
        let r = RingBuffer(minimumCapacity: 64)
        let region = r.writableRegion
        #expect(region.count == 64)
        for i in 0..<20 { region[i] = UInt8(100 + i) }
        r.commitWrite(20)
        #expect(r.readableCount == 20)
        #expect(contents(r) == (0..<20).map { UInt8(100 + $0) })
        #expect(r.writableRegion.count == 44)
    }

    @Test func writableRegionStopsAtEndThenContinuesAtStart() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, seq(0..<60))
        r.consume(50)                      // read 50, write 60: free = [60,64) + [0,50)
        let tail = r.writableRegion
        #expect(tail.count == 4)           // contiguous part only, up to the end of storage
        for i in 0..<4 { tail[i] = UInt8(60 + i) }
        r.commitWrite(4)
        let head = r.writableRegion        // now the free space is [0, 50)
        #expect(head.count == 50)
        for i in 0..<20 { head[i] = UInt8(64 + i) }
        r.commitWrite(20)
        #expect(r.readableCount == 34)
        #expect(contents(r) == seq(50..<84))
    }

    @Test func consumingEverythingResetsToTheStart() {
        let r = RingBuffer(minimumCapacity: 64)
        let base = r.writableRegion.baseAddress
        append(r, seq(0..<40))
        r.consume(25)
        #expect(r.writableRegion.baseAddress == base! + 40)
        #expect(r.writableRegion.count == 24)
        r.consume(15)
        #expect(r.isEmpty)
        // Indices were reset: the whole storage is one contiguous writable region again.
        #expect(r.writableRegion.baseAddress == base)
        #expect(r.writableRegion.count == 64)
    }

    @Test func fullBufferHasNoWritableRegion() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, seq(0..<64))
        #expect(r.writableCount == 0)
        #expect(r.writableRegion.count == 0)
        #expect(contents(r) == seq(0..<64))
    }

    @Test func emptyAppendIsANoOp() {
        let r = RingBuffer(minimumCapacity: 64)
        append(r, [])
        #expect(r.isEmpty)
        #expect(contents(r) == [])
    }

    @Test func randomizedAgainstAnArrayModel() {
        var rng = SeededGenerator(seed: 0xB0FF)
        let r = RingBuffer(minimumCapacity: 64)
        var model: [UInt8] = []
        var next = 0
        for _ in 0..<5000 {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0, 1:
                let n = Int.random(in: 0...100, using: &rng)
                let bytes = seq(next..<(next + n))
                next += n
                append(r, bytes)
                model.append(contentsOf: bytes)
            case 2:
                let n = Int.random(in: 0...model.count, using: &rng)
                r.consume(n)
                model.removeFirst(n)
            default:
                let region = r.writableRegion
                let n = Int.random(in: 0...region.count, using: &rng)
                for i in 0..<n { region[i] = UInt8(truncatingIfNeeded: next + i) }
                model.append(contentsOf: seq(next..<(next + n)))
                next += n
                r.commitWrite(n)
            }
            #expect(r.readableCount == model.count)
            if Int.random(in: 0..<8, using: &rng) == 0 {
                #expect(contents(r) == model)
            }
        }
        #expect(contents(r) == model)
    }
}
