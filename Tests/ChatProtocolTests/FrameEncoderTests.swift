import ChatProtocol
import Testing

@Suite("Frame encoder")
struct FrameEncoderTests {
    @Test("encodedLength is header plus payload")
    func encodedLength() {
        #expect(FrameEncoder.encodedLength(payloadLength: 0) == 10)
        #expect(FrameEncoder.encodedLength(payloadLength: 65536) == 65546)
    }

    @Test("header equals the decimal length padded with spaces to 10, for many lengths")
    func headerFormat() {
        var generator = SeededGenerator(seed: 7)
        var lengths = [0, 9, 10, 99, 100, 999_999_999, 1_000_000_000, Framing.maxEncodablePayload]
        lengths += (0..<500).map { _ in Int.random(in: 0...Framing.maxEncodablePayload, using: &generator) }
        for length in lengths {
            var header = [UInt8](repeating: 0xFF, count: 10)
            header.withUnsafeMutableBytes { FrameEncoder.writeHeader(payloadLength: length, into: $0.baseAddress!) }
            let digits = bytes(String(length))
            #expect(header == digits + [UInt8](repeating: 0x20, count: 10 - digits.count), "length \(length)")
            #expect(frameLength(header, maxPayload: .max) == 10 + length)
        }
    }

    @Test(
        "round trip; lengths count bytes, not characters",
        arguments: ["", "a", "hello", "héllo", "日本語", "👋🏽 hi", "line\nbreak", String(repeating: "é", count: 5000)])
    func roundTrip(text: String) {
        let frame = FrameEncoder.frame(text)
        #expect(frame.count == 10 + text.utf8.count)
        #expect(String(decoding: frame.prefix(10), as: UTF8.self).trimmingSpaces == String(text.utf8.count))
        guard case .frame(let offset, let length) = decode(frame) else {
            Issue.record("did not decode")
            return
        }
        #expect(String(decoding: frame[offset..<offset + length], as: UTF8.self) == text)
    }

    @Test("encode into a buffer writes exactly encodedLength bytes")
    func encodeIntoBuffer() {
        for text in ["", "x", "héllo"] {
            let payload = bytes(text)
            let size = FrameEncoder.encodedLength(payloadLength: payload.count)
            var buffer = [UInt8](repeating: 0xEE, count: size + 4)
            let written = payload.withUnsafeBytes { source in
                buffer.withUnsafeMutableBytes { FrameEncoder.encode(source, into: $0.baseAddress!) }
            }
            #expect(written == size)
            #expect(Array(buffer.prefix(size)) == FrameEncoder.frame(text))
            #expect(buffer.suffix(4).allSatisfy { $0 == 0xEE }, "wrote past the frame")
        }
    }

    @Test("frame(bytes) and frame(String) agree")
    func convenienceOverloads() {
        #expect(FrameEncoder.frame("héllo") == FrameEncoder.frame(bytes("héllo")))
        #expect(FrameEncoder.frame("héllo".utf8) == FrameEncoder.frame(bytes("héllo")[...]))
        #expect(FrameEncoder.frame([UInt8]()) == bytes("0         "))
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(decoding: utf8.filter { $0 != 0x20 }, as: UTF8.self)
    }
}
