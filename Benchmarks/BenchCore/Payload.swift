/// The benchmark's message text: a marker, a phase byte, who sent it, its place in that
/// sender's stream, the send time and padding.
///
///     "@B" phase(1) sender(6 hex) sequence(8 hex) timestamp(16 hex) "." padding…
///
/// 34 bytes at least. The marker lets receivers ignore everything the server sends that is not
/// a benchmark message (notices, welcome lines, history replay). Sender and sequence let every
/// receiver tell a duplicate or a reordered delivery from a new one (`SenderSequence`), so a
/// server that loses, repeats or reorders messages cannot pass for one that delivers. The text
/// never starts with '/' (a chatd command) and contains no newline (the `line` protocol) and no
/// bytes outside ASCII.
public enum Payload {
    public static let marker: (UInt8, UInt8) = (UInt8(ascii: "@"), UInt8(ascii: "B"))
    public static let minimumSize = 34
    /// Largest sender id and sequence number the fixed-width fields hold.
    public static let maxSender = 0xFF_FFFF
    public static let maxSequence: UInt64 = 0xFFFF_FFFF

    @usableFromInline static let senderAt = 3
    @usableFromInline static let sequenceAt = 9
    @usableFromInline static let timestampAt = 17
    @usableFromInline static let paddingAt = 33

    public enum Phase: UInt8, Sendable {
        /// Sent until every receiver has been seen to receive; not accounted at all.
        case ready = 0x52  // "R"
        /// Warm-up: counted for the in-flight window, not for loss or latency.
        case warmup = 0x57  // "W"
        /// Measured: loss, throughput and latency are computed from these only.
        case measured = 0x4D  // "M"
    }

    public struct Decoded: Equatable, Sendable {
        public var phase: Phase
        public var sender: Int
        /// Position in the sender's stream: 0, 1, 2, … over every phase.
        public var sequence: UInt64
        public var timestamp: UInt64
        public init(phase: Phase, sender: Int, sequence: UInt64, timestamp: UInt64) {
            self.phase = phase
            self.sender = sender
            self.sequence = sequence
            self.timestamp = timestamp
        }
    }

    @inlinable static func hexDigit(_ v: UInt64) -> UInt8 {
        v < 10 ? UInt8(truncatingIfNeeded: v) &+ 0x30 : UInt8(truncatingIfNeeded: v) &+ 0x57
    }

    @inlinable static func writeHex(_ value: UInt64, digits: Int, at offset: Int, into dst: UnsafeMutableRawPointer) {
        var v = value
        var i = offset &+ digits &- 1
        while i >= offset {
            dst.storeBytes(of: hexDigit(v & 15), toByteOffset: i, as: UInt8.self)
            v >>= 4
            i &-= 1
        }
    }

    /// Writes a payload of exactly `size` bytes (at least `minimumSize`) at `dst`. The sequence
    /// number wraps at 2³² (a sender at a million messages per second takes over an hour).
    @inlinable
    public static func write(
        phase: Phase, sender: Int, sequence: UInt64, timestamp: UInt64, size: Int, into dst: UnsafeMutableRawPointer
    ) {
        precondition(size >= minimumSize)
        dst.storeBytes(of: marker.0, toByteOffset: 0, as: UInt8.self)
        dst.storeBytes(of: marker.1, toByteOffset: 1, as: UInt8.self)
        dst.storeBytes(of: phase.rawValue, toByteOffset: 2, as: UInt8.self)
        writeHex(UInt64(truncatingIfNeeded: sender) & UInt64(maxSender), digits: 6, at: senderAt, into: dst)
        writeHex(sequence & maxSequence, digits: 8, at: sequenceAt, into: dst)
        writeHex(timestamp, digits: 16, at: timestampAt, into: dst)
        (dst + paddingAt).initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "."), count: size &- paddingAt)
    }

    public static func make(phase: Phase, sender: Int, sequence: UInt64, timestamp: UInt64, size: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buf, n in
            write(
                phase: phase, sender: sender, sequence: sequence, timestamp: timestamp, size: size,
                into: UnsafeMutableRawPointer(buf.baseAddress!))
            n = size
        }
    }

    @inlinable static func parseHex(_ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> UInt64? {
        var v: UInt64 = 0
        var i = from
        while i < to {
            let c = b[i]
            let d: UInt8
            if c >= 0x30 && c <= 0x39 { d = c &- 0x30 } else if c >= 0x61 && c <= 0x66 { d = c &- 0x57 } else { return nil }
            v = v << 4 | UInt64(d)
            i &+= 1
        }
        return v
    }

    /// Reads a benchmark payload; nil for anything else (notices, other traffic).
    @inlinable
    public static func decode(_ b: UnsafeRawBufferPointer) -> Decoded? {
        guard b.count >= minimumSize, b[0] == marker.0, b[1] == marker.1,
            let phase = Phase(rawValue: b[2]),
            let sender = parseHex(b, senderAt, sequenceAt), let sequence = parseHex(b, sequenceAt, timestampAt),
            let ts = parseHex(b, timestampAt, paddingAt)
        else { return nil }
        return Decoded(phase: phase, sender: Int(sender), sequence: sequence, timestamp: ts)
    }

    public static func decode(_ bytes: [UInt8]) -> Decoded? {
        bytes.withUnsafeBytes { decode($0) }
    }
}
