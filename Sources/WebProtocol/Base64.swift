/// Base64 with the standard alphabet and padding (RFC 4648 §4), for `Sec-WebSocket-Key` and
/// `Sec-WebSocket-Accept`. Twenty lines do not justify a dependency, and WebProtocol stays
/// free of C modules so the fuzzer can compile it alone.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let remaining = input.count - index
            let chunk = UInt32(input[index]) << 16
                | (remaining > 1 ? UInt32(input[index + 1]) << 8 : 0)
                | (remaining > 2 ? UInt32(input[index + 2]) : 0)
            for position in 0..<4 {
                if position > remaining {
                    output.append(ASCII.equals)
                } else {
                    output.append(alphabet[Int(chunk >> UInt32(18 - 6 * position)) & 0x3F])
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes canonical padded base64; nil for anything else (wrong length, stray
    /// characters, non-zero padding bits).
    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        var index = 0
        while index < input.count {
            var chunk: UInt32 = 0
            var padding = 0
            for position in 0..<4 {
                let byte = input[index + position]
                if byte == ASCII.equals, index + 4 == input.count, position >= 2 {
                    padding += 1
                    chunk <<= 6
                    continue
                }
                guard padding == 0, let value = alphabet.firstIndex(of: byte) else { return nil }
                chunk = chunk << 6 | UInt32(value)
            }
            let bytes = [UInt8(chunk >> 16), UInt8(truncatingIfNeeded: chunk >> 8), UInt8(truncatingIfNeeded: chunk)]
            let kept = 3 - padding
            if bytes[kept...].contains(where: { $0 != 0 }) { return nil }
            output += bytes[..<kept]
            index += 4
        }
        return output
    }
}
