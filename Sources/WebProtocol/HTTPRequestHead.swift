/// One header field. Names are stored lowercased (field names are case-insensitive,
/// RFC 9110 §5.1); values have their surrounding whitespace removed (RFC 9112 §5.1).
public struct HTTPHeader: Equatable, Sendable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The methods chatd serves. Anything else that is a valid token is answered 405.
public enum HTTPMethod: String, Equatable, Sendable {
    case get = "GET"
    case head = "HEAD"
}

/// A parsed request line and header section. chatd accepts no request bodies.
public struct HTTPRequestHead: Equatable, Sendable {
    public let method: HTTPMethod
    /// The origin-form target (RFC 9112 §3.2.1), e.g. "/ws" or "/app.js?v=2".
    public let target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public let minorVersion: Int
    public let headers: [HTTPHeader]

    public init(method: HTTPMethod, target: String, minorVersion: Int, headers: [HTTPHeader]) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
    }

    /// The target without its query.
    public var path: Substring { target[..<(target.firstIndex(of: "?") ?? target.endIndex)] }

    /// The first value of header `name` (lowercase).
    public func value(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// Whether the comma-separated list header `name` contains `token` (case-insensitive),
    /// across repeated fields (RFC 9110 §5.3, §5.6.1), e.g. `Connection: keep-alive, Upgrade`.
    public func hasToken(_ name: String, _ token: String) -> Bool {
        let wanted = token.lowercased()
        return headers.contains { header in
            header.name == name && Self.listElements(header.value).contains { $0.lowercased() == wanted }
        }
    }

    /// The elements of the list header `name` in order, across repeated fields.
    public func listValues(_ name: String) -> [Substring] {
        headers.filter { $0.name == name }.flatMap { Self.listElements($0.value) }
    }

    /// HTTP/1.1 is persistent unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive` (RFC 9112 §9.3).
    public var keepAlive: Bool {
        if hasToken("connection", "close") { return false }
        return minorVersion >= 1 || hasToken("connection", "keep-alive")
    }

    static func listElements(_ value: String) -> [Substring] {
        value.split(separator: ",").map { $0.trimmingOWS() }.filter { !$0.isEmpty }
    }
}

extension Substring {
    func trimmingOWS() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
