import ChatProtocol
import EventLoop
import Room
import Testing

@Suite("ChatFrames")
struct ChatFramesTests {
    @Test func messageIsSenderFrameThenTextFrameLikeTheSeed() {
        let f = ChatFrames.message(sender: "alice", text: "hi there")
        #expect(f.array == Array("5         alice8         hi there".utf8))
    }

    @Test func lengthsAreUTF8Bytes() {
        let f = ChatFrames.message(sender: "zoë", text: "日本")
        #expect(f.array == Array("4         zoë6         日本".utf8))
        #expect(f.count == 10 + 4 + 10 + 6)
    }

    @Test func emptyTextStillHasItsFrame() {
        #expect(ChatFrames.message(sender: "a", text: "").array == Array("1         a0         ".utf8))
    }

    @Test func noticesAndErrorsComeFromStar() {
        #expect(ChatFrames.serverName == "*")
        #expect(ChatFrames.notice("bob joined #lobby").array == Array("1         *17        bob joined #lobby".utf8))
        #expect(payloads(ChatFrames.error("bad").array) == ["*", "error: bad"])
    }

    @Test func rawBufferVariantMatchesStringVariant() {
        let sender = Array("carol".utf8), body = Array(repeating: UInt8(ascii: "x"), count: 1234)
        let raw = sender.withUnsafeBytes { s in body.withUnsafeBytes { b in ChatFrames.message(sender: s, text: b) } }
        #expect(raw.array == ChatFrames.message(sender: "carol", text: String(repeating: "x", count: 1234)).array)
        #expect(raw.array.prefix(25) == ArraySlice(Array("5         carol1234      ".utf8)))
    }
}
