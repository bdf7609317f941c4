/// One RESP2 reply (https://redis.io/docs/latest/develop/reference/protocol-spec/): what the
/// reader turns hiredis's reply tree into, so no C pointer outlives the read.
public enum RedisValue: Sendable, Equatable {
    /// A bulk string: binary-safe bytes.
    case bulk([UInt8])
    /// A simple string (`+OK`).
    case status(String)
    /// An error reply (`-ERR ...`): the command failed, the connection is fine.
    case error(String)
    case integer(Int64)
    /// The null bulk string or null array.
    case null
    case array([RedisValue])

    /// The value as text: bulk and status strings (bulk bytes decoded as UTF-8, invalid
    /// sequences replaced), integers in decimal.
    public var text: String? {
        switch self {
        case .bulk(let b): String(decoding: b, as: UTF8.self)
        case .status(let s): s
        case .integer(let i): String(i)
        default: nil
        }
    }

    /// The value as an integer: integer replies, and bulk strings holding decimal digits (what
    /// `GET` of a counter and `HGET` return).
    public var integer: Int64? {
        switch self {
        case .integer(let i): i
        case .bulk(let b): Int64(String(decoding: b, as: UTF8.self))
        default: nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let b): b
        case .status(let s): Array(s.utf8)
        default: nil
        }
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}
