/// Decodes client-to-server WebSocket frames (RFC 6455 §5) into messages and control frames,
/// written by hand because the available implementations either need a NIO pipeline or copy
/// each queued message per connection (see docs/PROTOCOLS.md). Fuzzed by Fuzz/harness/websocket.swift.
///
/// Rules enforced: every client frame masked (§5.1, 1002 otherwise); RSV bits zero (no
/// extension is negotiated, so no permessage-deflate, §5.2); reserved opcodes refused;
/// minimal length encoding and a 64-bit length with its top bit clear (§5.2); control frames
/// ≤ 125 bytes and never fragmented, allowed between fragments (§5.4, §5.5); a continuation
/// only inside a fragmented message and a new data frame never inside one (§5.4); a
/// message over `maxMessageBytes` is refused with 1009 as soon as its header says so
/// (§7.4.1), before its payload is buffered; text valid UTF-8 across fragments, checked as
/// the bytes arrive (1007, §8.1); Close payload empty or a valid code plus UTF-8 reason (§5.5.1).
///
/// Payloads are unmasked while streaming, so a frame never has to fit in the caller's
/// read buffer; the caller passes whatever it has and drops the `consumed` bytes.
public struct WebSocketFrameDecoder: Sendable {
    public let maxMessageBytes: Int
    /// The payload of the last `.text`/`.binary` (valid until the next `decode`).
    public private(set) var message: [UInt8] = []
    /// The payload of the last `.ping`/`.pong`/`.close`.
    public private(set) var control: [UInt8] = []

    /// The frame whose payload is being read.
    private struct Frame: Sendable {
        var opcode: WebSocketOpcode
        var fin: Bool
        var remaining: UInt64
        /// The 4 masking-key bytes, first byte in the top 8 bits.
        var mask: UInt32
        var maskOffset: Int
    }

    private var frame: Frame?
    /// The opcode of the fragmented message in progress (text or binary).
    private var messageOpcode: WebSocketOpcode?
    private var utf8 = UTF8Stream()
    private var clearMessage = false
    private var finished = false

    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Whether a `.close` or `.failure` has ended the stream.
    public var isFinished: Bool { finished }

    /// Consumes bytes from the front of `input` until one event is complete (returned with
    /// the bytes it took) or the input runs out (`event` nil: call again with more bytes;
    /// the unconsumed tail must be passed again).
    public mutating func decode(_ input: UnsafeRawBufferPointer) -> (consumed: Int, event: WebSocketEvent?) {
        if finished { return (0, nil) }
        if clearMessage {
            message.removeAll(keepingCapacity: message.capacity <= 65536)
            clearMessage = false
        }
        var offset = 0
        while true {
            if frame == nil {
                switch parseHeader(UnsafeRawBufferPointer(rebasing: input[offset...])) {
                case .needMore: return (offset, nil)
                case .failure(let code, let reason): return (offset, fail(code, reason))
                case .header(let header, let length):
                    offset &+= length
                    frame = header
                    if header.opcode.isControl {
                        control.removeAll(keepingCapacity: true)
                    } else if header.opcode != .continuation {
                        messageOpcode = header.opcode
                        utf8 = UTF8Stream()
                    }
                }
            }
            guard var current = frame else { return (offset, nil) }
            let available = input.count &- offset
            let take = Int(min(UInt64(available), current.remaining))
            if take > 0 {
                let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<(offset &+ take)])
                let start = current.opcode.isControl ? control.count : message.count
                if current.opcode.isControl {
                    control.append(contentsOf: chunk)
                    Self.unmask(&control, from: start, mask: current.mask, offset: current.maskOffset)
                } else {
                    message.append(contentsOf: chunk)
                    Self.unmask(&message, from: start, mask: current.mask, offset: current.maskOffset)
                    if messageOpcode == .text {
                        let valid = message.withUnsafeBytes { utf8.feed(UnsafeRawBufferPointer(rebasing: $0[start...])) }
                        if !valid { return (offset &+ take, fail(.invalidPayload, "invalid UTF-8 in a text message")) }
                    }
                }
                current.maskOffset = (current.maskOffset &+ take) & 3
                current.remaining &-= UInt64(take)
                offset &+= take
            }
            if current.remaining > 0 {
                frame = current
                return (offset, nil)
            }
            frame = nil
            if let event = finishFrame(current) { return (offset, event) }
        }
    }

    private enum HeaderResult {
        case needMore
        case header(Frame, length: Int)
        case failure(WebSocketCloseCode, String)
    }

    private func parseHeader(_ bytes: UnsafeRawBufferPointer) -> HeaderResult {
        guard bytes.count >= 2 else { return .needMore }
        let first = bytes[0]
        let second = bytes[1]
        if first & 0x70 != 0 { return .failure(.protocolError, "reserved bits set (no extension was negotiated)") }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            return .failure(.protocolError, "reserved opcode \(first & 0x0F)")
        }
        let fin = first & 0x80 != 0
        if second & 0x80 == 0 { return .failure(.protocolError, "client frame not masked") }
        var length = UInt64(second & 0x7F)
        var headerLength = 2
        if length == 126 {
            guard bytes.count >= 4 else { return .needMore }
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            headerLength = 4
            if length < 126 { return .failure(.protocolError, "length not minimally encoded") }
        } else if length == 127 {
            guard bytes.count >= 10 else { return .needMore }
            length = 0
            for index in 2..<10 { length = length << 8 | UInt64(bytes[index]) }
            headerLength = 10
            if length >> 63 != 0 { return .failure(.protocolError, "64-bit length with the top bit set") }
            if length <= 0xFFFF { return .failure(.protocolError, "length not minimally encoded") }
        }
        if opcode.isControl {
            if !fin { return .failure(.protocolError, "fragmented control frame") }
            if length > 125 { return .failure(.protocolError, "control frame longer than 125 bytes") }
        } else if opcode == .continuation {
            if messageOpcode == nil { return .failure(.protocolError, "continuation frame outside a message") }
        } else if messageOpcode != nil {
            return .failure(.protocolError, "new message inside a fragmented message")
        }
        if !opcode.isControl, UInt64(message.count) + length > UInt64(maxMessageBytes) {
            return .failure(.messageTooBig, "message larger than \(maxMessageBytes) bytes")
        }
        guard bytes.count >= headerLength &+ 4 else { return .needMore }
        var mask: UInt32 = 0
        for index in headerLength..<(headerLength &+ 4) { mask = mask << 8 | UInt32(bytes[index]) }
        return .header(Frame(opcode: opcode, fin: fin, remaining: length, mask: mask, maskOffset: 0), length: headerLength &+ 4)
    }

    /// A frame's payload is complete: emit its event, or nil for a non-final fragment.
    private mutating func finishFrame(_ frame: Frame) -> WebSocketEvent? {
        switch frame.opcode {
        case .ping: return .ping
        case .pong: return .pong
        case .close: return finishClose()
        case .text, .binary, .continuation:
            guard frame.fin, let opcode = messageOpcode else { return nil }
            messageOpcode = nil
            if opcode == .text, !utf8.isComplete { return fail(.invalidPayload, "text message ends inside a UTF-8 sequence") }
            clearMessage = true
            return opcode == .text ? .text : .binary
        }
    }

    private mutating func finishClose() -> WebSocketEvent {
        finished = true
        if control.isEmpty { return .close(nil) }
        if control.count == 1 { return fail(.protocolError, "close payload of one byte") }
        let code = WebSocketCloseCode(rawValue: UInt16(control[0]) << 8 | UInt16(control[1]))
        if !code.isValidOnWire { return fail(.protocolError, "close code \(code.rawValue) not allowed on the wire") }
        var reason = UTF8Stream()
        let valid = control.withUnsafeBytes { reason.feed(UnsafeRawBufferPointer(rebasing: $0[2...])) }
        if !valid || !reason.isComplete { return fail(.invalidPayload, "close reason is not UTF-8") }
        return .close(code)
    }

    private mutating func fail(_ code: WebSocketCloseCode, _ reason: String) -> WebSocketEvent {
        finished = true
        frame = nil
        return .failure(code, reason: reason)
    }

    /// Client payload byte i is XORed with mask byte (i mod 4) (§5.3).
    static func unmask(_ bytes: inout [UInt8], from start: Int, mask: UInt32, offset: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            var position = offset
            for index in start..<buffer.count {
                buffer[index] ^= UInt8(truncatingIfNeeded: mask >> UInt32(24 &- 8 &* position))
                position = (position &+ 1) & 3
            }
        }
    }
}
