import Glibc

/// Who a ban (room or server) matches, the same for every protocol. Written forms:
/// - `~a:NAME`: the account NAME (case-insensitive).
/// - an IPv4 or IPv6 address, optionally `/PREFIX` (CIDR): the client's address.
/// - a nickname glob (`*` any run, `?` one character), case-insensitive like nicknames; the
///   IRC form `NICK!USER@HOST` is accepted too: a host that is an address or CIDR makes an
///   address mask (IRC clients ban `*!*@1.2.3.4`), otherwise only the nick part counts (the
///   user and host parts of chatd's users reveal nothing about them, DESIGN.md §7).
public enum BanMask: Hashable, Sendable, CustomStringConvertible {
    case nick(String)
    case account(String)
    case address(IPNetwork)

    /// Longest mask accepted: nicknames are at most 32 bytes, so longer globs only cost time.
    public static let maxBytes = 100

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) -> Result<BanMask, ParseError> {
        guard !text.isEmpty else { return .failure(ParseError(description: "empty mask")) }
        guard text.utf8.count <= maxBytes else { return .failure(ParseError(description: "mask longer than \(maxBytes) bytes")) }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            return .failure(ParseError(description: "a mask has no spaces or control characters"))
        }
        if text.hasPrefix("~a:") {
            let name = text.dropFirst(3)
            guard !name.isEmpty, !name.contains("*"), !name.contains("?") else {
                return .failure(ParseError(description: "usage: ~a:ACCOUNT (an exact account name)"))
            }
            return .success(.account(NameKey.fold(String(name))))
        }
        if let network = IPNetwork(text) { return .success(.address(network)) }
        if text.contains("/") && !text.contains("!") {
            // Meant as ADDRESS/PREFIX: a typo must not become a nick ban that matches nobody.
            return .failure(ParseError(description: "not an address/prefix (IPv4 /0–32, IPv6 /0–128)"))
        }
        var nick = Substring(text)
        if let bang = text.firstIndex(of: "!") {
            nick = text[..<bang]
            let rest = text[text.index(after: bang)...]
            guard let at = rest.firstIndex(of: "@") else {
                return .failure(ParseError(description: "a NICK!USER@HOST mask needs an '@'"))
            }
            let host = rest[rest.index(after: at)...]
            if host.contains("/") && IPNetwork(String(host)) == nil {
                return .failure(ParseError(description: "not an address/prefix (IPv4 /0–32, IPv6 /0–128)"))
            }
            if let network = IPNetwork(String(host)) {
                guard nick.allSatisfy({ $0 == "*" }), rest[..<at].allSatisfy({ $0 == "*" }) else {
                    return .failure(ParseError(description: "an address mask is *!*@ADDRESS[/PREFIX]"))
                }
                return .success(.address(network))
            }
        } else if text.contains("@") {
            return .failure(ParseError(description: "not a mask: use NICK, ~a:ACCOUNT, ADDRESS[/PREFIX] or NICK!*@*"))
        }
        guard !nick.isEmpty else { return .failure(ParseError(description: "empty nick in mask")) }
        return .success(.nick(NameKey.fold(String(nick))))
    }

    /// The canonical written form (what `/bans` and IRC 367 show, and what `/unban` matches).
    public var description: String {
        switch self {
        case .nick(let glob): "\(glob)!*@*"
        case .account(let name): "~a:\(name)"
        case .address(let network): network.description
        }
    }

    /// Whether the mask matches a user. `nickKey` and `accountKey` are folded (`NameKey`).
    public func matches(nickKey: String, accountKey: String?, address: IPNetwork.Address?) -> Bool {
        switch self {
        case .nick(let glob): Glob.matches(glob, nickKey)
        case .account(let name): accountKey == name
        case .address(let network): address.map(network.contains) ?? false
        }
    }
}

/// `*`/`?` wildcard matching over UTF-8 bytes, iterative with one backtrack point (linear in
/// practice, O(n·m) at worst; masks are at most `BanMask.maxBytes`).
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var i = 0, j = 0
        var star = -1, resume = 0
        while j < t.count {
            if i < p.count && (p[i] == UInt8(ascii: "?") || p[i] == t[j]) {
                i += 1; j += 1
            } else if i < p.count && p[i] == UInt8(ascii: "*") {
                star = i; resume = j; i += 1
            } else if star >= 0 {
                i = star + 1; resume += 1; j = resume
            } else {
                return false
            }
        }
        while i < p.count && p[i] == UInt8(ascii: "*") { i += 1 }
        return i == p.count
    }
}

/// An IPv4 or IPv6 network (an address and a prefix length). IPv4 is kept as IPv4-mapped IPv6
/// (RFC 4291 §2.5.5.2) so one 128-bit comparison serves both families, and a client reaching an
/// IPv6 listener over IPv4 matches IPv4 bans.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public typealias Address = UInt128
    public let base: Address
    /// Prefix length in the 128-bit space (IPv4 /24 is 120 here).
    public let prefix: Int
    let isV4: Bool

    /// `ADDRESS` or `ADDRESS/PREFIX`, IPv4 dotted quad or IPv6 text (inet_pton(3)).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let (address, v4) = Self.parseAddress(String(parts[0])) else { return nil }
        let width = v4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy(\.isASCII), let n = Int(parts[1]),
                  (0...width).contains(n)
            else { return nil }
            length = n
        }
        prefix = length + (v4 ? 96 : 0)
        base = address & Self.mask(prefix)
        isV4 = v4
    }

    /// The address of a client (`SocketAddress.host` form); nil when it is not an IP address
    /// (e.g. a Unix socket).
    public static func address(_ text: String) -> Address? { parseAddress(text)?.0 }

    public func contains(_ address: Address) -> Bool { address & Self.mask(prefix) == base }

    static func mask(_ prefix: Int) -> UInt128 {
        prefix == 0 ? 0 : ~UInt128(0) << (128 - prefix)
    }

    static func parseAddress(_ text: String) -> (UInt128, Bool)? {
        guard !text.isEmpty, text.utf8.count < 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let n = UInt32(bigEndian: v4.s_addr)
            return (UInt128(0xFFFF) << 32 | UInt128(n), true)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let value = withUnsafeBytes(of: &v6) { b in b.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
        // Written as IPv6 (an IPv4-mapped one too): shown and prefixed as IPv6.
        return (value, false)
    }

    public var description: String {
        if isV4 {
            let n = UInt32(truncatingIfNeeded: base)
            let text = "\(n >> 24).\(n >> 16 & 0xFF).\(n >> 8 & 0xFF).\(n & 0xFF)"
            return prefix == 128 ? text : "\(text)/\(prefix - 96)"
        }
        var a = in6_addr()
        withUnsafeMutableBytes(of: &a) { b in
            for i in 0..<16 { b[i] = UInt8(truncatingIfNeeded: base >> (8 * (15 - i))) }
        }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
        let text = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return prefix == 128 ? text : "\(text)/\(prefix)"
    }
}
