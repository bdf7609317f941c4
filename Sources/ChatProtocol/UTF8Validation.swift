/// Strict UTF-8 validation (RFC 3629 §4): no overlong forms, no surrogates (U+D800–DFFF),
/// nothing above U+10FFFF. The daemon checks every message payload before relaying it
/// (DESIGN.md §3), so this runs once per message without building a String.
public enum UTF8Validation {
    @usableFromInline static let highBits: UInt64 = 0x8080_8080_8080_8080

    @inlinable
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        // Chat text is mostly ASCII: test 8 bytes per load and leave the
        // multi-byte work out of line.
        while count &- index >= 8 {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if word & highBits != 0 { return validate(base, from: index, count: count) }
            index &+= 8
        }
        while index < count {
            if base.load(fromByteOffset: index, as: UInt8.self) >= 0x80 {
                return validate(base, from: index, count: count)
            }
            index &+= 1
        }
        return true
    }

    /// Validates `base[start..<count]`. Lead-byte table (RFC 3629 §4):
    ///
    ///     C2–DF  80–BF
    ///     E0     A0–BF  80–BF          (E0 80–9F would be overlong)
    ///     E1–EC  80–BF  80–BF
    ///     ED     80–9F  80–BF          (ED A0–BF would be a surrogate)
    ///     EE–EF  80–BF  80–BF
    ///     F0     90–BF  80–BF  80–BF   (F0 80–8F would be overlong)
    ///     F1–F3  80–BF  80–BF  80–BF
    ///     F4     80–8F  80–BF  80–BF   (F4 90+ would exceed U+10FFFF)
    ///
    /// C0, C1 and F5–FF never occur; 80–BF never lead.
    @usableFromInline
    static func validate(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Bool {
        var index = start
        while index < count {
            if count &- index >= 8 {
                // Skip the ASCII run at the front of the word: the lowest set high bit
                // (in memory order) marks the first non-ASCII byte.
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let high = word & highBits
                if high == 0 {
                    index &+= 8
                    continue
                }
                index &+= high.trailingZeroBitCount >> 3
            }
            let lead = base.load(fromByteOffset: index, as: UInt8.self)
            if lead < 0x80 {
                index &+= 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xED: length = 3; high = 0x9F
            case 0xE1...0xEF: length = 3
            case 0xF0: length = 4; low = 0x90
            case 0xF4: length = 4; high = 0x8F
            case 0xF1...0xF3: length = 4
            default: return false
            }
            if count &- index < length { return false }
            let second = base.load(fromByteOffset: index &+ 1, as: UInt8.self)
            if second < low || second > high { return false }
            var offset = 2
            while offset < length {
                if base.load(fromByteOffset: index &+ offset, as: UInt8.self) & 0xC0 != 0x80 { return false }
                offset &+= 1
            }
            index &+= length
        }
        return true
    }
}
