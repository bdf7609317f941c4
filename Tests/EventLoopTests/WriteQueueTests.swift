import CEventLoopShims
import EventLoop
import Glibc
import Testing

@Suite("WriteQueue and IOVecPool")
struct WriteQueueTests {
    @Test func poolDefaultsToIOVMax() {
        #expect(Posix.iovMax == 1024)
        #expect(IOVecPool().capacity == 1024)
        #expect(IOVecPool(capacity: 3).capacity == 3)
    }

    @Test func enqueueCountsBytesAndIgnoresEmptyFrames() {
        var q = WriteQueue()
        #expect(q.isEmpty)
        q.enqueue(SharedBytes.make([1, 2, 3]))
        q.enqueue(SharedBytes.make([UInt8]()))
        q.enqueue(SharedBytes.make([4, 5]))
        #expect(q.frameCount == 2)
        #expect(q.pendingBytes == 5)
        #expect(!q.isEmpty)
        q.removeAll()
        #expect(q.frameCount == 0)
        #expect(q.pendingBytes == 0)
        #expect(q.isEmpty)
    }

    /// Entries queued from an offset send only the bytes from there (IRC's tag-less recipients
    /// share the tagged line), through both the writev and the copy-into-one-write paths.
    @Test func entriesFromAnOffsetSendOnlyTheirTail() {
        for coalesce in [0, 1 << 20] {
            let pair = SocketPair()
            let pool = IOVecPool(coalesceAverageBelow: coalesce)
            let line = SharedBytes.make(Array("@time=x :a PRIVMSG #r :hi\r\n".utf8))
            var q = WriteQueue()
            q.enqueue(line, from: 8)
            q.enqueue(line)
            q.enqueue(line, from: line.count)  // nothing left: not queued
            #expect(q.frameCount == 2)
            #expect(q.pendingBytes == 2 * line.count - 8)
            #expect(q.flush(to: pair.a, using: pool) == .drained)
            var got: [UInt8] = []
            drainAvailable(pair.b, into: &got)
            #expect(String(decoding: got, as: UTF8.self) == ":a PRIVMSG #r :hi\r\n@time=x :a PRIVMSG #r :hi\r\n")
        }
    }

    @Test func drainsSmallQueueInOrder() {
        let pair = SocketPair()
        let pool = IOVecPool()
        let (frames, stream) = patternedFrames(sizes: [1, 10, 100, 1000, 7], seed: 1)
        var q = WriteQueue()
        for f in frames { q.enqueue(f) }
        #expect(q.flush(to: pair.a, using: pool) == .drained)
        #expect(q.pendingBytes == 0)
        #expect(q.frameCount == 0)
        var got: [UInt8] = []
        drainAvailable(pair.b, into: &got)
        #expect(got == stream)
        // An empty queue flushes to .drained without a syscall.
        #expect(q.flush(to: -1, using: pool) == .drained)
    }

    @Test func moreFramesThanIOVMaxGoOutInSeveralWritevCalls() {
        let pair = SocketPair()
        let pool = IOVecPool()
        let sizes = (0..<3000).map { 1 + $0 % 13 }        // 3000 frames, ~21 KB: fits the socket buffer
        let (frames, stream) = patternedFrames(sizes: sizes, seed: 2)
        var q = WriteQueue()
        for f in frames { q.enqueue(f) }
        #expect(q.frameCount == 3000)
        #expect(q.flush(to: pair.a, using: pool) == .drained)
        var got: [UInt8] = []
        drainAvailable(pair.b, into: &got)
        #expect(got.count == stream.count)
        #expect(got == stream)
    }

    @Test func tinyPoolBatchesKeepOrder() {
        let pair = SocketPair()
        let pool = IOVecPool(capacity: 3)
        let (frames, stream) = patternedFrames(sizes: Array(repeating: 5, count: 10) + [0, 9], seed: 3)
        var q = WriteQueue()
        for f in frames { q.enqueue(f) }
        #expect(q.frameCount == 11)                       // the empty frame was dropped
        #expect(q.flush(to: pair.a, using: pool) == .drained)
        var got: [UInt8] = []
        drainAvailable(pair.b, into: &got)
        #expect(got == stream)
    }

    /// Fill until the kernel pushes back, then alternate reading on the peer and flushing: the
    /// peer must see every byte in order, and after each flush the peer-visible byte count must
    /// equal enqueued − pending exactly (AF_UNIX: written bytes are readable at once).
    @Test func blockedThenResumesFromPartialOffsetsOnUnixSocket() {
        let pair = SocketPair()
        let pool = IOVecPool()
        var rng = SeededGenerator(seed: 4)
        let sizes = (0..<4000).map { _ in Int.random(in: 1...1500, using: &rng) }
        let (frames, stream) = patternedFrames(sizes: sizes, seed: 5)
        var q = WriteQueue()
        for f in frames { q.enqueue(f) }
        #expect(q.pendingBytes == stream.count)

        var boundaries = Set<Int>([0])
        var offset = 0
        for size in sizes { offset += size; boundaries.insert(offset) }
        var got: [UInt8] = []
        var first = q.flush(to: pair.a, using: pool)
        #expect(first == .blocked)
        #expect(q.pendingBytes > 0)
        var sawPartialFrame = false
        var rounds = 0
        while true {
            drainAvailable(pair.b, into: &got)
            #expect(got.count == stream.count - q.pendingBytes)
            if first == .drained { break }
            // A short write that ended inside a frame leaves the count off every frame boundary.
            if !boundaries.contains(stream.count - q.pendingBytes) { sawPartialFrame = true }
            first = q.flush(to: pair.a, using: pool)
            rounds += 1
            if rounds > 100_000 { break }
        }
        #expect(first == .drained)
        #expect(q.pendingBytes == 0)
        #expect(q.frameCount == 0)
        #expect(got.count == stream.count)
        #expect(got == stream)
        #expect(sawPartialFrame)
        #expect(rounds > 1)
    }

    @Test func blockedThenDrainedOverLoopbackTCP() throws {
        let tcp = try TCPPair()
        let pool = IOVecPool()
        let sizes = Array(repeating: 64 * 1024, count: 160)       // 10 MiB: beyond any loopback buffer
        let (frames, stream) = patternedFrames(sizes: sizes, seed: 6)
        var q = WriteQueue()
        for f in frames { q.enqueue(f) }
        var result = q.flush(to: tcp.server, using: pool)
        #expect(result == .blocked)
        #expect(q.pendingBytes > 0 && q.pendingBytes < stream.count)
        var got: [UInt8] = []
        got.reserveCapacity(stream.count)
        let deadline = Monotonic.now() + 20_000_000_000
        while (result != .drained || got.count < stream.count) && Monotonic.now() < deadline {
            if drainAvailable(tcp.client, into: &got) == 0 { usleep(200) }
            if result != .drained { result = q.flush(to: tcp.server, using: pool) }
            #expect(got.count <= stream.count - q.pendingBytes)
        }
        #expect(result == .drained)
        #expect(got.count == stream.count)
        #expect(got == stream)
    }

    @Test func budgetStopsWithBudgetExhaustedAtFrameGranularity() {
        let pair = SocketPair()
        let pool = IOVecPool()
        let (frames, stream) = patternedFrames(sizes: Array(repeating: 1000, count: 10), seed: 7)
        var q = WriteQueue()
        for f in frames { q.enqueue(f) }
        #expect(q.flush(to: pair.a, using: pool, budget: 2500) == .budgetExhausted)
        var got: [UInt8] = []
        drainAvailable(pair.b, into: &got)
        // Whole frames are batched until the budget is reached: at least the budget, at most
        // one frame more.
        #expect(got.count >= 2500 && got.count < 3500)
        #expect(got.count == 10_000 - q.pendingBytes)
        #expect(got == Array(stream.prefix(got.count)))
        // A budget that covers the rest drains.
        #expect(q.flush(to: pair.a, using: pool, budget: q.pendingBytes) == .drained)
        drainAvailable(pair.b, into: &got)
        #expect(got == stream)
    }

    @Test func zeroBudgetWritesNothing() {
        let pair = SocketPair()
        let pool = IOVecPool()
        var q = WriteQueue()
        q.enqueue(SharedBytes.make([1, 2, 3]))
        #expect(q.flush(to: pair.a, using: pool, budget: 0) == .budgetExhausted)
        #expect(q.pendingBytes == 3)
        var got: [UInt8] = []
        #expect(drainAvailable(pair.b, into: &got) == 0)
    }

    @Test func peerClosedFails() {
        ignoreSIGPIPE()
        let pair = SocketPair()
        pair.closeB()
        var q = WriteQueue()
        q.enqueue(SharedBytes.make(Array(repeating: 7, count: 100)))
        let r = q.flush(to: pair.a, using: IOVecPool())
        #expect(r == .failed(Errno.brokenPipe))
        #expect(q.pendingBytes == 100)
    }

    @Test func peerResetOverTCPFails() throws {
        ignoreSIGPIPE()
        let tcp = try TCPPair()
        Socket.setLingerZero(tcp.client)
        tcp.closeClient()                                     // linger 0: the close sends RST
        var q = WriteQueue()
        let pool = IOVecPool()
        var result = FlushResult.drained
        var attempts = 0
        repeat {
            q.enqueue(SharedBytes.make(Array(repeating: 1, count: 1000)))
            result = q.flush(to: tcp.server, using: pool)
            attempts += 1
            if result == .drained { usleep(2000) }
        } while result == .drained && attempts < 100
        guard case .failed(let e) = result else {
            Issue.record("expected .failed, got \(result)")
            return
        }
        #expect(e == Errno.connectionReset || e == Errno.brokenPipe)
        #expect(q.pendingBytes >= 1000)
    }

    @Test func frameStorageIsReleasedOnceWritten() {
        let pair = SocketPair()
        weak var probe: AnyObject?
        var q = WriteQueue()
        do {
            let f = SharedBytes.make(Array(repeating: 9, count: 100))
            probe = Mirror(reflecting: f).children.first?.value as AnyObject
            q.enqueue(f)
        }
        #expect(probe != nil)                                 // held by the queue
        #expect(q.flush(to: pair.a, using: IOVecPool()) == .drained)
        #expect(probe == nil)                                 // released after being written
    }
}
