@testable import ChatDaemon
import EventLoop
import Room
import Testing

@Suite struct WebEncodingTests {
    func event(_ kind: RoomEventKind, _ text: String, room: String? = "rust") -> RoomEvent {
        RoomEvent(kind: kind, room: room, source: EventSource(nick: "bob", user: "bob", host: "web"), text: text, time: 1_700_000_000_123)
    }

    /// The JSON of one text frame (2-byte header for these short payloads).
    func shown(_ e: RoomEvent) -> String? {
        WebEncoding.bytes(for: e).map { b in b.withBytes { bytes in
            #expect(bytes[0] == 0x81 && Int(bytes[1]) == bytes.count - 2)
            return String(decoding: bytes[2...], as: UTF8.self)
        } }
    }

    @Test func roomEventsAsChatV1() {
        #expect(shown(event(.message, "hi \"you\"")) == #"{"type":"message","room":"rust","from":"bob","text":"hi \"you\"","time":1700000000123,"seq":0}"#)
        #expect(shown(event(.action, "waves")) == #"{"type":"action","room":"rust","from":"bob","text":"waves","time":1700000000123,"seq":0}"#)
        #expect(shown(event(.join, "")) == #"{"type":"join","room":"rust","from":"bob","time":1700000000123,"seq":0}"#)
        #expect(shown(event(.quit, "Ping timeout")) == #"{"type":"part","room":"rust","from":"bob","time":1700000000123,"seq":0}"#)
        #expect(shown(event(.nick, "robert")) == #"{"type":"nick","room":"rust","from":"bob","nick":"robert","time":1700000000123,"seq":0}"#)
        #expect(shown(event(.topic, "Rust talk")) == #"{"type":"notice","room":"rust","from":"bob","text":"set the topic: Rust talk","time":1700000000123,"seq":0}"#)
        #expect(shown(event(.away, "gone")) == nil)
        #expect(shown(event(.message, "psst", room: nil)) == nil)
    }

    /// One frame per event for every browser recipient on every loop, in the web slot only.
    @Test func bytesAreEncodedOncePerEvent() {
        let e = event(.message, "hello")
        let first = WebEncoding.bytes(for: e)!
        #expect(WebEncoding.bytes(for: e)!.isSameStorage(as: first))
        #expect(e.encoded(slot: ProtocolSlot.web)!.isSameStorage(as: first))
        #expect(e.encoded(slot: ProtocolSlot.framed) == nil && e.encoded(slot: ProtocolSlot.irc) == nil)
    }

    /// Long payloads get the 16-bit length form (RFC 6455 §5.2).
    @Test func longMessagesUseTheExtendedLength() {
        let bytes = WebEncoding.bytes(for: event(.message, String(repeating: "x", count: 300)))!
        bytes.withBytes { b in
            #expect(b[0] == 0x81 && b[1] == 126 && (Int(b[2]) << 8 | Int(b[3])) == b.count - 4)
        }
    }
}
