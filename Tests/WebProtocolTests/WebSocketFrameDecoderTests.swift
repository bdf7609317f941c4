import Testing
import WebProtocol

/// Everything a decoder produced from a stream: events with their payloads.
struct Decoded: Equatable {
    var events: [WebSocketEvent] = []
    var payloads: [[UInt8]] = []
    var consumed = 0
}

/// Decodes `bytes` fed in chunks of `chunk` bytes (0: all at once).
func decodeAll(_ bytes: [UInt8], max: Int = 1 << 16, chunk: Int = 0) -> Decoded {
    var decoder = WebSocketFrameDecoder(maxMessageBytes: max)
    var result = Decoded()
    var buffered: [UInt8] = []
    var fed = 0
    while true {
        let (consumed, event) = buffered.withUnsafeBytes { decoder.decode($0) }
        buffered.removeFirst(consumed)
        result.consumed += consumed
        if let event {
            result.events.append(event)
            switch event {
            case .text, .binary: result.payloads.append(decoder.message)
            case .ping, .pong, .close: result.payloads.append(decoder.control)
            case .failure: return result
            }
            if decoder.isFinished { return result }
            continue
        }
        if fed == bytes.count { return result }
        let next = chunk == 0 ? bytes.count : min(bytes.count, fed + chunk)
        buffered += bytes[fed..<next]
        fed = next
    }
}

func client(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, mask: UInt32 = 0x3712_AB4F) -> [UInt8] {
    WebSocketFrameEncoder.clientFrame(opcode, payload: payload, mask: mask, fin: fin)
}

func client(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> [UInt8] { client(opcode, Array(text.utf8), fin: fin) }

func failureCode(_ decoded: Decoded) -> UInt16? {
    if case .failure(let code, _)? = decoded.events.last { return code.rawValue }
    return nil
}

@Suite("WebSocket frame decoder")
struct WebSocketFrameDecoderTests {
    @Test func rfcExampleMaskedHello() {
        // RFC 6455 §5.7: a single-frame masked text message "Hello".
        let frame: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        let decoded = decodeAll(frame)
        #expect(decoded.events == [.text])
        #expect(decoded.payloads == [Array("Hello".utf8)])
        #expect(decoded.consumed == frame.count)
    }

    @Test(arguments: [0, 1, 3, 7])
    func fragmentsWithInterleavedControlFrames(chunk: Int) {
        let stream = client(.text, "Hel", fin: false) + client(.ping, "p") + client(.continuation, "lo ", fin: false)
            + client(.continuation, "wörld") + client(.binary, [0, 1, 2]) + client(.close, [0x03, 0xE8] + Array("bye".utf8))
        let decoded = decodeAll(stream, chunk: chunk)
        #expect(decoded.events == [.ping, .text, .binary, .close(.normal)])
        #expect(decoded.payloads == [Array("p".utf8), Array("Hello wörld".utf8), [0, 1, 2], [0x03, 0xE8] + Array("bye".utf8)])
        #expect(decoded.consumed == stream.count)
    }

    @Test func lengthEncodings() {
        for length in [0, 125, 126, 65535, 65536, 70000] {
            let payload = [UInt8](repeating: 0x61, count: length)
            let decoded = decodeAll(client(.binary, payload), max: 1 << 20, chunk: 4096)
            #expect(decoded.events == [.binary])
            #expect(decoded.payloads.first?.count == length)
        }
    }

    @Test func unmaskedClientFrameIsAProtocolError() {
        #expect(failureCode(decodeAll(WebSocketFrameEncoder.frame(.text, payload: Array("hi".utf8)))) == 1002)
    }

    @Test func protocolViolations() {
        var rsv = client(.text, "x")
        rsv[0] |= 0x40
        #expect(failureCode(decodeAll(rsv)) == 1002)
        var reserved = client(.text, "x")
        reserved[0] = 0x83
        #expect(failureCode(decodeAll(reserved)) == 1002)
        #expect(failureCode(decodeAll(client(.ping, "x", fin: false))) == 1002)
        #expect(failureCode(decodeAll(client(.ping, [UInt8](repeating: 0, count: 126)))) == 1002)
        #expect(failureCode(decodeAll(client(.continuation, "x"))) == 1002)
        #expect(failureCode(decodeAll(client(.text, "a", fin: false) + client(.text, "b"))) == 1002)
        // 16-bit length field carrying 5: not minimal.
        #expect(failureCode(decodeAll([0x81, 0xFE, 0x00, 0x05, 0, 0, 0, 0] + Array("hello".utf8))) == 1002)
        #expect(failureCode(decodeAll([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])) == 1002)
    }

    @Test func oversizeMessagesAreRefusedFromTheirHeader() {
        // The header alone is enough: the payload is never buffered.
        let header = Array(client(.binary, [UInt8](repeating: 0, count: 2000)).prefix(8))
        let decoded = decodeAll(header, max: 1000)
        #expect(failureCode(decoded) == 1009)
        // Fragments count together.
        let fragments = client(.text, [UInt8](repeating: 0x61, count: 600), fin: false)
            + client(.continuation, [UInt8](repeating: 0x61, count: 600))
        #expect(failureCode(decodeAll(fragments, max: 1000)) == 1009)
        #expect(decodeAll(fragments, max: 1200).events == [.text])
    }

    @Test func invalidUTF8IsRefusedEvenAcrossFragments() {
        #expect(failureCode(decodeAll(client(.text, [0xC0, 0x80]))) == 1007)
        #expect(failureCode(decodeAll(client(.text, [0xED, 0xA0, 0x80]))) == 1007)
        // A scalar split across fragments is fine; one cut off at the end is not.
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        #expect(decodeAll(client(.text, Array(euro[..<1]), fin: false) + client(.continuation, Array(euro[1...]))).events == [.text])
        #expect(failureCode(decodeAll(client(.text, Array(euro[..<2])))) == 1007)
        // Fail fast: the bad byte is refused before the message ends.
        #expect(failureCode(decodeAll(client(.text, [0x61, 0xFF], fin: false))) == 1007)
        // Binary is not checked.
        #expect(decodeAll(client(.binary, [0xFF])).events == [.binary])
    }

    @Test func closeFrames() {
        #expect(decodeAll(client(.close, [])).events == [.close(nil)])
        #expect(decodeAll(client(.close, [0x0F, 0xA0])).events == [.close(WebSocketCloseCode(rawValue: 4000))])
        #expect(failureCode(decodeAll(client(.close, [0x03]))) == 1002)
        for reserved: UInt16 in [999, 1004, 1005, 1006, 1015, 2000, 5000] {
            #expect(failureCode(decodeAll(client(.close, [UInt8(reserved >> 8), UInt8(reserved & 0xFF)]))) == 1002)
        }
        #expect(failureCode(decodeAll(client(.close, [0x03, 0xE8, 0xFF]))) == 1007)
        // Nothing is decoded after a close.
        #expect(decodeAll(client(.close, []) + client(.text, "late")).events == [.close(nil)])
    }
}
