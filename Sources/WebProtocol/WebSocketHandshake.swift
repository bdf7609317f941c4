/// Which `Origin` values may open a WebSocket (RFC 6455 §10.2: the server checks Origin
/// because browsers send cookies and credentials cross-site; non-browser clients send none).
public enum OriginPolicy: Equatable, Sendable {
    /// Any origin (and none).
    case any
    /// The page's own origin: Origin's host[:port] equals the Host header. This is the
    /// default, so another site cannot script a visitor's browser into the chat.
    case sameHost
    /// Exactly these serialized origins, e.g. "https://chat.example.org" (RFC 6454 §6.2),
    /// plus the same host.
    case allowed([String])

    /// Requests without Origin come from non-browser clients and are allowed.
    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        switch self {
        case .any: return true
        case .sameHost: return Self.isSameHost(origin: origin, host: host)
        case .allowed(let list):
            return Self.isSameHost(origin: origin, host: host) || list.contains { $0.lowercased() == origin.lowercased() }
        }
    }

    static func isSameHost(origin: String, host: String?) -> Bool {
        guard let host else { return false }
        let lowered = origin.lowercased()
        for scheme in ["http://", "https://"] where lowered.hasPrefix(scheme) {
            return lowered.dropFirst(scheme.count) == host.lowercased()
        }
        return false
    }
}

/// A validated opening handshake: what the 101 response needs.
public struct WebSocketUpgrade: Equatable, Sendable {
    /// The client's Sec-WebSocket-Key (base64 of 16 bytes).
    public let key: String
    /// "chatd.v1" when the client offered it; nil when it offered no subprotocol.
    public let subprotocol: String?

    public init(key: String, subprotocol: String?) {
        self.key = key
        self.subprotocol = subprotocol
    }
}

/// The server side of the opening handshake (RFC 6455 §4.2).
public enum WebSocketHandshake {
    public static let subprotocol = "chatd.v1"
    /// §1.3: appended to the key before hashing.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Checks a `GET /ws` request (§4.2.1). Errors carry the status to answer with: 400 for
    /// a malformed handshake, 403 for a refused Origin, 426 with `Sec-WebSocket-Version: 13`
    /// for a missing upgrade or another version (§4.4).
    public static func validate(_ head: HTTPRequestHead, origins: OriginPolicy) -> Result<WebSocketUpgrade, HTTPRequestError> {
        let versionHeader = [HTTPHeader("Sec-WebSocket-Version", "13")]
        guard head.method == .get, head.minorVersion == 1 else {
            return .failure(.bad("a WebSocket handshake is a GET over HTTP/1.1"))
        }
        guard head.hasToken("upgrade", "websocket"), head.hasToken("connection", "upgrade") else {
            return .failure(HTTPRequestError(.upgradeRequired, "this endpoint speaks WebSocket only", headers: versionHeader + [HTTPHeader("Upgrade", "websocket")]))
        }
        guard head.value("sec-websocket-version") == "13" else {
            return .failure(HTTPRequestError(.upgradeRequired, "only WebSocket version 13 is supported", headers: versionHeader))
        }
        let keys = head.headers.filter { $0.name == "sec-websocket-key" }
        guard keys.count == 1, let decoded = Base64.decode(keys[0].value), decoded.count == 16 else {
            return .failure(.bad("Sec-WebSocket-Key must be the base64 of 16 bytes"))
        }
        guard origins.allows(origin: head.value("origin"), host: head.value("host")) else {
            return .failure(HTTPRequestError(.forbidden, "origin \(head.value("origin") ?? "") is not allowed"))
        }
        let offered = head.listValues("sec-websocket-protocol")
        var selected: String?
        if !offered.isEmpty {
            guard offered.contains(where: { $0 == subprotocol }) else {
                return .failure(.bad("the only subprotocol is \(subprotocol)"))
            }
            selected = subprotocol
        }
        return .success(WebSocketUpgrade(key: keys[0].value, subprotocol: selected))
    }

    /// `Sec-WebSocket-Accept`: base64(SHA-1(key + GUID)) (§4.2.2 item 5.4). SHA-1 is a
    /// parameter so this module stays pure: the daemon passes libcrypto's, tests a fake.
    public static func acceptValue(key: String, sha1: ([UInt8]) -> [UInt8]) -> String {
        Base64.encode(sha1(Array((key + acceptGUID).utf8)))
    }

    /// The complete 101 response.
    public static func response(_ upgrade: WebSocketUpgrade, sha1: ([UInt8]) -> [UInt8]) -> [UInt8] {
        var headers = [
            HTTPHeader("Upgrade", "websocket"),
            HTTPHeader("Connection", "Upgrade"),
            HTTPHeader("Sec-WebSocket-Accept", acceptValue(key: upgrade.key, sha1: sha1)),
        ]
        if let selected = upgrade.subprotocol { headers.append(HTTPHeader("Sec-WebSocket-Protocol", selected)) }
        return HTTPResponse.head(.switchingProtocols, headers: headers, contentLength: nil, keepAlive: true)
    }
}
