import BenchCore
import Testing

/// The ws adapter: the upgrade and chatd.v1 frames it sends, and the 101 head and frames of a
/// chatd.v1 server it reads, split at every byte.
@Suite struct WebSocketAdapterTests {
    /// Client frames as RFC 6455 §5.2 lays them out: FIN + text, MASK + length, a zero key.
    func frame(_ json: String) -> [UInt8] {
        let p = Array(json.utf8)
        precondition(p.count < 126)
        return [0x81, 0x80 | UInt8(p.count), 0, 0, 0, 0] + p
    }

    @Test func helloUpgradesThenSaysHelloAndJoins() {
        let a = Adapter(.ws)
        let hello = a.hello(name: "b1", room: nil, isSender: false)
        let head = Array(
            ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chatd.v1\r\n\r\n").utf8)
        #expect(hello == head + frame(#"{"type":"hello","nick":"b1"}"#) + frame(#"{"type":"join","room":"lobby"}"#))
        #expect(a.hello(name: "b7", room: "r2", isSender: true).suffix(30) == ArraySlice(frame(#"{"type":"join","room":"r2"}"#).suffix(30)))
        #expect(a.senderReceives && a.supportsRooms && a.serverGreets && a.echoesToSender)
    }

    @Test func messageIsOneMaskedSayFrame() {
        let a = Adapter(.ws)
        #expect(a.message(Array("hello".utf8)) == frame(#"{"type":"say","room":"lobby","text":"hello"}"#))
        #expect(a.messageLength(payloadSize: 5, room: nil) == a.message(Array("hello".utf8)).count)
        // 126+ bytes of JSON: the 16-bit length form.
        let long = a.message([UInt8](repeating: 0x2E, count: 200), room: "r12")
        #expect(Array(long.prefix(4)) == [0x81, 0x80 | 126, 0, UInt8(200 + 32 + 3 + 2)])
        #expect(a.messageLength(payloadSize: 200, room: "r12") == long.count)
    }

    /// A server frame (unmasked).
    func serverFrame(_ opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return (n < 126 ? [0x80 | opcode, UInt8(n)] : [0x80 | opcode, 126, UInt8(n >> 8), UInt8(n & 0xFF)]) + payload
    }

    func parse(_ wire: [UInt8], splitAt: Int? = nil) -> (texts: [String], notices: Int, replies: [UInt8], rest: Int)? {
        var d = StreamDecoder(.ws)
        var texts: [String] = []
        var pending: [UInt8] = []
        var replies: [UInt8] = []
        let chunks: [[UInt8]] = splitAt.map { [Array(wire[..<$0]), Array(wire[$0...])] } ?? [wire]
        for chunk in chunks {
            pending += chunk
            let outcome = pending.withUnsafeBytes { d.parse($0) { texts.append(String(decoding: $0, as: UTF8.self)) } }
            guard case .consumed(let n) = outcome else { return nil }
            pending.removeFirst(n)
            replies += d.replies
            d.replies.removeAll()
        }
        return (texts, d.notices, replies, pending.count)
    }

    @Test func findsMessageTextsAfterTheUpgrade() throws {
        let long = "@BM" + String(repeating: ".", count: 300)
        let wire = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
            + serverFrame(1, Array(#"{"type":"welcome","nick":"b1","server":"chatd"}"#.utf8))
            + serverFrame(1, Array(#"{"type":"history","room":"lobby","events":[{"type":"message","room":"lobby","from":"x","text":"old","time":1,"seq":1}],"more":false}"#.utf8))
            + serverFrame(1, Array(#"{"type":"message","room":"lobby","from":"b0","text":"@BM hi","time":1764560000123,"seq":42}"#.utf8))
            + serverFrame(9, Array("1".utf8))
            + serverFrame(1, Array(#"{"type":"message","room":"lobby","from":"b0","text":"\#(long)","time":1,"seq":43}"#.utf8))
            + serverFrame(1, Array(#"{"type":"message","room":"lobby","from":"b0","text":"cut"#.utf8)).prefix(9)
        for split in [nil] + Array(1..<wire.count) {
            let r = try #require(parse(wire, splitAt: split), "split at \(split ?? -1)")
            #expect(r.texts == ["@BM hi", long], "split at \(split ?? -1)")
            #expect(r.notices == 2)
            #expect(r.replies == [0x8A, 0x81, 0, 0, 0, 0, 0x31], "a masked pong with the ping's payload")
            #expect(r.rest == 9)
        }
    }

    @Test func refusesWhatNoChatdV1ServerSends() {
        #expect(parse(Array("HTTP/1.1 403 Forbidden\r\n\r\n".utf8)) == nil)
        let upgraded = Array("HTTP/1.1 101 Switching Protocols\r\n\r\n".utf8)
        #expect(parse(upgraded + [0x81, 0x81, 1, 2, 3, 4, 0x41]) == nil, "a masked server frame")
        #expect(parse(upgraded + [0x01, 0x01, 0x41]) == nil, "a fragment")
    }
}
