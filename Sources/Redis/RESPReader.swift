import CHiredis

/// RESP2 replies from a byte stream, using hiredis's reader (Debian libhiredis-dev) rather than
/// a hand-written parser: it is the reader redis-cli and most clients use, kept and fuzzed
/// upstream, so chatd carries no parser of its own for Redis (and no fuzz target for one).
/// Only the pure reader is used — `redisReaderFeed` copies bytes in, `redisReaderGetReply`
/// hands back complete replies — never hiredis's async context: that one reads once per event
/// (at most 16 KiB), which on an edge-triggered fd leaves bytes that never fire again
/// (redis/hiredis#615). The connection reads until EAGAIN and drains every complete reply here.
/// Not thread-safe; one per connection.
public final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>

    public init() {
        guard let r = redisReaderCreate() else { fatalError("redisReaderCreate: out of memory") }
        reader = r
    }

    deinit { redisReaderFree(reader) }

    public struct ProtocolError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Bytes the reader holds that do not yet form a complete reply.
    public var buffered: Int { reader.pointee.len - reader.pointee.pos }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws(ProtocolError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count) != REDIS_OK {
            throw ProtocolError(description: errorText)
        }
    }

    /// The next complete reply, or nil until more bytes arrive. A protocol error (bytes that
    /// are not RESP) leaves the stream unusable: the connection must be closed.
    public func next() throws(ProtocolError) -> RedisValue? {
        var raw: UnsafeMutableRawPointer?
        if redisReaderGetReply(reader, &raw) != REDIS_OK { throw ProtocolError(description: errorText) }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.value(raw.assumingMemoryBound(to: redisReply.self))
    }

    private var errorText: String {
        withUnsafeBytes(of: reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func value(_ r: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let reply = r.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .bulk(reply.str.map { Array(UnsafeRawBufferPointer(start: $0, count: reply.len)) } ?? [])
        case REDIS_REPLY_STATUS:
            return .status(reply.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: reply.len), as: UTF8.self) } ?? "")
        case REDIS_REPLY_ERROR:
            return .error(reply.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: reply.len), as: UTF8.self) } ?? "")
        case REDIS_REPLY_INTEGER:
            return .integer(reply.integer)
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(reply.elements)
            for i in 0..<reply.elements {
                if let e = reply.element[i] { items.append(value(e)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .null
        }
    }
}
