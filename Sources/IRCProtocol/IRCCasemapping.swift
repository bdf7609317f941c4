/// How nicks and channel names compare (Modern IRC, ISUPPORT "CASEMAPPING"). Fold keys
/// for lookups and show names as given.
public enum IRCCasemapping: String, Sendable, CaseIterable {
    /// Only A–Z fold to a–z. What chatd advertises: rfc1459's extra pairs are advised
    /// against by the docs and surprise users ("[a]" == "{a}").
    case ascii
    /// ascii plus `[]\~` folding to `{}|^` (the historic RFC 1459 rule; clients assume it
    /// when a server sends no CASEMAPPING).
    case rfc1459

    /// The ISUPPORT value: `CASEMAPPING=<value>`.
    public var isupportValue: String { rawValue }

    @inlinable
    public func fold(_ byte: UInt8) -> UInt8 {
        if byte &- 0x41 < 26 { return byte | 0x20 }  // A–Z
        guard self == .rfc1459 else { return byte }
        switch byte {
        case 0x5B: return 0x7B  // [ → {
        case 0x5C: return 0x7C  // \ → |
        case 0x5D: return 0x7D  // ] → }
        case 0x7E: return 0x5E  // ~ → ^
        default: return byte
        }
    }

    /// The folded form: equal for names this mapping considers equal. Non-ASCII bytes are
    /// kept as they are (neither mapping folds them).
    public func fold(_ name: String) -> String {
        guard name.utf8.contains(where: { fold($0) != $0 }) else { return name }
        return String(decoding: name.utf8.map(fold), as: UTF8.self)
    }

    public func equals(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { fold($0) == fold($1) }
    }
}
