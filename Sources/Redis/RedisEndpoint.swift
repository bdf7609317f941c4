import EventLoop

/// Where a Redis server is and how to log in: `redis://[USER:PASS@]HOST:PORT[/DB]` or
/// `unix://PATH[?db=DB]` (the URI forms redis-cli and most clients accept, IANA's `redis`
/// scheme). HOST follows chatd's one set of host rules (`SocketAddress`): numeric addresses and
/// `localhost` only, since chatd never does DNS.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var user: String?
    public var password: String?
    public var database: Int

    public init(address: Address, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.user = user
        self.password = password
        self.database = database
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    public init(parsing url: String) throws(ParseError) {
        if url.hasPrefix("unix://") {
            var rest = Substring(url.dropFirst("unix://".count))
            var database = 0
            if let q = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: q)...]
                rest = rest[..<q]
                guard query.hasPrefix("db="), let db = Int(query.dropFirst(3)), db >= 0 else {
                    throw ParseError("\(url): the only query is ?db=N")
                }
                database = db
            }
            guard rest.hasPrefix("/") else { throw ParseError("\(url): unix:// needs an absolute path") }
            self.init(address: .unix(path: String(rest)), database: database)
            return
        }
        guard url.hasPrefix("redis://") else { throw ParseError("\(url): expected redis://HOST:PORT[/DB] or unix:///PATH") }
        var rest = Substring(url.dropFirst("redis://".count))
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let u = credentials[..<colon]
                user = u.isEmpty ? nil : String(u)
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                // redis://PASSWORD@host (no colon) is how older clients spell a password alone.
                password = String(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw ParseError("\(url): database must be a number ≥ 0") }
                database = n
            }
        }
        // [v6]:port or host:port: the port follows the last colon.
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
            throw ParseError("\(url): expected HOST:PORT with a port in 1...65535")
        }
        let host = String(rest[..<colon])
        do {
            _ = try SocketAddress(host: host, port: port)
        } catch {
            throw ParseError("\(url): host must be a numeric IPv4/IPv6 address or localhost (chatd does no DNS)")
        }
        self.init(address: .tcp(host: host, port: port), user: user, password: password, database: database)
    }

    /// The endpoint without its password, for logs and STATUS=.
    public var description: String {
        switch address {
        case .tcp(let host, let port):
            let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            return "redis://\(user.map { "\($0)@" } ?? "")\(h):\(port)\(database != 0 ? "/\(database)" : "")"
        case .unix(let path):
            return "unix://\(path)\(database != 0 ? "?db=\(database)" : "")"
        }
    }

    /// What a connection sends first: AUTH (when a password is set) and SELECT (when not db 0).
    /// Pipelined ahead of everything else; their replies come first, in this order.
    public var handshake: [[String]] {
        var commands: [[String]] = []
        if let password { commands.append(user.map { ["AUTH", $0, password] } ?? ["AUTH", password]) }
        if database != 0 { commands.append(["SELECT", String(database)]) }
        return commands
    }
}
