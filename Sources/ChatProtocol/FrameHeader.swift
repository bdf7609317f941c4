/// Outcome of scanning the (possibly partial) 10-byte header at the start of a buffer.
@usableFromInline
enum FrameHeaderScan: Equatable, Sendable {
    /// Fewer than 10 bytes, and every byte so far can still start a valid header.
    case incomplete
    case invalid
    case length(Int)
}

@usableFromInline
enum FrameHeader {
    @usableFromInline static let leading: UInt8 = 0
    @usableFromInline static let inDigits: UInt8 = 1
    @usableFromInline static let trailing: UInt8 = 2

    /// Scans only the bytes present, so garbage such as "GET / HTTP" is rejected at its
    /// first byte instead of after the daemon waits for ten.
    ///
    /// Invalid wins over a complete length: every byte of the header is checked before a
    /// length is reported, so "99999 x" is `.invalid`, never a too-large payload. That keeps
    /// the result of a prefix consistent with the result for the whole header.
    @inlinable
    static func scan(_ bytes: UnsafeRawBufferPointer) -> FrameHeaderScan {
        let available = min(bytes.count, Framing.headerLength)
        var state = leading
        // At most 10 digits: 9_999_999_999 < UInt64.max, so wrapping arithmetic cannot wrap.
        var value: UInt64 = 0
        var index = 0
        while index < available {
            let byte = bytes[index]
            let digit = ASCII.digitValue(byte)
            if digit < 10 {
                if state == trailing { return .invalid }
                state = inDigits
                value = value &* 10 &+ UInt64(digit)
            } else if ASCII.isWhitespace(byte) {
                if state == inDigits { state = trailing }
            } else {
                return .invalid
            }
            index &+= 1
        }
        if available < Framing.headerLength { return .incomplete }
        if state == leading { return .invalid }
        return .length(Int(clamping: value))
    }
}
