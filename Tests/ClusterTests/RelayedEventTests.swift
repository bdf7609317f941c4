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

    @Test func badInput() throws {
        var bytes = Self.sample.encoded
        bytes[2] = 200
        #expect(throws: RelayedEvent.DecodeError.unknownKind(200)) { try RelayedEvent(decoding: bytes) }
        bytes[2] = RoomEventKind.join.rawValue
        #expect(try RelayedEvent(decoding: bytes).kind == .join)
        var badText = Self.sample.encoded
        badText.append(0xFF)
        #expect(throws: RelayedEvent.DecodeError.invalidUTF8) { try RelayedEvent(decoding: badText) }
        #expect(throws: RelayedEvent.DecodeError.notChatd) { try RelayedEvent(decoding: Array("hello".utf8)) }
    }

    /// The reaper's `g1` entries name a member; anything else there is rejected, not trusted.
    @Test func goneEntries() throws {
        #expect(try ClusterEntry(decoding: Array("g1A#1f|42".utf8)) == .gone(member: "A#1f|42"))
        #expect(try ClusterEntry(decoding: Self.sample.encoded) == .event(Self.sample))
        for bad in ["g1", "g1nobar", "g1|42", "g1A|", "g1A|4x2"] {
            #expect(throws: RelayedEvent.DecodeError.self, "\(bad)") { try ClusterEntry(decoding: Array(bad.utf8)) }
        }
        #expect(throws: RelayedEvent.DecodeError.self) { try ClusterEntry(decoding: [0x67, 0x31, 0xFF, 0x7C, 0x31]) }
    }
}
