@testable import ChatDaemon
import ChatProtocol
import EventLoop
import Room
import Testing

@Suite("FramedEncoding")
struct FramedEncodingTests {
    @Test func messageIsSenderFrameThenTextFrameLikeTheSeed() {
        let f = FramedEncoding.message(sender: "alice", text: "hi there")
        #expect(f.array == Array("5         alice8         hi there".utf8))
    }

    @Test func lengthsAreUTF8Bytes() {
        let f = FramedEncoding.message(sender: "zoë", text: "日本")
        #expect(f.array == Array("4         zoë6         日本".utf8))
        #expect(f.count == 10 + 4 + 10 + 6)
    }

    @Test func emptyTextStillHasItsFrame() {
        #expect(FramedEncoding.message(sender: "a", text: "").array == Array("1         a0         ".utf8))
    }

    @Test func noticesAndErrorsComeFromStar() {
        #expect(FramedEncoding.serverName == "*")
        #expect(FramedEncoding.notice("bob joined #lobby").array == Array("1         *17        bob joined #lobby".utf8))
        #expect(FramedEncoding.error("bad").array == Array("1         *10        error: bad".utf8))
    }

    @Test func rawBufferVariantMatchesStringVariant() {
        let sender = Array("carol".utf8), body = Array(repeating: UInt8(ascii: "x"), count: 1234)
        let raw = sender.withUnsafeBytes { s in body.withUnsafeBytes { b in FramedEncoding.message(sender: s, text: b) } }
        #expect(raw.array == FramedEncoding.message(sender: "carol", text: String(repeating: "x", count: 1234)).array)
        #expect(raw.array.prefix(25) == ArraySlice(Array("5         carol1234      ".utf8)))
    }

    func event(_ kind: RoomEventKind, _ text: String = "", room: String? = "rust", crowded: Bool = false) -> RoomEvent {
        RoomEvent(kind: kind, room: room, source: EventSource(nick: "bob", user: "bob", host: "irc"), text: text, time: 0)
    }

    /// What a framed client sees of each event kind: the tutorial's two frames, `*` notices for
    /// everything else, nothing for away changes.
    @Test func eachEventKindAsFramedClientsSeeIt() {
        func shown(_ e: RoomEvent) -> String? {
            FramedEncoding.encode(e).map { String(decoding: $0.array, as: UTF8.self) }
        }
        #expect(shown(event(.message, "hi")) == "3         bob2         hi")
        #expect(shown(event(.notice, "hi")) == "3         bob2         hi")
        #expect(shown(event(.action, "waves")) == "3         bob9         /me waves")
        #expect(shown(event(.join)) == "1         *16        bob joined #rust")
        #expect(shown(event(.part)) == "1         *14        bob left #rust")
        #expect(shown(event(.part, "lunch")) == "1         *22        bob left #rust (lunch)")
        #expect(shown(event(.quit)) == "1         *16        bob disconnected")
        #expect(shown(event(.quit, "Ping timeout")) == "1         *31        bob disconnected (Ping timeout)")
        #expect(shown(event(.nick, "robert")) == "1         *26        bob is now known as robert")
        #expect(shown(event(.topic, "Rust talk")) == "1         *37        bob set the topic of #rust: Rust talk")
        #expect(shown(event(.away, "gone")) == nil)
        #expect(shown(event(.message, "psst", room: nil)) == "3         bob14        (private) psst")
    }

    /// The first call encodes and publishes into the event's framed slot; later calls (other
    /// loops, history replay) get the same storage.
    @Test func bytesAreEncodedOncePerEvent() {
        let e = event(.message, "hello")
        #expect(e.encoded(slot: ProtocolSlot.framed) == nil)
        let first = FramedEncoding.bytes(for: e)!
        let again = FramedEncoding.bytes(for: e)!
        #expect(first.isSameStorage(as: again))
        #expect(e.encoded(slot: ProtocolSlot.framed)!.isSameStorage(as: first))
        #expect(e.encoded(slot: ProtocolSlot.irc) == nil)
    }
}
