import ChatProtocol
import Testing

@Suite("Framed decoder over a stream")
struct FramedDecoderTests {
    /// What the seed's Python client sends: username, then messages; plus the variants
    /// the decoder must tolerate (leading-space header, empty message, multi-byte text).
    static let payloads: [[UInt8]] = [
        bytes("alice"), bytes("hello everyone"), [], bytes("héllo wörld ✓"), bytes("👋🏽"),
        [UInt8](repeating: 0x7A, count: 300),
    ]

    static var stream: [UInt8] {
        var stream = payloads.flatMap(FrameEncoder.frame)
        stream += bytes(" 3        ") + bytes("abc")  // f"{n: < 10}" style
        return stream
    }

    static var expected: [[UInt8]] { payloads + [bytes("abc")] }

    @Test("back-to-back frames in one buffer")
    func backToBack() {
        let outcome = decodeStream(Self.stream, reads: [Self.stream.count])
        #expect(outcome == StreamOutcome(payloads: Self.expected))
    }

    @Test("one byte at a time gives the same frames")
    func byteAtATime() {
        let outcome = decodeStream(Self.stream, reads: repeatElement(1, count: Self.stream.count))
        #expect(outcome == StreamOutcome(payloads: Self.expected))
    }

    @Test("split at every byte position gives the same frames")
    func everySplit() {
        let stream = Self.stream
        for split in 1..<stream.count {
            let outcome = decodeStream(stream, reads: [split, stream.count])
            #expect(outcome == StreamOutcome(payloads: Self.expected), "split at \(split)")
        }
    }

    @Test("random read sizes give the same frames")
    func randomReads() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let reads = (0..<Self.stream.count).map { _ in Int.random(in: 1...40, using: &generator) }
            #expect(decodeStream(Self.stream, reads: reads) == StreamOutcome(payloads: Self.expected))
        }
    }

    @Test("every prefix of a frame needs more, the whole frame decodes")
    func prefixesNeedMore() {
        let frame = FrameEncoder.frame("hello")
        for length in 0..<frame.count {
            #expect(decode(Array(frame.prefix(length))) == .needMore, "prefix \(length)")
        }
        #expect(decode(frame) == .frame(payloadOffset: 10, payloadLength: 5))
        #expect(decode(frame + bytes("12")) == .frame(payloadOffset: 10, payloadLength: 5))
    }

    @Test("frameLength is known as soon as the header is complete")
    func frameLengthFromHeader() {
        let frame = FrameEncoder.frame("hello")
        for length in 0..<10 { #expect(frameLength(Array(frame.prefix(length))) == nil) }
        for length in 10...frame.count { #expect(frameLength(Array(frame.prefix(length))) == 15) }
        #expect(frameLength(bytes("x         ")) == nil)
        #expect(frameLength(bytes("0         ")) == 10)
    }

    @Test("an empty payload is a valid frame")
    func emptyPayload() {
        #expect(decode(bytes("0         ")) == .frame(payloadOffset: 10, payloadLength: 0))
        #expect(decode(bytes("0         0         ")) == .frame(payloadOffset: 10, payloadLength: 0))
    }

    @Test("an error after good frames ends the stream at the bad frame, at any split")
    func errorAfterFrames() {
        let stream = FrameEncoder.frame("alice") + FrameEncoder.frame("hi") + bytes("GET / HTTP/1.1\r\n")
        let expected = StreamOutcome(payloads: [bytes("alice"), bytes("hi")], error: .invalidHeader, leftover: 16)
        for split in 1..<stream.count {
            #expect(decodeStream(stream, reads: [split, stream.count]) == expected, "split at \(split)")
        }
        #expect(decodeStream(stream, reads: repeatElement(1, count: stream.count)) == expected)
    }

    @Test("a too-large frame is an error at any split once its header is complete")
    func tooLargeInStream() {
        let stream = FrameEncoder.frame("ok") + FrameEncoder.frame([UInt8](repeating: 0x61, count: 101))
        let expected = StreamOutcome(
            payloads: [bytes("ok")], error: .payloadTooLarge(length: 101, limit: 100), leftover: 111)
        for split in 1..<stream.count {
            #expect(decodeStream(stream, reads: [split, stream.count], maxPayload: 100) == expected)
        }
        // Header complete, payload absent: the error does not wait for the payload.
        let headerOnly = Array(stream.prefix(12 + 10))
        #expect(
            decodeStream(headerOnly, reads: [headerOnly.count], maxPayload: 100)
                == StreamOutcome(payloads: [bytes("ok")], error: .payloadTooLarge(length: 101, limit: 100), leftover: 10))
    }

    @Test("the stream ends mid-frame: frames so far, no error")
    func truncatedStream() {
        let stream = FrameEncoder.frame("one") + Array(FrameEncoder.frame("two").prefix(12))
        #expect(decodeStream(stream, reads: [1, 5, 100]) == StreamOutcome(payloads: [bytes("one")], leftover: 12))
    }

    @Test("offsets are relative to the given buffer, even inside a larger allocation")
    func offsetsRelativeToBuffer() {
        let stream = bytes("junk") + FrameEncoder.frame("abc")
        stream.withUnsafeBytes { all in
            let window = UnsafeRawBufferPointer(rebasing: all[4...])
            #expect(FramedDecoder.decode(window, maxPayload: 10) == .frame(payloadOffset: 10, payloadLength: 3))
            #expect(Array(window[10..<13]) == bytes("abc"))
        }
    }
}
