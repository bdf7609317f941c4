/// Byte classes shared by the header parser and the command parser.
@usableFromInline
enum ASCII {
    @usableFromInline static let slash: UInt8 = 0x2F
    @usableFromInline static let space: UInt8 = 0x20
    @usableFromInline static let zero: UInt8 = 0x30

    /// Python's `bytes.strip()` set: space, \t, \n, \v, \f, \r. `str.strip()` (what the seed
    /// really calls) also strips \x1c–\x1f and Unicode spaces; chatd deliberately accepts
    /// only the ASCII six, which is all any real client sends.
    @inlinable
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte &- 0x09 < 5
    }

    /// The digit's value, or a number >= 10 for anything else (unsigned wrap makes one
    /// comparison cover both ends).
    @inlinable
    static func digitValue(_ byte: UInt8) -> UInt8 {
        byte &- zero
    }
}
