import ChatProtocol
import Testing

@Suite("Frame header")
struct FrameHeaderTests {
    /// Python's f"{n:<10}", written out by hand.
    static let pythonHeaders: [(Int, String)] = [
        (0, "0         "),
        (1, "1         "),
        (9, "9         "),
        (10, "10        "),
        (65536, "65536     "),
        (1_234_567_890, "1234567890"),
    ]

    @Test("writeHeader matches Python f\"{n:<10}\"", arguments: pythonHeaders)
    func writesPythonHeader(length: Int, expected: String) {
        var header = [UInt8](repeating: 0, count: Framing.headerLength)
        header.withUnsafeMutableBytes { FrameEncoder.writeHeader(payloadLength: length, into: $0.baseAddress!) }
        #expect(header == bytes(expected))
    }

    @Test("decoder reads Python headers", arguments: pythonHeaders)
    func readsPythonHeader(length: Int, header: String) {
        #expect(frameLength(bytes(header), maxPayload: Int.max) == 10 + length)
        let frame = bytes(header) + [UInt8](repeating: 0x61, count: min(length, 70000))
        let expected: FrameDecodeResult =
            length <= 70000 ? .frame(payloadOffset: 10, payloadLength: length) : .needMore
        #expect(decode(frame, maxPayload: Int.max) == expected)
    }

    @Test(
        "ASCII whitespace around the digits is accepted",
        arguments: [
            " 5        ", "5         ", "        5 ", "         5", "\t5\t\t\t\t\t\t\t\t",
            "5\n        ", "5\r\n       ", "\u{0B}5\u{0C}       ", "\n\n\n\n\n\n\n\n\n5",
            "  00005   ",
        ])
    func acceptsWhitespace(header: String) {
        #expect(decode(bytes(header + "hello")) == .frame(payloadOffset: 10, payloadLength: 5))
    }

    @Test(
        "invalid headers are rejected",
        arguments: [
            "          ", "\t\t\t\t\t\t\t\t\t\t", "-5        ", "+5        ", "-1        ", "+1        ",
            "abc       ", "1 2       ", "1_0       ", "1\t2       ", "0x10      ", "5.0       ",
            "GET / HTTP", "5\0        ", "\u{1C}5        ", "\u{7F}5        ", "1e3       ",
        ])
    func rejectsInvalid(header: String) {
        #expect(bytes(header).count == 10)
        #expect(decode(bytes(header) + bytes("payload")) == .error(.invalidHeader))
        #expect(frameLength(bytes(header)) == nil)
    }

    @Test("non-ASCII whitespace is not whitespace", arguments: [[0xC2, 0xA0], [0xC2, 0x85], [0xA0], [0x85]])
    func rejectsUnicodeSpace(prefix: [UInt8]) {
        let header = prefix + bytes("5") + [UInt8](repeating: 0x20, count: 9 - prefix.count)
        #expect(decode(header + bytes("hello")) == .error(.invalidHeader))
    }

    @Test("garbage is rejected at its first impossible byte")
    func earlyDetection() {
        let http = bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(decode(Array(http.prefix(1))) == .error(.invalidHeader))
        #expect(decode(bytes("-")) == .error(.invalidHeader))
        #expect(decode(bytes("+")) == .error(.invalidHeader))
        #expect(decode(bytes("1_")) == .error(.invalidHeader))
        #expect(decode(bytes("1 2")) == .error(.invalidHeader))
        #expect(decode(bytes("  12 \t3")) == .error(.invalidHeader))
        #expect(decode([0x16, 0x03, 0x01]) == .error(.invalidHeader))  // TLS ClientHello
    }

    @Test(
        "prefixes of a valid header need more",
        arguments: ["", " ", "1", "12", "12 ", " 1", "\t", "123456789", "         "])
    func validPrefixesNeedMore(prefix: String) {
        #expect(decode(bytes(prefix)) == .needMore)
        #expect(frameLength(bytes(prefix)) == nil)
    }

    @Test("a header over the limit is rejected before the payload arrives")
    func tooLargeFromHeaderAlone() {
        #expect(decode(bytes("70000     ")) == .error(.payloadTooLarge(length: 70000, limit: 65536)))
        #expect(decode(bytes("9999999999")) == .error(.payloadTooLarge(length: 9_999_999_999, limit: 65536)))
        // "99999999999": the header is the first ten nines; the eleventh is payload.
        #expect(
            decode(bytes("99999999999"), maxPayload: .max)
                == .needMore)
        #expect(decode(bytes("99999999999")) == .error(.payloadTooLarge(length: 9_999_999_999, limit: 65536)))
        // A too-long prefix is not yet an error: the rest could still be garbage.
        #expect(decode(bytes("9999999")) == .needMore)
    }

    @Test("limit boundary: exactly the limit is accepted, one more is rejected")
    func limitBoundary() {
        for limit in [0, 1, 10, 65536] {
            let atLimit = FrameEncoder.frame([UInt8](repeating: 0x78, count: limit))
            #expect(decode(atLimit, maxPayload: limit) == .frame(payloadOffset: 10, payloadLength: limit))
            #expect(frameLength(atLimit, maxPayload: limit) == 10 + limit)
            let over = FrameEncoder.frame([UInt8](repeating: 0x78, count: limit + 1))
            #expect(decode(over, maxPayload: limit) == .error(.payloadTooLarge(length: limit + 1, limit: limit)))
            #expect(decode(Array(over.prefix(10)), maxPayload: limit) == .error(.payloadTooLarge(length: limit + 1, limit: limit)))
            #expect(frameLength(over, maxPayload: limit) == nil)
        }
    }

    @Test("error descriptions are the texts of the error frame")
    func descriptions() {
        #expect(FrameError.invalidHeader.description == "invalid frame header")
        #expect(
            FrameError.payloadTooLarge(length: 70000, limit: 65536).description
                == "message of 70000 bytes exceeds the 65536-byte limit")
    }
}
