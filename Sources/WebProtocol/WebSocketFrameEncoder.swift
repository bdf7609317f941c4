/// Builds WebSocket frames (RFC 6455 §5.2). Server frames are unmasked (§5.1), so one
/// frame (header + payload) is the same bytes for every recipient: the daemon encodes a
/// message once and queues the same buffer on every connection. This is also why chatd does
/// not offer permessage-deflate (RFC 7692): compression state is per connection, which
/// would make every frame per recipient.
public enum WebSocketFrameEncoder {
    /// Header bytes of an unmasked frame with a payload of `length` bytes: 2, 4 or 10.
    public static func headerLength(payloadLength length: Int) -> Int {
        length < 126 ? 2 : length <= 0xFFFF ? 4 : 10
    }

    /// Writes an unmasked header into `buffer` (at least `headerLength` bytes) and returns
    /// its length.
    public static func writeHeader(
        _ opcode: WebSocketOpcode, fin: Bool = true, payloadLength length: Int, into buffer: UnsafeMutableRawBufferPointer
    ) -> Int {
        buffer[0] = (fin ? 0x80 : 0) | opcode.rawValue
        if length < 126 {
            buffer[1] = UInt8(length)
            return 2
        }
        if length <= 0xFFFF {
            buffer[1] = 126
            buffer[2] = UInt8(truncatingIfNeeded: length >> 8)
            buffer[3] = UInt8(truncatingIfNeeded: length)
            return 4
        }
        buffer[1] = 127
        for index in 0..<8 { buffer[2 &+ index] = UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(56 &- 8 &* index)) }
        return 10
    }

    /// One unmasked frame: header and payload in one buffer, ready to share.
    public static func frame(_ opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true) -> [UInt8] {
        let headerLength = headerLength(payloadLength: payload.count)
        var bytes = [UInt8](repeating: 0, count: headerLength)
        _ = bytes.withUnsafeMutableBytes { writeHeader(opcode, fin: fin, payloadLength: payload.count, into: $0) }
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// A Close frame with `code` and a reason cut to fit the 125-byte control limit on a
    /// scalar boundary.
    public static func close(_ code: WebSocketCloseCode, reason: String = "") -> [UInt8] {
        var payload = [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        for scalar in reason.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if payload.count + encoded.count > 125 { break }
            payload += encoded
        }
        return frame(.close, payload: payload)
    }

    /// A masked frame as a client sends it (§5.3): for tests, the fuzzer and benchmark clients.
    public static func clientFrame(
        _ opcode: WebSocketOpcode, payload: some Collection<UInt8>, mask: UInt32, fin: Bool = true
    ) -> [UInt8] {
        var bytes = frame(opcode, payload: payload, fin: fin)
        let headerLength = headerLength(payloadLength: payload.count)
        bytes[1] |= 0x80
        let key = (0..<4).map { UInt8(truncatingIfNeeded: mask >> UInt32(24 - 8 * $0)) }
        bytes.insert(contentsOf: key, at: headerLength)
        for index in 0..<payload.count { bytes[headerLength + 4 + index] ^= key[index & 3] }
        return bytes
    }
}
