/// The benchmark's message text: a marker, a phase byte, who sent it, its place in that
/// sender's stream, the send time and padding.
///
///     "@B" phase(1) sender(8 hex) sequence(8 hex) timestamp(16 hex) "." padding…
///
/// 36 bytes at least. Every field is a multiple of 8 lowercase hex digits, which `decode` reads
/// 8 at a time (it runs once per delivery: the load generator's busiest function). The marker lets receivers ignore everything the server sends that is not
/// a benchmark message (notices, welcome lines, history replay). Sender and sequence let every
/// receiver tell a duplicate or a reordered delivery from a new one (`SenderSequence`), so a
/// server that loses, repeats or reorders messages cannot pass for one that delivers. The text
/// never starts with '/' (a chatd command) and contains no newline (the `line` protocol) and no
/// bytes outside ASCII.
public enum Payload {
    public static let marker: (UInt8, UInt8) = (UInt8(ascii: "@"), UInt8(ascii: "B"))
    public static let minimumSize = 36
    /// Largest sender id and sequence number the fixed-width fields hold.
    public static let maxSender = 0xFFFF_FFFF
    public static let maxSequence: UInt64 = 0xFFFF_FFFF

    @usableFromInline static let senderAt = 3
    @usableFromInline static let sequenceAt = 11
    @usableFromInline static let timestampAt = 19
    @usableFromInline static let paddingAt = 35

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
        writeHex(UInt64(truncatingIfNeeded: sender) & UInt64(maxSender), digits: 8, at: senderAt, into: dst)
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

    /// The 8 lowercase hex digits at `offset` as a number, nil if any byte is not one: SWAR
    /// over one unaligned 64-bit load instead of a branch per digit.
    @inlinable static func hex8(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt64? {
        let v = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        let high: UInt64 = 0x8080_8080_8080_8080
        guard v & high == 0 else { return nil }
        // Each byte is below 0x80, so adding 0x80 - bound sets its high bit exactly when the
        // byte is ≥ bound, without a carry into the next byte.
        let atLeast0 = v &+ 0x5050_5050_5050_5050  // ≥ "0" (0x30)
        let pastNine = v &+ 0x4646_4646_4646_4646  // ≥ ":" (0x3A)
        let atLeastA = v &+ 0x1F1F_1F1F_1F1F_1F1F  // ≥ "a" (0x61)
        let pastF = v &+ 0x1919_1919_1919_1919  // ≥ "g" (0x67)
        guard (atLeast0 & ~pastNine | atLeastA & ~pastF) & high == high else { return nil }
        // "0"…"9" → 0…9 (low nibble), "a"…"f" → 10…15 (low nibble + 9; letters have bit 6 set).
        var x = (v & 0x0F0F_0F0F_0F0F_0F0F) &+ ((v >> 6) & 0x0101_0101_0101_0101) &* 9
        // The first digit is the lowest byte: make it the highest, then merge neighbours
        // into bytes, bytes into 16-bit and 16-bit into 32-bit lanes.
        x = x.byteSwapped
        x = (x | x >> 4) & 0x00FF_00FF_00FF_00FF
        x = (x | x >> 8) & 0x0000_FFFF_0000_FFFF
        return (x | x >> 16) & 0x0000_0000_FFFF_FFFF
    }

    /// Reads a benchmark payload; nil for anything else (notices, other traffic).
    @inlinable
    public static func decode(_ b: UnsafeRawBufferPointer) -> Decoded? {
        guard b.count >= minimumSize, b[0] == marker.0, b[1] == marker.1,
            let phase = Phase(rawValue: b[2]),
            let sender = hex8(b, senderAt), let sequence = hex8(b, sequenceAt),
            let tsHigh = hex8(b, timestampAt), let tsLow = hex8(b, timestampAt &+ 8)
        else { return nil }
        let ts = tsHigh << 32 | tsLow
        return Decoded(phase: phase, sender: Int(sender), sequence: sequence, timestamp: ts)
    }

    public static func decode(_ bytes: [UInt8]) -> Decoded? {
        bytes.withUnsafeBytes { decode($0) }
    }
}
