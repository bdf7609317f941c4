/// Entry point for the libFuzzer harness `Fuzz/harness/irc.swift` (and the corpus replay
/// test). It exercises the line decoder, parser, writer, chat-line fast path, registration,
/// CTCP and name rules, `precondition`ing their invariants, so a violated invariant is a
/// crash the fuzzer reports. Allocation is fine here.
public enum IRCFuzzing {
    /// Byte 0 seeds how the rest is split into reads; the rest is the client's byte stream.
    ///
    /// Invariants: decoding in arbitrary reads gives the same lines and over-long reports as
    /// decoding at once, holding at most one line's limit plus one read; lines are non-empty,
    /// LF-free and within `IRCLimits`; a truncated over-long line ends on a UTF-8 boundary
    /// when the input was UTF-8. Every line that parses writes back within the limits and
    /// parses to the same message; `.replace` parsing never fails on UTF-8 where `.reject`
    /// succeeds; relayed text comes back from `IRCChatLine` lines intact (CR/NUL → space);
    /// registration actions are all writable; accepted nicks and channels obey their rules.
    public static func fuzzLines(_ data: UnsafeRawBufferPointer) {
        let seed = data.count > 0 ? UInt64(data[0]) : 0
        let stream = UnsafeRawBufferPointer(rebasing: data[min(1, data.count)...])
        let streamIsUTF8 = String(validating: stream, as: UTF8.self) != nil
        // One registration over the whole stream, so NICK/USER/CAP sequences reach it.
        var registration = IRCRegistration(.init(server: "fuzz.test", password: seed % 3 == 0 ? "pw" : nil))
        // A small decoder too, so short inputs reach the over-long paths.
        for decoder in [IRCLineDecoder(), IRCLineDecoder(maxTagBytes: 24, maxBodyBytes: 16)] {
            let whole = decode(stream, decoder) { _ in stream.count }
            // Byte-at-a-time only for short inputs: under coverage instrumentation it costs
            // most of an execution, and the random split below covers long ones.
            if stream.count <= 600 {
                precondition(decode(stream, decoder) { _ in 1 } == whole, "byte-at-a-time decoding differs")
            }
            var generator = FuzzRandom(seed: seed)
            precondition(
                decode(stream, decoder) { _ in Int(truncatingIfNeeded: generator.next() % 97) &+ 1 } == whole,
                "split decoding differs")
            for event in whole.events {
                check(event, decoder, streamIsUTF8: streamIsUTF8, registration: &registration)
            }
        }
    }

    // MARK: - Decoding

    struct Event: Equatable {
        var kind: UInt8  // 0 line, 1 over-long tags, 2 over-long body
        var bytes: [UInt8]
    }

    struct Decoded: Equatable {
        var events: [Event] = []
    }

    /// Feeds the stream in reads of `nextRead(available)` bytes, dropping consumed bytes.
    static func decode(_ stream: UnsafeRawBufferPointer, _ decoder: IRCLineDecoder, nextRead: (Int) -> Int) -> Decoded {
        var decoder = decoder
        var decoded = Decoded()
        var buffer: [UInt8] = []
        var position = 0
        while true {
            let step = buffer.withUnsafeBytes { decoder.next($0) }
            precondition(step.consumed >= 0 && step.consumed <= buffer.count)
            switch step.event {
            case .line(let range):
                precondition(range.upperBound <= step.consumed)
                decoded.events.append(Event(kind: 0, bytes: Array(buffer[range])))
            case .overlong(let part, let truncated):
                precondition((part == .tags) == (truncated == nil))
                decoded.events.append(Event(kind: part == .tags ? 1 : 2, bytes: truncated.map { Array(buffer[$0]) } ?? []))
            case .needMore:
                break
            }
            buffer.removeFirst(step.consumed)
            if step.event != .needMore { continue }
            if position == stream.count { return decoded }
            let read = min(stream.count &- position, max(1, nextRead(buffer.count)))
            precondition(buffer.count <= decoder.maxLineBytes, "decoder kept more than one line's limit")
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: stream[position..<position &+ read]))
            position &+= read
        }
    }

    static func check(_ event: Event, _ decoder: IRCLineDecoder, streamIsUTF8: Bool, registration: inout IRCRegistration) {
        let line = event.bytes
        if event.kind == 1 { return }
        precondition(!line.isEmpty && !line.contains(IRCBytes.lf), "empty line or LF inside a line")
        var bodyStart = 0
        if line.first == IRCBytes.at {
            // A line of tags without a space is all tags (the parser rejects it).
            bodyStart = line.firstIndex(of: IRCBytes.space).map { $0 &+ 1 } ?? line.count
            precondition(bodyStart <= decoder.maxTagBytes, "tags over their limit")
        }
        precondition(line.count &- bodyStart <= decoder.maxBodyBytes, "body over its limit")
        // Lines end at LF and truncation backs off to a code point boundary, so UTF-8 input
        // gives UTF-8 lines.
        precondition(!streamIsUTF8 || String(validating: line, as: UTF8.self) != nil, "a cut split a UTF-8 sequence")
        line.withUnsafeBytes { checkMessage($0, registration: &registration) }
        line.withUnsafeBytes { checkChatLine($0) }
        checkNames(line)
    }

    // MARK: - Parse / write

    static func checkMessage(_ line: UnsafeRawBufferPointer, registration: inout IRCRegistration) {
        let replaced = Result { () throws(IRCParseError) in try IRCMessage.parse(line, invalidUTF8: .replace) }
        switch Result(catching: { () throws(IRCParseError) in try IRCMessage.parse(line) }) {
        case .success(let message):
            precondition((try? replaced.get()) == message, "replace and reject disagree on valid UTF-8")
            let written: [UInt8]
            do {
                written = try message.serialized()
            } catch {
                preconditionFailure("a parsed message cannot be written: \(error)")
            }
            precondition(written.count <= line.count &+ 2, "writing made the line longer")
            let again = try? IRCMessage.parse(Array(written.dropLast(2)))
            precondition(again == message, "parse(write(m)) != m")
            precondition(message.isCommand(message.verb))
            checkRegistration(registration.handle(message), &registration)
            if message.isCommand("AUTHENTICATE"), let parameter = message.params.first { checkSASL(parameter) }
            if let text = message.params.last {
                let action = CTCP.action(text)
                let sanitized = text.utf8.map { $0 == IRCBytes.ctcpDelimiter ? IRCBytes.space : $0 }
                precondition(CTCP.actionText(action).map { Array($0.utf8) } == sanitized, "CTCP ACTION round trip")
            }
        case .failure(let error):
            if case .invalidUTF8 = error {
                precondition((try? replaced.get()) != nil, "replace failed where only UTF-8 was wrong")
            } else {
                precondition((try? replaced.get()) == nil, "replace succeeded on a malformed line")
            }
        }
    }

    /// Every line registration sends is writable; claims are answered (in use for nicks of
    /// odd length, so both paths run) and the nicks it claims obey IRC's rules.
    static func checkRegistration(_ actions: [IRCRegistration.Action], _ registration: inout IRCRegistration) {
        for action in actions {
            switch action {
            case .send(let reply), .close(let reply):
                precondition((try? reply.serialized()) != nil, "registration produced an unwritable line")
            case .claimNick(let nick):
                precondition(IRCNames.validateNick(nick) == .success(nick) && registration.pendingClaim == nick)
                let answer: IRCRegistration.ClaimResult = nick.utf8.count % 2 == 1 ? .inUse : .granted
                checkRegistration(registration.claimResult(answer, for: nick), &registration)
                precondition(registration.isRegistered == (answer == .granted))
            case .registered(let result):
                precondition(IRCNames.validateNick(result.nick) == .success(result.nick))
                precondition(result.capabilities.isSubset(of: IRCCapability.chatdDefaults.map(\.name)))
            }
        }
    }

    // MARK: - Chat lines

    static let sources = ["alice!alice@framed", "n"]

    static func checkChatLine(_ text: UnsafeRawBufferPointer) {
        let expected = text.map { IRCBytes.isLineBreakOrNUL($0) ? IRCBytes.space : $0 }
        for (index, source) in sources.enumerated() {
            let action = index == 1
            var buffer: [UInt8] = []
            var collected: [UInt8] = []
            var offset = 0
            repeat {
                guard let line = IRCChatLine.append(
                    index == 0 ? .privmsg : .notice, source: source, target: "#room",
                    text: UnsafeRawBufferPointer(rebasing: text[offset...]), action: action,
                    serverTime: Int64(text.count) &* 1_000_003, to: &buffer)
                else { preconditionFailure("IRCChatLine refused valid names") }
                precondition(line.end == buffer.count && line.end &- line.bodyStart <= IRCLimits.maxBodyBytes &+ 2)
                precondition(line.textConsumed > 0 || text.count == offset, "no progress")
                var piece = Array(buffer[line.bodyStart..<line.end &- 2])
                let prefixLength = 1 + source.utf8.count + 1 + (index == 0 ? 7 : 6) + 1 + 5 + 2
                piece.removeFirst(prefixLength)
                if action {
                    precondition(piece.starts(with: IRCChatLine.actionPrefix) && piece.last == IRCBytes.ctcpDelimiter)
                    piece = Array(piece.dropFirst(8).dropLast())
                }
                collected += piece
                offset &+= line.textConsumed
            } while offset < text.count
            let wanted = action ? expected.map { $0 == IRCBytes.ctcpDelimiter ? IRCBytes.space : $0 } : expected
            precondition(collected == wanted, "chat-line text differs from the input")
        }
    }

    // MARK: - Names

    static func checkNames(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if case .success(let nick) = IRCNames.validateNick(text) {
            precondition(!nick.utf8.contains(where: { " ,*?!@.".utf8.contains($0) || $0 < 0x20 }))
        }
        if case .success(let room) = IRCNames.validateChannel(text) {
            precondition(IRCNames.channel(forRoom: room) == text)
        }
        for mapping in IRCCasemapping.allCases {
            let folded = mapping.fold(text)
            precondition(mapping.fold(folded) == folded && mapping.equals(folded, text))
        }
    }
}

/// SplitMix64 (Steele et al.), for reproducible read sizes. Its own copy: this module
/// imports nothing of the project.
struct FuzzRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension IRCFuzzing {
    /// Invariants of SASL: an AUTHENTICATE parameter fed as the response (after PLAIN) never
    /// traps; base64 decoding agrees with re-encoding; accepted credentials have a non-empty
    /// identity and password, and their description never shows the password.
    static func checkSASL(_ parameter: String) {
        var exchange = IRCSASLExchange()
        precondition(exchange.feed("plain") == .challenge)
        let step = exchange.feed(parameter)
        if let bytes = IRCBase64.decode(parameter) {
            precondition(bytes.count == parameter.utf8.count / 4 * 3 - parameter.utf8.suffix(2).filter { $0 == UInt8(ascii: "=") }.count)
        }
        if case .credentials(let plain) = step {
            precondition(!plain.authentication.isEmpty && !plain.password.isEmpty && !plain.password.contains(0))
            precondition(IRCBase64.decode(parameter) != nil)
            precondition(plain.description == "PLAIN(authcid: \(plain.authentication), password: <hidden>)", "a SASL password in a description")
        }
    }
}
