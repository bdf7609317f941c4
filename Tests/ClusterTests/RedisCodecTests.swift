import Redis
import Testing

struct RedisCodecTests {
    /// Replies split at every byte boundary decode to the same values.
    @Test func readerReassemblesSplitReplies() throws {
        let wire = Array("+OK\r\n:42\r\n$5\r\nhe\r\no\r\n*2\r\n$1\r\na\r\n*1\r\n:-1\r\n$-1\r\n-ERR bad\r\n".utf8)
        let expected: [RedisValue] = [
            .status("OK"), .integer(42), .bulk(Array("he\r\no".utf8)), .array([.bulk([97]), .array([.integer(-1)])]), .null,
            .error("ERR bad"),
        ]
        for split in 0...wire.count {
            let reader = RESPReader()
            var got: [RedisValue] = []
            for part in [wire[..<split], wire[split...]] {
                try Array(part).withUnsafeBytes { try reader.feed($0) }
                while let v = try reader.next() { got.append(v) }
            }
            #expect(got == expected, "split at \(split)")
        }
    }

    @Test func readerRejectsGarbage() throws {
        let reader = RESPReader()
        try Array("?what\r\n".utf8).withUnsafeBytes { try reader.feed($0) }
        #expect(throws: RESPReader.ProtocolError.self) { _ = try reader.next() }
    }

    @Test func commandEncoding() {
        #expect(RESPCommand.encode(["SET", "k", ""]) == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n".utf8))
    }

    @Test func endpoints() throws {
        #expect(try RedisEndpoint(parsing: "redis://127.0.0.1:6379").address == .tcp(host: "127.0.0.1", port: 6379))
        let full = try RedisEndpoint(parsing: "redis://me:p@ss@[::1]:7000/3")
        #expect(full.user == "me" && full.password == "p@ss" && full.database == 3 && full.address == .tcp(host: "[::1]", port: 7000))
        #expect(full.description == "redis://me@[::1]:7000/3")
        let unix = try RedisEndpoint(parsing: "unix:///run/redis/redis.sock?db=1")
        #expect(unix.address == .unix(path: "/run/redis/redis.sock") && unix.database == 1)
        for bad in ["http://x:1", "redis://127.0.0.1", "redis://127.0.0.1:0", "redis://example.com:6379", "redis://127.0.0.1:6379/x",
                    "unix://relative", "unix:///s?db=-1"] {
            #expect(throws: RedisEndpoint.ParseError.self, "\(bad)") { try RedisEndpoint(parsing: bad) }
        }
    }
}
