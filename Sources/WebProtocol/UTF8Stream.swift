/// Incremental strict UTF-8 validation (RFC 3629 §4), so a text message split across
/// WebSocket fragments is checked as it arrives and refused at the first bad byte
/// (RFC 6455 §8.1 lets the endpoint fail fast). WebProtocol imports nothing of the project,
/// so it cannot use ChatProtocol's whole-buffer validator.
struct UTF8Stream: Equatable, Sendable {
    /// Continuation bytes still expected for the current scalar.
    private var pending = 0
    /// Allowed range of the next continuation byte (narrower right after some lead bytes:
    /// E0 A0–BF, ED 80–9F, F0 90–BF, F4 80–8F).
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    /// No scalar is cut in half: the bytes so far are complete, valid UTF-8.
    var isComplete: Bool { pending == 0 }

    /// Feeds `bytes`; false at the first byte that cannot be part of valid UTF-8.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            if pending == 0 {
                if byte < 0x80 { continue }
                low = 0x80
                high = 0xBF
                switch byte {
                case 0xC2...0xDF: pending = 1
                case 0xE0: pending = 2; low = 0xA0
                case 0xED: pending = 2; high = 0x9F
                case 0xE1...0xEF: pending = 2
                case 0xF0: pending = 3; low = 0x90
                case 0xF4: pending = 3; high = 0x8F
                case 0xF1...0xF3: pending = 3
                default: return false
                }
            } else {
                if byte < low || byte > high { return false }
                low = 0x80
                high = 0xBF
                pending &-= 1
            }
        }
        return true
    }
}
