import Testing
import WebProtocol

func decodeClient(_ text: String) -> Result<ChatV1ClientMessage, ChatV1ClientMessage.DecodeError> {
    var copy = text
    return copy.withUTF8 { ChatV1ClientMessage.decode(UnsafeRawBufferPointer($0)) }
}

@Suite("chatd.v1 JSON")
struct ChatV1Tests {
    @Test func decodesEveryClientMessage() {
        let cases: [(String, ChatV1ClientMessage)] = [
            (#"{"type":"hello","nick":"alice"}"#, .hello(nick: "alice")),
            (#" { "nick" : "bob" , "type" : "nick" } "#, .nick("bob")),
            (#"{"type":"join","room":"lobby"}"#, .join(room: "lobby")),
            (#"{"type":"part","room":"lobby"}"#, .part(room: "lobby")),
            (#"{"type":"say","room":"lobby","text":"hi \"there\"\n\u00e9\ud83d\ude00"}"#, .say(room: "lobby", text: "hi \"there\"\né😀")),
            (#"{"type":"me","room":"lobby","text":"waves"}"#, .me(room: "lobby", text: "waves")),
            (#"{"type":"msg","to":"bob","text":"psst"}"#, .msg(to: "bob", text: "psst")),
            (#"{"type":"who","room":"lobby"}"#, .who(room: "lobby")),
            (#"{"type":"rooms"}"#, .rooms),
            (#"{"type":"history","room":"lobby","before":42,"limit":10}"#, .history(room: "lobby", before: 42, limit: 10)),
            (#"{"type":"history","room":"lobby","before":null}"#, .history(room: "lobby", before: nil, limit: 50)),
        ]
        for (text, expected) in cases { #expect(decodeClient(text) == .success(expected), "\(text)") }
    }

    @Test(arguments: [
        "", "{", "[]", #"{"type":"say","room":"a"}"#, #"{"type":"dance"}"#, #"{"type":"rooms","x":1}"#,
        #"{"type":"rooms","type":"rooms"}"#, #"{"type":"join","room":{"a":1}}"#, #"{"type":"join","room":["a"]}"#,
        #"{"type":"history","room":"a","limit":0}"#, #"{"type":"history","room":"a","limit":1.5}"#,
        #"{"type":"history","room":"a","before":01}"#, #"{"type":"history","room":"a","before":9223372036854775808}"#,
        #"{"type":"say","room":"a","text":"\ud800"}"#, #"{"type":"say","room":"a","text":"\udc00"}"#,
        "{\"type\":\"say\",\"room\":\"a\",\"text\":\"\u{01}\"}", #"{"type":"rooms"} x"#, #"{"type":tru}"#,
        #"{"type":"say","room":"a","text":"\x"}"#,
    ])
    func refusesMalformedMessages(text: String) {
        guard case .failure(let error) = decodeClient(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(!error.reason.isEmpty)
    }

    @Test func integerLimits() {
        #expect(FlatJSON.parseObject(#"{"a":-9223372036854775808,"b":9223372036854775807}"#)
            == .success(["a": .int(.min), "b": .int(.max)]))
        #expect(FlatJSON.parseObject(#"{"a":true,"b":false,"c":null,"d":-0}"#)
            == .success(["a": .bool(true), "b": .bool(false), "c": .null, "d": .int(0)]))
    }

    @Test func encodesServerMessages() {
        let event = ChatV1Event(kind: .message, room: "lobby", sender: "alice", text: "<b>\"hi\"</b>\n\u{2028}", time: 1_700_000_000_123, seq: 7)
        #expect(String(decoding: ChatV1ServerMessage.event(event), as: UTF8.self)
            == #"{"type":"message","room":"lobby","from":"alice","text":"<b>\"hi\"</b>\n\u2028","time":1700000000123,"seq":7}"#)
        let nick = ChatV1Event(kind: .nick, room: "lobby", sender: "alice", text: "alys", time: 1, seq: 8)
        #expect(String(decoding: ChatV1ServerMessage.event(nick), as: UTF8.self)
            == #"{"type":"nick","room":"lobby","from":"alice","nick":"alys","time":1,"seq":8}"#)
        let join = ChatV1Event(kind: .join, room: "r", sender: "bob", text: "", time: 2, seq: 9)
        #expect(String(decoding: ChatV1ServerMessage.history(room: "r", events: [join, nick], more: true), as: UTF8.self)
            == #"{"type":"history","room":"r","events":[{"type":"join","room":"r","from":"bob","time":2,"seq":9},"#
            + #"{"type":"nick","room":"lobby","from":"alice","nick":"alys","time":1,"seq":8}],"more":true}"#)
        #expect(String(decoding: ChatV1ServerMessage.rooms([("a", 1), ("b", 2)]), as: UTF8.self)
            == #"{"type":"rooms","rooms":[{"room":"a","members":1},{"room":"b","members":2}]}"#)
        #expect(String(decoding: ChatV1ServerMessage.who(room: "a", members: ["x", "y"]), as: UTF8.self)
            == #"{"type":"who","room":"a","members":["x","y"]}"#)
        #expect(String(decoding: ChatV1ServerMessage.error(code: "nick-taken", text: "in use"), as: UTF8.self)
            == #"{"type":"error","code":"nick-taken","text":"in use"}"#)
    }

    @Test func writerOutputReadsBackThroughTheReader() {
        let tricky = "quote\" back\\ slash/ tab\t nul\u{0} bell\u{7} é 😀 \u{7F}"
        let bytes = ChatV1ServerMessage.error(code: "x", text: tricky)
        let parsed = bytes.withUnsafeBytes { FlatJSON.parseObject($0) }
        #expect(parsed == .success(["type": .string("error"), "code": .string("x"), "text": .string(tricky)]))
    }
}
