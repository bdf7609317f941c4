/// Byte values of the IRC line grammar (Modern IRC, "Message Format").
@usableFromInline
enum IRCBytes {
    @usableFromInline static let nul: UInt8 = 0x00
    @usableFromInline static let ctcpDelimiter: UInt8 = 0x01
    @usableFromInline static let lf: UInt8 = 0x0A
    @usableFromInline static let cr: UInt8 = 0x0D
    @usableFromInline static let space: UInt8 = 0x20
    @usableFromInline static let bang: UInt8 = 0x21
    @usableFromInline static let hash: UInt8 = 0x23
    @usableFromInline static let plus: UInt8 = 0x2B
    @usableFromInline static let comma: UInt8 = 0x2C
    @usableFromInline static let minus: UInt8 = 0x2D
    @usableFromInline static let dot: UInt8 = 0x2E
    @usableFromInline static let slash: UInt8 = 0x2F
    @usableFromInline static let zero: UInt8 = 0x30
    @usableFromInline static let colon: UInt8 = 0x3A
    @usableFromInline static let semicolon: UInt8 = 0x3B
    @usableFromInline static let equals: UInt8 = 0x3D
    @usableFromInline static let at: UInt8 = 0x40
    @usableFromInline static let backslash: UInt8 = 0x5C

    /// NUL, CR and LF may appear nowhere inside a message (Modern IRC, "Parameters").
    @inlinable
    static func isLineBreakOrNUL(_ byte: UInt8) -> Bool {
        byte == lf || byte == cr || byte == nul
    }

    @inlinable
    static func isDigit(_ byte: UInt8) -> Bool { byte &- zero < 10 }

    @inlinable
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    /// Continuation bytes of a multi-byte UTF-8 sequence (10xxxxxx).
    @inlinable
    static func isUTF8Continuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
}
