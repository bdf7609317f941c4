import EventLoop
import Redis
import Synchronization
import Testing

/// The Redis client against a real redis-server.
@Suite(.serialized) struct RedisConnectionTests {
    /// 2,000 INCRs queued at once go out as one pipeline; replies come back complete and in
    /// order (a FIFO bug or a lost partial reply shows as a wrong or missing number).
    @Test func pipelinedRepliesInOrder() throws {
        let redis = try RedisServer()
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(redis.endpoint)
        h.send(Array(repeating: ["INCR", "counter"], count: 2000))
        #expect(waitUntil { h.replyCount == 2000 })
        let values = h.replies.withLock { $0 }
        #expect(values == (1...2000).map { RedisValue.integer(Int64($0)) })
        #expect(h.closes.withLock { $0 }.isEmpty)
    }

    /// A 3 MB value arrives over many reads on the edge-triggered fd: the connection must read
    /// until EAGAIN (one read per edge would leave the rest unread forever — hiredis#615).
    @Test func largeReplyIsReadToTheEnd() throws {
        let redis = try RedisServer()
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(redis.endpoint)
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        h.send(raw: [RESPCommand.encode([Array("SET".utf8), Array("big".utf8), big]), RESPCommand.encode(["GET", "big"])])
        #expect(waitUntil { h.replyCount == 2 })
        let values = h.replies.withLock { $0 }
        #expect(values.first == .status("OK"))
        #expect(values.last == .bulk(big))
    }

    /// Binary-safe arguments, nil, errors and nested arrays come back as RESP says.
    @Test func replyKinds() throws {
        let redis = try RedisServer()
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(redis.endpoint)
        let binary: [UInt8] = [0, 13, 10, 255, 32]
        h.send(raw: [
            RESPCommand.encode([Array("SET".utf8), Array("k".utf8), binary]),
            RESPCommand.encode(["GET", "k"]),
            RESPCommand.encode(["GET", "missing"]),
            RESPCommand.encode(["NOSUCHCOMMAND"]),
            RESPCommand.encode(["RPUSH", "l", "a", "b"]),
            RESPCommand.encode(["LRANGE", "l", "0", "-1"]),
        ])
        #expect(waitUntil { h.replyCount == 6 })
        let v = h.replies.withLock { $0 }
        #expect(v[0] == .status("OK"))
        #expect(v[1] == .bulk(binary))
        #expect(v[2] == .null)
        #expect(v[3].isError)
        #expect(v[4] == .integer(2))
        #expect(v[5] == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
    }

    /// Nothing listening: the connection reports the refusal (it does not hang or crash).
    @Test func refusedConnectionIsReported() throws {
        let redis = try RedisServer()
        redis.stop()
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(redis.endpoint)
        #expect(waitUntil { !h.closes.withLock { $0 }.isEmpty })
        #expect(h.connects.load(ordering: .relaxed) == 0)
    }

    /// The server going away mid-session is reported as a close.
    @Test func serverShutdownIsReported() throws {
        let redis = try RedisServer()
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(redis.endpoint)
        h.send([["PING"]])
        #expect(waitUntil { h.replyCount == 1 })
        redis.stop()
        #expect(waitUntil { !h.closes.withLock { $0 }.isEmpty })
    }

    /// unix:// endpoints connect through the Unix socket, non-blocking like TCP.
    @Test func unixSocket() throws {
        let socketPath = "/tmp/chatd-redis-\(UInt32.random(in: 0...UInt32.max)).sock"
        let redis = try RedisServer(arguments: ["--unixsocket", socketPath, "--unixsocketperm", "700"])
        let endpoint = try RedisEndpoint(parsing: "unix://\(socketPath)?db=1")
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(endpoint)
        h.send(endpoint.handshake + [["SET", "via", "unix"], ["GET", "via"]])
        #expect(waitUntil { h.replyCount == 3 })
        #expect(h.replies.withLock { $0 } == [.status("OK"), .status("OK"), .bulk(Array("unix".utf8))])
        #expect(redis.port > 0)
    }

    /// AUTH from the URL's password is sent first; a wrong password is an error reply.
    @Test func passwordHandshake() throws {
        let redis = try RedisServer(arguments: ["--requirepass", "s3cret"])
        let good = try RedisEndpoint(parsing: "redis://:s3cret@127.0.0.1:\(redis.port)/2")
        #expect(good.handshake == [["AUTH", "s3cret"], ["SELECT", "2"]])
        let h = try RedisHarness()
        defer { h.stop() }
        h.open(good)
        h.send(good.handshake + [["SET", "x", "1"]])
        #expect(waitUntil { h.replyCount == 3 })
        #expect(h.replies.withLock { $0 } == [.status("OK"), .status("OK"), .status("OK")])
        let bad = try RedisEndpoint(parsing: "redis://:wrong@127.0.0.1:\(redis.port)")
        let h2 = try RedisHarness()
        defer { h2.stop() }
        h2.open(bad)
        h2.send(bad.handshake)
        #expect(waitUntil { h2.replyCount == 1 })
        #expect(h2.replies.withLock { $0 }.first?.isError == true)
    }
}
