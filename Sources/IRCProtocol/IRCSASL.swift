/// The client side of one SASL exchange as the server reads it (IRCv3 sasl-3.1, "AUTHENTICATE"):
/// the mechanism first, then the response in base64 chunks of 400 bytes, a shorter chunk (or
/// `+` for an empty one) ending it, `*` aborting. Only PLAIN (RFC 4616) is offered: the password
/// must reach Argon2id, which challenge-response mechanisms would not allow.
public struct IRCSASLExchange: Sendable, Equatable {
    public static let mechanisms = "PLAIN"
    /// The base64 response chatd takes at most (3 chunks): PLAIN with a 256-byte password and
    /// two 32-byte names is ~440 bytes, ~590 in base64.
    public static let maxResponseBytes = 1200
    static let chunkBytes = 400

    public enum Step: Sendable, Equatable {
        /// Send `AUTHENTICATE +` and wait for the response.
        case challenge
        /// More chunks to come: send nothing.
        case needMore
        case credentials(IRCSASLPlain)
        /// 908 + 904: a mechanism other than PLAIN.
        case unknownMechanism
        /// 904: the response is not PLAIN's three NUL-separated fields in base64.
        case invalid
        /// 905.
        case tooLong
        /// 906 (the client sent `*`).
        case aborted
    }

    public private(set) var mechanismChosen = false
    private var response = ""

    public init() {}

    /// One `AUTHENTICATE` parameter. After `.credentials`, `.invalid`, `.tooLong`, `.aborted`
    /// and `.unknownMechanism` the exchange is over and the caller starts a new one.
    public mutating func feed(_ parameter: String) -> Step {
        if parameter == "*" { return .aborted }
        guard mechanismChosen else {
            guard parameter.uppercased() == Self.mechanisms else { return .unknownMechanism }
            mechanismChosen = true
            return .challenge
        }
        let count = parameter.utf8.count
        guard count <= Self.chunkBytes else { return .tooLong }
        if parameter != "+" { response += parameter }
        guard response.utf8.count <= Self.maxResponseBytes else { return .tooLong }
        if count == Self.chunkBytes { return .needMore }
        guard let bytes = IRCBase64.decode(response), let plain = IRCSASLPlain(bytes) else { return .invalid }
        return .credentials(plain)
    }
}

/// PLAIN's message (RFC 4616 §2): `[authzid] NUL authcid NUL passwd`, UTF-8. chatd logs in to
/// `authcid` and accepts an `authzid` only when empty or equal to it (no one acts as another).
public struct IRCSASLPlain: Sendable, Equatable, CustomStringConvertible {
    public let authorization: String
    public let authentication: String
    public let password: [UInt8]

    init?(_ bytes: [UInt8]) {
        let fields = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, !fields[1].isEmpty, !fields[2].isEmpty,
              let authz = String(validating: fields[0], as: UTF8.self),
              let authc = String(validating: fields[1], as: UTF8.self),
              !fields[2].contains(0)
        else { return nil }
        authorization = authz
        authentication = authc
        password = Array(fields[2])
    }

    /// Never the password.
    public var description: String { "PLAIN(authcid: \(authentication), password: <hidden>)" }

    /// True when the authorization identity is empty or the authentication identity.
    public var actsAsItself: Bool { authorization.isEmpty || authorization == authentication }
}

/// RFC 4648 §4 base64 with padding, strict: what SASL's AUTHENTICATE carries. Hand-written
/// because IRCProtocol imports nothing (WebProtocol's decoder is out of reach by design).
public enum IRCBase64 {
    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            var quad: UInt32 = 0
            var padding = 0
            for k in 0..<4 {
                let c = input[index + k]
                let v: UInt32
                switch c {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "+"): v = 62
                case UInt8(ascii: "/"): v = 63
                case UInt8(ascii: "="):
                    // Padding only in the last quad's last two places.
                    guard index + 4 == input.count, k >= 2 else { return nil }
                    padding += 1
                    v = 0
                default: return nil
                }
                if padding > 0 && c != UInt8(ascii: "=") { return nil }
                quad = quad << 6 | v
            }
            out.append(UInt8(quad >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(quad >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(quad & 0xFF)) }
            index += 4
        }
        return out
    }
}
