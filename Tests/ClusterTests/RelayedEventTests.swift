import Cluster
import Room
import Testing

struct RelayedEventTests {
    static let sample = RelayedEvent(
        kind: .action, time: 1_700_000_000_123, except: 0x0100_0002_0000_0007, origin: "node-a#1f", room: "Lobby",
        nick: "zoë", user: "zoe", host: "framed", text: Array("waves 👋".utf8))

    @Test func roundTrip() throws {
        #expect(try RelayedEvent(decoding: Self.sample.encoded) == Self.sample)
        var empty = Self.sample
        empty.text = []
        empty.kind = .topic
        #expect(try RelayedEvent(decoding: empty.encoded) == empty)
    }

    /// Every truncation of a valid payload is an error, never a crash or a wrong event
    /// (except cutting only text bytes, which still decodes if the rest is valid UTF-8).
    @Test func truncationsAreRejected() {
        let bytes = Self.sample.encoded
        let headerEnd = bytes.count - Self.sample.text.count
        for n in 0..<headerEnd {
            #expect(throws: RelayedEvent.DecodeError.self, "prefix \(n)") { try RelayedEvent(decoding: bytes[..<n]) }
        }
    }

    @Test func badInput() {
        var bytes = Self.sample.encoded
        bytes[2] = 200
        #expect(throws: RelayedEvent.DecodeError.unknownKind(200)) { try RelayedEvent(decoding: bytes) }
        bytes[2] = RoomEventKind.join.rawValue
        #expect(throws: RelayedEvent.DecodeError.notArchived(RoomEventKind.join.rawValue)) { try RelayedEvent(decoding: bytes) }
        var badText = Self.sample.encoded
        badText.append(0xFF)
        #expect(throws: RelayedEvent.DecodeError.invalidUTF8) { try RelayedEvent(decoding: badText) }
        #expect(throws: RelayedEvent.DecodeError.notChatd) { try RelayedEvent(decoding: Array("hello".utf8)) }
    }
}
