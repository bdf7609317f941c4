/// Frame opcodes (RFC 6455 §5.2); 3–7 and B–F are reserved and refused.
public enum WebSocketOpcode: UInt8, Equatable, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// Close status codes (RFC 6455 §7.4.1).
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = WebSocketCloseCode(rawValue: 1000)
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    public static let invalidPayload = WebSocketCloseCode(rawValue: 1007)
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    public static let internalError = WebSocketCloseCode(rawValue: 1011)

    /// Whether a peer may send this code in a Close frame: 1000–1003 and 1007–1011 defined
    /// (1012–1014 registered with IANA since), 3000–4999 for libraries and applications;
    /// 1004–1006 and 1015 are reserved and must never appear on the wire (§7.4.1, §7.4.2).
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    public var description: String { "\(rawValue)" }
}

/// What the decoder found. After `.close` or `.failure` the decoder consumes nothing more.
public enum WebSocketEvent: Equatable, Sendable {
    /// A complete text message (valid UTF-8) is in `decoder.message`.
    case text
    /// A complete binary message is in `decoder.message`.
    case binary
    /// Ping payload in `decoder.control`: answer with a pong carrying it (§5.5.2).
    case ping
    /// Pong payload in `decoder.control`.
    case pong
    /// The peer started the close handshake with this code (nil: no code, §7.1.5); echo it
    /// (1000 for nil) and close the TCP connection.
    case close(WebSocketCloseCode?)
    /// The peer broke the protocol: send a Close frame with `code` and close (§7.1.7).
    case failure(WebSocketCloseCode, reason: String)
}
