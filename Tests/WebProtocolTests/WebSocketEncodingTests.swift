import COpenSSL
import Testing
import WebProtocol

@Suite("WebSocket encoder, handshake and base64")
struct WebSocketEncodingTests {
    @Test func serverFramesAreUnmaskedWithMinimalHeaders() {
        #expect(WebSocketFrameEncoder.frame(.text, payload: Array("Hello".utf8)) == [0x81, 0x05] + Array("Hello".utf8))
        let medium = WebSocketFrameEncoder.frame(.binary, payload: [UInt8](repeating: 1, count: 256))
        #expect(Array(medium.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        let large = WebSocketFrameEncoder.frame(.binary, payload: [UInt8](repeating: 1, count: 65536))
        #expect(Array(large.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(large.count == 65546)
    }

    @Test func closeReasonIsCutOnAScalarBoundary() {
        let frame = WebSocketFrameEncoder.close(.messageTooBig, reason: String(repeating: "é", count: 100))
        #expect(frame[0] == 0x88)
        #expect(Int(frame[1]) <= 125)
        #expect(Array(frame[2..<4]) == [0x03, 0xF1])
        #expect(String(validating: frame[4...], as: UTF8.self) != nil)
    }

    @Test func clientFramesRoundTrip() {
        for mask: UInt32 in [0, 0xFFFF_FFFF, 0x0102_0304] {
            let frame = WebSocketFrameEncoder.clientFrame(.text, payload: Array("round trip".utf8), mask: mask)
            #expect(decodeAll(frame).payloads == [Array("round trip".utf8)])
        }
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64RFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func base64RefusesNonCanonicalInput() {
        for bad in ["Zg=", "Zh==", "Z===", "Zm9v!", "Zg==Zg==", "Zm 9v"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
    }

    static let upgradeRequest = """
        GET /ws HTTP/1.1\r
        Host: chat.example:8080\r
        Upgrade: websocket\r
        Connection: keep-alive, Upgrade\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Sec-WebSocket-Version: 13\r
        Sec-WebSocket-Protocol: other, chatd.v1\r
        Origin: http://chat.example:8080\r
        \r

        """

    static func head(_ text: String) -> HTTPRequestHead {
        guard case .request(let head, _) = parse(text) else { fatalError("test request refused: \(parse(text))") }
        return head
    }

    @Test func acceptsAValidUpgradeAndAnswers101() {
        let result = WebSocketHandshake.validate(Self.head(Self.upgradeRequest), origins: .sameHost)
        guard case .success(let upgrade) = result else {
            Issue.record("refused: \(result)")
            return
        }
        #expect(upgrade == WebSocketUpgrade(key: "dGhlIHNhbXBsZSBub25jZQ==", subprotocol: "chatd.v1"))
        var hashed: [UInt8] = []
        // The SHA-1 is injected: check what it is given and that its digest is base64-encoded.
        let response = String(decoding: WebSocketHandshake.response(upgrade) { input in
            hashed = input
            return Array(0..<20)
        }, as: UTF8.self)
        #expect(hashed == Array("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8))
        #expect(response == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(Base64.encode(Array(0..<20)))\r\nSec-WebSocket-Protocol: chatd.v1\r\n\r\n")
    }

    static func refusal(_ text: String, origins: OriginPolicy = .sameHost) -> Int? {
        if case .failure(let error) = WebSocketHandshake.validate(head(text), origins: origins) { return error.status.code }
        return nil
    }

    @Test func refusesBadHandshakes() {
        let good = Self.upgradeRequest
        #expect(Self.refusal(good) == nil)
        #expect(Self.refusal(good.replacingOccurrences(of: "Upgrade: websocket\r\n", with: "")) == 426)
        #expect(Self.refusal(good.replacingOccurrences(of: "Version: 13", with: "Version: 8")) == 426)
        #expect(Self.refusal(good.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "c2hvcnQ=")) == 400)
        #expect(Self.refusal(good.replacingOccurrences(of: "other, chatd.v1", with: "other")) == 400)
        #expect(Self.refusal(good.replacingOccurrences(of: "Origin: http://chat.example:8080", with: "Origin: https://evil.example")) == 403)
        #expect(Self.refusal(good.replacingOccurrences(of: "Origin: http://chat.example:8080", with: "Origin: https://evil.example"),
                             origins: .allowed(["https://evil.example"])) == nil)
        #expect(Self.refusal(good.replacingOccurrences(of: "Origin: http://chat.example:8080", with: "Origin: https://evil.example"),
                             origins: .any) == nil)
        // Non-browser clients send no Origin and no subprotocol.
        #expect(Self.refusal(good.replacingOccurrences(of: "Origin: http://chat.example:8080\r\n", with: "")
            .replacingOccurrences(of: "Sec-WebSocket-Protocol: other, chatd.v1\r\n", with: "")) == nil)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

@Suite("Sec-WebSocket-Accept with libcrypto SHA-1")
struct WebSocketAcceptTests {
    static func sha1(_ input: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        _ = SHA1(input, input.count, &digest)
        return digest
    }

    /// RFC 6455 §1.3's worked example: a wrong GUID, concatenation or base64 changes it.
    @Test func rfcExample() {
        #expect(WebSocketHandshake.acceptValue(key: "dGhlIHNhbXBsZSBub25jZQ==", sha1: Self.sha1) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
