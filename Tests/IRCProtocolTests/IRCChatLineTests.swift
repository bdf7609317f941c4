import IRCProtocol
import Testing

@Suite("IRC chat-line fast path")
struct IRCChatLineTests {
    static func encode(
        kind: IRCChatKind = .privmsg, source: String = "alice!alice@framed", target: String = "#lobby",
        _ text: String, action: Bool = false, time: Int64? = nil, tags: [IRCTag] = []
    ) -> (bytes: [UInt8], lines: [IRCEncodedLine]) {
        var buffer: [UInt8] = []
        var lines: [IRCEncodedLine] = []
        let text = bytes(text)
        text.withUnsafeBytes { raw in
            var offset = 0
            repeat {
                guard let line = IRCChatLine.append(
                    kind, source: source, target: target, text: UnsafeRawBufferPointer(rebasing: raw[offset...]),
                    action: action, serverTime: time, tags: tags, to: &buffer)
                else { return }
                lines.append(line)
                offset += line.textConsumed
            } while offset < raw.count
        }
        return (buffer, lines)
    }

    @Test("one line with the time tag first; bodyStart strips the tags for clients without server-time")
    func timeTagAndOffset() throws {
        let (buffer, lines) = Self.encode("hello", time: 1_764_558_245_678)
        let line = "@time=2025-12-01T03:04:05.678Z :alice!alice@framed PRIVMSG #lobby :hello\r\n"
        #expect(String(decoding: buffer, as: UTF8.self) == line)
        #expect(lines == [IRCEncodedLine(start: 0, bodyStart: 31, end: buffer.count, textConsumed: 5)])
        #expect(String(decoding: buffer[lines[0].bodyStart...], as: UTF8.self) == ":alice!alice@framed PRIVMSG #lobby :hello\r\n")
        // What the fast path writes is what the parser reads back.
        let parsed = try IRCMessage.parse(Array(buffer.dropLast(2)))
        #expect(parsed == IRCMessage(
            tags: [IRCTag("time", "2025-12-01T03:04:05.678Z")], source: "alice!alice@framed", command: "PRIVMSG",
            params: ["#lobby", "hello"]))
    }

    @Test("no tags: bodyStart == start; NOTICE; extra tags escaped after time")
    func variants() {
        let plain = Self.encode(kind: .notice, target: "bob", "hi there")
        #expect(String(decoding: plain.bytes, as: UTF8.self) == ":alice!alice@framed NOTICE bob :hi there\r\n")
        #expect(plain.lines[0].bodyStart == 0)
        let tagged = Self.encode("x", time: 0, tags: [IRCTag("msgid", "a b")])
        #expect(String(decoding: tagged.bytes, as: UTF8.self)
            == #"@time=1970-01-01T00:00:00.000Z;msgid=a\sb :alice!alice@framed PRIVMSG #lobby :x"# + "\r\n")
    }

    @Test("CR, LF and NUL in relayed text become spaces; an action wraps every line in CTCP")
    func sanitizing() {
        let (buffer, _) = Self.encode("a\r\nQUIT\0b")
        #expect(String(decoding: buffer, as: UTF8.self) == ":alice!alice@framed PRIVMSG #lobby :a  QUIT b\r\n")
        let action = Self.encode("waves \u{1}x", action: true)
        #expect(String(decoding: action.bytes, as: UTF8.self) == ":alice!alice@framed PRIVMSG #lobby :\u{1}ACTION waves  x\u{1}\r\n")
    }

    @Test("long text is split into lines of at most 512 bytes at UTF-8 boundaries, all text kept")
    func splitting() throws {
        let text = String(repeating: "word ", count: 100) + String(repeating: "é", count: 300) + "end"
        for action in [false, true] {
            let (buffer, lines) = Self.encode(text, action: action, time: 5)
            #expect(lines.count > 2)
            var joined: [UInt8] = []
            for line in lines {
                #expect(line.end - line.bodyStart <= 512)
                let message = try IRCMessage.parse(Array(buffer[line.start..<(line.end - 2)]))
                var piece = bytes(message.params[1])
                if action {
                    #expect(piece.starts(with: bytes("\u{1}ACTION ")) && piece.last == 1)
                    piece = Array(piece.dropFirst(8).dropLast())
                }
                joined += piece
            }
            #expect(joined == bytes(text))
        }
    }

    @Test("unwritable source or target writes nothing")
    func rejects() {
        for (source, target) in [("a b", "#a"), ("", "#a"), ("a", ""), ("a", ":x"), ("a\n", "#a"), ("a", "#a b")] {
            var buffer: [UInt8] = []
            let line = bytes("x").withUnsafeBytes {
                IRCChatLine.append(.privmsg, source: source, target: target, text: $0, to: &buffer)
            }
            #expect(line == nil && buffer.isEmpty)
        }
        var buffer: [UInt8] = []
        let long = String(repeating: "s", count: 500)
        #expect(bytes("x").withUnsafeBytes { IRCChatLine.append(.privmsg, source: long, target: "#a", text: $0, to: &buffer) } == nil)
    }

    @Test("server-time formatting matches known dates")
    func serverTime() {
        #expect(IRCServerTime.format(millisecondsSince1970: 0) == "1970-01-01T00:00:00.000Z")
        #expect(IRCServerTime.format(millisecondsSince1970: 951_782_400_001) == "2000-02-29T00:00:00.001Z")
        #expect(IRCServerTime.format(millisecondsSince1970: 1_709_251_199_999) == "2024-02-29T23:59:59.999Z")
        #expect(IRCServerTime.format(millisecondsSince1970: 4_102_444_800_000) == "2100-01-01T00:00:00.000Z")
        #expect(IRCServerTime.format(millisecondsSince1970: -5) == "1970-01-01T00:00:00.000Z")
    }
}
