/// The benchmark's message text: a marker, a phase byte, the send time and padding.
///
///     "@B" phase(1) sender(6 hex) timestamp(16 hex) "." padding…
///
/// 26 bytes at least. The marker lets receivers ignore everything the server sends that is not
/// a benchmark message (notices, welcome lines, history replay). The text never starts with '/'
/// (a chatd command) and contains no newline (the `line` protocol) and no bytes outside ASCII.
public enum Payload {
    public static let marker: (UInt8, UInt8) = (UInt8(ascii: "@"), UInt8(ascii: "B"))
    public static let minimumSize = 26

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
        public var timestamp: UInt64
        public init(phase: Phase, sender: Int, timestamp: UInt64) {
            self.phase = phase
            self.sender = sender
            self.timestamp = timestamp
        }
    }

    @usableFromInline static let hex: (UInt64, UInt64) = (0x3736_3534_3332_3130, 0x6665_6463_6261_3938)

    @inlinable static func hexDigit(_ v: UInt64) -> UInt8 {
        v < 10 ? UInt8(truncatingIfNeeded: v) &+ 0x30 : UInt8(truncatingIfNeeded: v) &+ 0x57
    }

    /// Writes a payload of exactly `size` bytes (at least `minimumSize`) at `dst`.
    @inlinable
    public static func write(
        phase: Phase, sender: Int, timestamp: UInt64, size: Int, into dst: UnsafeMutableRawPointer
    ) {
        precondition(size >= minimumSize)
        dst.storeBytes(of: marker.0, toByteOffset: 0, as: UInt8.self)
        dst.storeBytes(of: marker.1, toByteOffset: 1, as: UInt8.self)
        dst.storeBytes(of: phase.rawValue, toByteOffset: 2, as: UInt8.self)
        var s = UInt64(truncatingIfNeeded: sender) & 0xFF_FFFF
        for i in stride(from: 8, through: 3, by: -1) {
            dst.storeBytes(of: hexDigit(s & 15), toByteOffset: i, as: UInt8.self)
            s >>= 4
        }
        var t = timestamp
        for i in stride(from: 24, through: 9, by: -1) {
            dst.storeBytes(of: hexDigit(t & 15), toByteOffset: i, as: UInt8.self)
            t >>= 4
        }
        var i = 25
        while i < size {
            dst.storeBytes(of: UInt8(ascii: "."), toByteOffset: i, as: UInt8.self)
            i &+= 1
        }
    }

    public static func make(phase: Phase, sender: Int, timestamp: UInt64, size: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buf, n in
            write(phase: phase, sender: sender, timestamp: timestamp, size: size, into: UnsafeMutableRawPointer(buf.baseAddress!))
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
            let sender = parseHex(b, 3, 9), let ts = parseHex(b, 9, 25)
        else { return nil }
        return Decoded(phase: phase, sender: Int(sender), timestamp: ts)
    }

    public static func decode(_ bytes: [UInt8]) -> Decoded? {
        bytes.withUnsafeBytes { decode($0) }
    }
}
