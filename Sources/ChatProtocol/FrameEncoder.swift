/// Writes frames exactly as the seed's clients do: `f"{n:<10}"` then the payload, so the
/// tutorial's client parses chatd's output unchanged.
public enum FrameEncoder {
    @inlinable
    public static func encodedLength(payloadLength: Int) -> Int {
        // Trapping add: the length comes from the caller, not from a parsed header.
        Framing.headerLength + payloadLength
    }

    /// Writes header + payload at `destination`, which must have room for
    /// `encodedLength(payloadLength: payload.count)` bytes; returns the bytes written.
    @inlinable
    @discardableResult
    public static func encode(_ payload: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer) -> Int {
        writeHeader(payloadLength: payload.count, into: destination)
        if let source = payload.baseAddress, payload.count > 0 {
            (destination + Framing.headerLength).copyMemory(from: source, byteCount: payload.count)
        }
        return Framing.headerLength &+ payload.count
    }

    /// Writes exactly `f"{n:<10}"`: decimal digits, then spaces up to 10 bytes.
    @inlinable
    public static func writeHeader(payloadLength: Int, into destination: UnsafeMutableRawPointer) {
        precondition(
            payloadLength >= 0 && payloadLength <= Framing.maxEncodablePayload,
            "payload length \(payloadLength) does not fit a 10-byte frame header")
        // Ten spaces in two stores, then the digits over the front; storeBytes is
        // alignment-free since SE-0349.
        destination.storeBytes(of: 0x2020_2020_2020_2020 as UInt64, as: UInt64.self)
        destination.storeBytes(of: 0x2020 as UInt16, toByteOffset: 8, as: UInt16.self)
        var digits = 1
        var rest = payloadLength
        while rest >= 10 {
            rest /= 10
            digits &+= 1
        }
        var value = payloadLength
        var index = digits
        repeat {
            index &-= 1
            let digit = UInt8(truncatingIfNeeded: value % 10)
            destination.storeBytes(of: ASCII.zero &+ digit, toByteOffset: index, as: UInt8.self)
            value /= 10
        } while value != 0
    }

    /// Header + payload as a new array (allocates; for tests and tools).
    public static func frame(_ payload: some Collection<UInt8>) -> [UInt8] {
        let count = payload.count
        return [UInt8](unsafeUninitializedCapacity: encodedLength(payloadLength: count)) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            writeHeader(payloadLength: count, into: base)
            var index = Framing.headerLength
            for byte in payload {
                buffer[index] = byte
                index &+= 1
            }
            initialized = index
        }
    }

    public static func frame(_ text: String) -> [UInt8] {
        frame(text.utf8)
    }
}
