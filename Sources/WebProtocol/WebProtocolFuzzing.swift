/// Entry points for the libFuzzer harnesses Fuzz/harness/http.swift and websocket.swift.
/// Each `precondition`s invariants, so a violation is a crash the fuzzer reports.
public enum WebProtocolFuzzing {
    /// Byte 0 picks the limits, byte 1 seeds the read sizes. Invariants: never traps; the
    /// result is the same fed whole, byte by byte, or in random reads (the incremental
    /// search must not change the answer); a parsed head is within its caps, uses GET or
    /// HEAD, an origin-form target and lowercase token header names; its `consumed` ends
    /// with CRLFCRLF; the site's answer to it is a well-formed status line.
    public static func fuzzHTTP(_ data: UnsafeRawBufferPointer) {
        let limitChoices = [HTTPLimits(), HTTPLimits(maxRequestLine: 16, maxHeaderCount: 2, maxHeaderBytes: 40), HTTPLimits(maxRequestLine: 64, maxHeaderCount: 8, maxHeaderBytes: 128)]
        let limits = data.count > 0 ? limitChoices[Int(data[0]) % limitChoices.count] : HTTPLimits()
        var state = data.count > 1 ? UInt64(data[1]) : 0
        let stream = UnsafeRawBufferPointer(rebasing: data[min(2, data.count)...])

        let whole = parseIncrementally(stream, limits: limits) { _ in stream.count }
        let byteAtATime = parseIncrementally(stream, limits: limits) { _ in 1 }
        let random = parseIncrementally(stream, limits: limits) { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 59) &+ 1
        }
        precondition(whole == byteAtATime, "byte-at-a-time parse differs: \(whole) vs \(byteAtATime)")
        precondition(whole == random, "split parse differs: \(whole) vs \(random)")

        if case .request(let head, let consumed) = whole {
            precondition(consumed <= stream.count && consumed <= limits.maxHeadBytes)
            precondition(stream[consumed &- 4..<consumed].elementsEqual([13, 10, 13, 10]))
            precondition(head.target.utf8.first == ASCII.slash)
            precondition(head.headers.count <= limits.maxHeaderCount)
            for header in head.headers {
                precondition(!header.name.isEmpty && header.name.utf8.allSatisfy(ASCII.isTokenByte))
                precondition(header.name == header.name.lowercased())
            }
            _ = WebSocketHandshake.validate(head, origins: .sameHost)
            if case .response(let bytes, let keepAlive) = site.answer(head) {
                precondition(bytes.starts(with: "HTTP/1.1 ".utf8) && keepAlive == head.keepAlive)
                precondition(head.method == .get || !bytes.suffix(2).elementsEqual("ok".utf8))
            }
        }
    }

    static let site = WebSite(contents: [
        "index.html": Array("<!doctype html>".utf8), "app.js": Array("ok".utf8), "app.js.gz": [0x1F, 0x8B],
    ])

    static func parseIncrementally(
        _ stream: UnsafeRawBufferPointer, limits: HTTPLimits, nextRead: (Int) -> Int
    ) -> HTTPParseResult {
        var parser = HTTPRequestParser(limits: limits)
        var available = 0
        while true {
            available = min(stream.count, available &+ max(1, nextRead(available)))
            let result = parser.parse(UnsafeRawBufferPointer(rebasing: stream[..<available]))
            if result != .incomplete || available == stream.count { return result }
        }
    }

    /// Byte 0 picks the message cap, byte 1 seeds the read sizes. Invariants: the same
    /// events and payloads whole, byte by byte and in random reads; text is valid UTF-8 by
    /// the stdlib's judgement; no message exceeds the cap, no control payload 125 bytes;
    /// each message re-encoded as a client frame decodes to itself; chatd.v1 decoding of a
    /// text message never traps.
    public static func fuzzWebSocket(_ data: UnsafeRawBufferPointer) {
        let caps = [0, 1, 125, 126, 1000, 65536, 1 << 20]
        let cap = data.count > 0 ? caps[Int(data[0]) % caps.count] : 1000
        var state = data.count > 1 ? UInt64(data[1]) : 0
        let stream = UnsafeRawBufferPointer(rebasing: data[min(2, data.count)...])

        let whole = decodeStream(stream, cap: cap) { stream.count }
        let byteAtATime = decodeStream(stream, cap: cap) { 1 }
        let random = decodeStream(stream, cap: cap) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 58) &+ 1
        }
        precondition(whole == byteAtATime, "byte-at-a-time decoding differs")
        precondition(whole == random, "split decoding differs")

        for (event, payload) in whole {
            switch event {
            case .text:
                precondition(String(validating: payload, as: UTF8.self) != nil, "text message is not UTF-8")
                _ = payload.withUnsafeBytes { ChatV1ClientMessage.decode($0) }
                fallthrough
            case .binary:
                precondition(payload.count <= cap)
                let again = decodeStream(WebSocketFrameEncoder.clientFrame(event == .text ? .text : .binary, payload: payload, mask: 0xA5C3_0F1E), cap: cap)
                precondition(again.count == 1 && again[0].0 == event && again[0].1 == payload, "re-encoded message decodes differently")
            case .ping, .pong, .close:
                precondition(payload.count <= 125)
            case .failure:
                break
            }
        }
    }

    static func decodeStream(_ bytes: [UInt8], cap: Int) -> [(WebSocketEvent, [UInt8])] {
        bytes.withUnsafeBytes { decodeStream($0, cap: cap) { bytes.count } }
    }

    static func decodeStream(
        _ stream: UnsafeRawBufferPointer, cap: Int, nextRead: () -> Int
    ) -> [(WebSocketEvent, [UInt8])] {
        var decoder = WebSocketFrameDecoder(maxMessageBytes: cap)
        var events: [(WebSocketEvent, [UInt8])] = []
        var start = 0
        var available = 0
        while !decoder.isFinished {
            let (consumed, event) = decoder.decode(UnsafeRawBufferPointer(rebasing: stream[start..<available]))
            start &+= consumed
            precondition(start <= available)
            if let event {
                switch event {
                case .text, .binary: events.append((event, decoder.message))
                case .ping, .pong, .close: events.append((event, decoder.control))
                case .failure: events.append((event, []))
                }
                continue
            }
            if available == stream.count { break }
            available = min(stream.count, available &+ max(1, nextRead()))
        }
        return events
    }
}

/// Tuples are not Equatable; compare event lists element by element.
private func == (lhs: [(WebSocketEvent, [UInt8])], rhs: [(WebSocketEvent, [UInt8])]) -> Bool {
    lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
}
