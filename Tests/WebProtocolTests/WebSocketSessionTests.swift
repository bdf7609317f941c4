import Testing
import WebProtocol

@Suite("WebSocket session policy")
struct WebSocketSessionTests {
    /// Feeds `bytes` and collects the actions; `texts` gets each `.text` message as it is
    /// current (a later `receive` replaces it).
    static func receive(_ session: inout WebSocketSession, _ bytes: [UInt8], now: Int64 = 0, texts: inout [[UInt8]]) -> [WebSocketAction] {
        var actions: [WebSocketAction] = []
        var rest = bytes
        while true {
            let (consumed, action) = rest.withUnsafeBytes { session.receive($0, now: now) }
            rest.removeFirst(consumed)
            guard let action else { return actions }
            actions.append(action)
            if action == .text { texts.append(session.message) }
            if case .sendAndClose = action { return actions }
        }
    }

    static func receive(_ session: inout WebSocketSession, _ bytes: [UInt8], now: Int64 = 0) -> [WebSocketAction] {
        var texts: [[UInt8]] = []
        return receive(&session, bytes, now: now, texts: &texts)
    }

    static func session() -> WebSocketSession {
        WebSocketSession(maxMessageBytes: 100, pingInterval: 30_000, pongTimeout: 10_000, now: 0)
    }

    @Test func answersPingsAndDeliversText() {
        var session = Self.session()
        var texts: [[UInt8]] = []
        let actions = Self.receive(&session, client(.ping, "abc") + client(.pong, "x") + client(.text, "hi") + client(.text, "yo"), texts: &texts)
        #expect(actions == [.send([0x8A, 3] + Array("abc".utf8)), .text, .text])
        #expect(texts == [Array("hi".utf8), Array("yo".utf8)])
    }

    @Test func echoesCloseAndRefusesBinaryAndBrokenFrames() {
        var session = Self.session()
        #expect(Self.receive(&session, client(.close, [0x03, 0xE9])) == [.sendAndClose([0x88, 2, 0x03, 0xE9])])
        session = Self.session()
        #expect(Self.receive(&session, client(.close, [])) == [.sendAndClose([0x88, 0])])
        session = Self.session()
        guard case .sendAndClose(let binary)? = Self.receive(&session, client(.binary, [1])).last else {
            Issue.record("binary accepted")
            return
        }
        #expect(Array(binary[2..<4]) == [0x03, 0xEB])  // 1003
        session = Self.session()
        guard case .sendAndClose(let big)? = Self.receive(&session, client(.text, [UInt8](repeating: 0x61, count: 101))).last else {
            Issue.record("oversize accepted")
            return
        }
        #expect(Array(big[2..<4]) == [0x03, 0xF1])  // 1009
    }

    @Test func pingsIdlePeersAndDropsSilentOnes() {
        var session = Self.session()
        #expect(session.nextDeadline == 30_000)
        #expect(session.tick(now: 29_999) == nil)
        #expect(session.tick(now: 30_000) == .send([0x89, 1, UInt8(ascii: "1")]))
        #expect(session.nextDeadline == 40_000)
        #expect(session.tick(now: 39_999) == nil)
        #expect(session.tick(now: 40_000) == .close)

        // Any inbound byte proves the peer alive and restarts the idle clock.
        var alive = Self.session()
        _ = alive.tick(now: 30_000)
        _ = Self.receive(&alive, client(.pong, "1"), now: 35_000)
        #expect(alive.nextDeadline == 65_000)
        #expect(alive.tick(now: 40_000) == nil)
    }
}
