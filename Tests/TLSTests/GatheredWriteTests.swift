import EventLoop
import Glibc
import TLS
import Testing

/// WriteQueue.flush(through:): shared frames packed into records, partial writes, retries
/// after the socket filled up.
@Suite("Gathered TLS writes")
struct GatheredWriteTests {
    let context: TLSContext

    init() throws {
        context = try TLSContext(credentials: try TestCertificates.valid("gather"))
    }

    static func frames(sizes: [Int], seed: UInt64) -> (frames: [SharedBytes], stream: [UInt8]) {
        var state = seed
        var stream: [UInt8] = []
        var frames: [SharedBytes] = []
        for size in sizes {
            var bytes = [UInt8](repeating: 0, count: size)
            for i in 0..<size {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
            }
            stream += bytes
            frames.append(SharedBytes.make(bytes))
        }
        return (frames, stream)
    }

    /// 1,000 ten-byte frames go out as one record, not 1,000: the ciphertext is the plaintext
    /// plus one record's overhead (a frame per SSL_write would add ~22 bytes per frame).
    @Test func smallFramesArePackedIntoOneRecord() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        // OpenSSL sends the TLS 1.3 session tickets with the first write: get them out of the way.
        #expect([UInt8(1)].withUnsafeBytes { pair.server.write($0) } == .bytes(1))
        #expect(waitUntil { (pair.client.readAvailable() ?? []) == [1] })
        let before = pair.client.bytesReceived
        let (frames, stream) = Self.frames(sizes: Array(repeating: 10, count: 1000), seed: 1)
        var queue = WriteQueue()
        for f in frames { queue.enqueue(f) }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TLSConnection.maxRecordPlaintext, alignment: 16)
        defer { scratch.deallocate() }
        #expect(queue.flush(through: pair.server, scratch: scratch) == .drained)
        #expect(queue.isEmpty)
        var got: [UInt8] = []
        #expect(waitUntil { got += pair.client.readAvailable() ?? []; return got.count >= stream.count })
        #expect(got == stream)
        let overhead = Int(pair.client.bytesReceived - before) - stream.count
        #expect(overhead <= 64, "ciphertext overhead \(overhead) bytes for 10,000 plaintext bytes")
    }

    /// Frames of every size, a server send buffer far smaller than the data, and more frames
    /// queued between retries: every blocked SSL_write is retried from a re-gathered (moved)
    /// buffer at least as long, and the client receives exactly the stream.
    @Test func blockedWritesResumeWithTheSameBytes() throws {
        let pair = try TLSPair(context: context, serverSendBuffer: 4096)
        try pair.handshake()
        var sizes: [Int] = []
        var s: UInt64 = 42
        for _ in 0..<600 {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            sizes.append([1, 7, 100, 1500, 16383, 16384, 16385, 40000][Int(s >> 61)])
        }
        let (frames, stream) = Self.frames(sizes: sizes, seed: 7)
        var queue = WriteQueue()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TLSConnection.maxRecordPlaintext, alignment: 16)
        defer { scratch.deallocate() }
        var next = 0
        var got: [UInt8] = []
        var blocked = 0
        var failure: TLSFlushResult?
        let done = waitUntil(seconds: 30) {
            // Queue a few frames, flush what the socket takes, then let the client read.
            for _ in 0..<3 where next < frames.count { queue.enqueue(frames[next]); next += 1 }
            switch queue.flush(through: pair.server, scratch: scratch, budget: 256 * 1024) {
            case .blocked: blocked += 1
            case .drained, .budgetExhausted: break
            case .closed: failure = queue.flush(through: pair.server, scratch: scratch); return true
            }
            got += pair.client.readAvailable() ?? []
            return next == frames.count && queue.isEmpty && got.count >= stream.count
        }
        #expect(failure == nil)
        #expect(done)
        #expect(blocked > 0, "the test must exercise WANT_WRITE retries")
        #expect(got.count == stream.count)
        #expect(got == stream)
    }

    @Test func budgetStopsAFlushForFairness() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        let (frames, _) = Self.frames(sizes: Array(repeating: 8000, count: 8), seed: 3)
        var queue = WriteQueue()
        for f in frames { queue.enqueue(f) }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TLSConnection.maxRecordPlaintext, alignment: 16)
        defer { scratch.deallocate() }
        #expect(queue.flush(through: pair.server, scratch: scratch, budget: 20000) == .budgetExhausted)
        #expect(queue.pendingBytes == 64000 - 32768)  // two full records went out
    }
}
