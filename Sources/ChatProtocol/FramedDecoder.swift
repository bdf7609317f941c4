public enum FrameDecodeResult: Equatable, Sendable {
    /// Offsets into the given buffer; the frame occupies `payloadOffset + payloadLength` bytes.
    case frame(payloadOffset: Int, payloadLength: Int)
    /// The buffer holds an incomplete frame and no error has been detected so far.
    case needMore
    case error(FrameError)
}

/// Stateless decoder: the daemon keeps unconsumed bytes in its ring buffer and calls again
/// when more arrive, so there is no per-connection decoder state to allocate or reset.
///
/// For any prefix of a byte stream the result is either `.needMore` or the result for the
/// whole stream; errors are reported as early as the bytes allow.
public enum FramedDecoder {
    /// Decodes the first frame of `bytes`, which must start at a frame boundary.
    @inlinable
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxPayload: Int) -> FrameDecodeResult {
        switch FrameHeader.scan(bytes) {
        case .incomplete:
            return .needMore
        case .invalid:
            return .error(.invalidHeader)
        case .length(let length):
            if length > maxPayload {
                return .error(.payloadTooLarge(length: length, limit: maxPayload))
            }
            // bytes.count >= headerLength here, so the subtraction cannot wrap.
            if bytes.count &- Framing.headerLength < length { return .needMore }
            return .frame(payloadOffset: Framing.headerLength, payloadLength: length)
        }
    }

    /// Total bytes (header + payload) the frame starting at `bytes` needs, once its header is
    /// complete; nil while the header is incomplete, invalid or announces more than
    /// `maxPayload`. Lets the caller grow its buffer once instead of per read.
    @inlinable
    public static func frameLength(_ bytes: UnsafeRawBufferPointer, maxPayload: Int) -> Int? {
        guard case .length(let length) = FrameHeader.scan(bytes), length <= maxPayload else {
            return nil
        }
        // length <= maxEncodablePayload (10 digits), far from Int.max on 64-bit.
        return Framing.headerLength &+ length
    }
}
