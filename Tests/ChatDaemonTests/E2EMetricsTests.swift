// Issue 16: the metrics:// listener over real TCP against an in-process daemon — counters that
// move with real chat, and hostile HTTP (huge heads, slowloris, non-GET, a connection flood)
// answered without harming the scrape that follows or the chat.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E metrics") struct E2EMetricsTests {
    /// A daemon with a metrics:// listener; the request deadline (--handshake-timeout) is short
    /// so slowloris tests finish quickly.
    static func daemon() throws -> (E2EDaemon, Int) {
        let d = try E2EDaemon { c in
            c.listen.append(ListenAddress(.metrics, host: "127.0.0.1", port: 0))
            c.handshakeTimeout = 1
        }
        guard let port = d.server.port(for: .metrics) else { throw E2EError("no metrics port") }
        return (d, port)
    }

    /// Sends `request` raw and reads until the server closes (5 s at most).
    static func exchange(_ port: Int, _ request: [UInt8]) throws -> HTTPReply {
        let c = try E2EClient(port: port)
        c.sendRaw(request)
        return HTTPReply(try readToEOF(c.fd, timeout: 5))
    }

    static func readToEOF(_ fd: CInt, timeout: Double) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = e2eNow() + timeout
        while e2eNow() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) >= 0 else { throw E2EError("poll: errno \(errno)") }
            if pfd.revents == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return out }
            out += chunk[..<n]
        }
        throw E2EError("no EOF within \(timeout) s; got \(out.count) bytes")
    }

    static func get(_ port: Int, _ path: String = "/metrics", method: String = "GET") throws -> HTTPReply {
        try exchange(port, Array("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
    }

    /// The value of the sample `series` (name with its labels, as written) in a scrape.
    static func value(_ series: String, in body: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Scrapes until `series` satisfies `condition` (5 s deadline); the last body.
    static func scrape(_ port: Int, until series: String, _ condition: (Double) -> Bool) throws -> String {
        let deadline = e2eNow() + 5
        while true {
            let body = try get(port).bodyText
            if let v = value(series, in: body), condition(v) { return body }
            if e2eNow() > deadline { throw E2EError("\(series) never satisfied the condition; last scrape:\n\(body)") }
            e2eSleep(0.05)
        }
    }

    /// Scrapes until `series` read the same in two scrapes 50 ms apart (5 s deadline). A loop
    /// publishes its counters at the end of the tick whose flush the client may already have
    /// read, so "the client saw it" does not yet mean "the scrape counts it".
    static func settled(_ port: Int, _ series: [String]) throws -> String {
        let deadline = e2eNow() + 5
        var last: [Double?] = []
        while true {
            let body = try get(port).bodyText
            let now = series.map { value($0, in: body) }
            if now == last && !now.contains(nil) { return body }
            if e2eNow() > deadline { throw E2EError("\(series) never settled; last scrape:\n\(body)") }
            last = now
            e2eSleep(0.05)
        }
    }

    @Test func scrapeFollowsTheChat() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        let first = try Self.get(port)
        #expect(first.status == 200)
        #expect(first.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(first.header("content-length") == String(first.body.count))
        #expect(first.bodyText.contains("# TYPE chatd_deliveries_total counter\n"))
        #expect(first.bodyText.contains("# TYPE chatd_loop_tick_seconds histogram\n"))
        #expect(Self.value("chatd_deliveries_total", in: first.bodyText) == 0)

        let a = try E2EClient.login(port: d.port, name: "ann")
        let b = try E2EClient.login(port: d.port, name: "ben")
        #expect(a.receiveUntil(.notice("ben joined #lobby")) != nil)
        // Logging in took messages (a /who to sync) and a delivery (ann saw ben join).
        let before = try Self.settled(port, ["chatd_deliveries_total", "chatd_messages_received_total"])
        let deliveries = try #require(Self.value("chatd_deliveries_total", in: before))
        let received = try #require(Self.value("chatd_messages_received_total", in: before))
        for i in 0..<5 { try a.send(frame: "hello \(i)") }
        #expect(b.receive(count: 5)?.count == 5)
        // 5 messages, one recipient each (the sender gets no echo).
        var body = try Self.scrape(port, until: "chatd_deliveries_total") { $0 >= deliveries + 5 }
        #expect(Self.value("chatd_deliveries_total", in: body) == deliveries + 5)
        #expect(Self.value("chatd_messages_received_total", in: body) == received + 5)
        #expect(Self.value(#"chatd_connections_open{protocol="framed"}"#, in: body) == 2)
        #expect(Self.value(#"chatd_connections_accepted_total{protocol="framed"}"#, in: body) == 2)
        #expect(Self.value("chatd_users", in: body) == 2)
        #expect(Self.value("chatd_rooms", in: body) == 1)
        #expect(Self.value("chatd_room_members", in: body) == 2)
        #expect((Self.value(#"chatd_received_bytes_total{protocol="framed"}"#, in: body) ?? 0) > 0)
        #expect((Self.value(#"chatd_sent_bytes_total{protocol="framed"}"#, in: body) ?? 0) > 0)
        // Both loops have the series; the one that served the clients has ticked.
        let ticks0 = try #require(Self.value(#"chatd_loop_tick_seconds_count{loop="0"}"#, in: body))
        let ticks1 = try #require(Self.value(#"chatd_loop_tick_seconds_count{loop="1"}"#, in: body))
        #expect(ticks0 + ticks1 > 0)
        #expect(Self.value(#"chatd_loop_tick_seconds_bucket{loop="1",le="+Inf"}"#, in: body) == ticks1)
        #expect((Self.value("process_resident_memory_bytes", in: body) ?? 0) > 1_000_000)

        // 8 more messages: one of them has a sequence divisible by 8, so it is sampled and the
        // loop that delivered it observes its publish-to-flush latency once.
        for i in 0..<8 { try a.send(frame: "sample \(i)") }
        #expect(b.receive(count: 8)?.count == 8)
        body = try Self.scrape(port, until: "chatd_publish_flush_seconds_count") { $0 >= 1 }
        let samples = try #require(Self.value("chatd_publish_flush_seconds_count", in: body))
        #expect(samples <= 2)  // 13 messages to one recipient, 1 in 8 sampled
        #expect(Self.value(#"chatd_publish_flush_seconds_bucket{le="+Inf"}"#, in: body) == samples)
        #expect((Self.value("chatd_publish_flush_seconds_sum", in: body) ?? 0) > 0)
        #expect((Self.value("process_open_fds", in: body) ?? 0) > 3)

        try a.send(frame: "/quit")
        #expect(a.expectClosed())
        body = try Self.scrape(port, until: #"chatd_connections_closed_total{protocol="framed",reason="quit"}"#) { $0 == 1 }
        #expect(Self.value(#"chatd_connections_open{protocol="framed"}"#, in: body) == 1)
        // Read what is queued first: closing over unread data is an RST (network_error).
        #expect(b.receiveUntil(.notice("ann disconnected")) != nil)
        b.close()
        body = try Self.scrape(port, until: #"chatd_connections_closed_total{protocol="framed",reason="peer_closed"}"#) { $0 == 1 }
        #expect(Self.value(#"chatd_connections_open{protocol="framed"}"#, in: body) == 0)
    }

    @Test func headIsTheHeadOfGet() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        let head = try Self.get(port, method: "HEAD")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(Int(head.header("content-length") ?? "") ?? 0 > 1000)
    }

    @Test("refused requests get their status, and the next scrape works", arguments: [
        ("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
        ("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        ("GET /metrics/../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        ("GET /metrics HTTP/1.1\r\n\r\n", 400),
        ("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET /metrics HTTP/1.1\nHost: x\n\n", 400),
        ("\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}\u{00}\r\n\r\n", 400),
    ])
    func refused(_ request: String, _ status: Int) throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        let reply = try Self.exchange(port, Array(request.utf8))
        #expect(reply.status == status, "\(request.debugDescription): \(reply.bodyText)")
        if status == 405 { #expect(reply.header("allow") == "GET, HEAD") }
        #expect(try Self.get(port).status == 200)
        d.expectHealthy()
    }

    @Test func hugeHeadersAre431BeforeTheyAreAllBuffered() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        let c = try E2EClient(port: port)
        c.sendRaw(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8))
        // 1 MiB of headers: far past the 8 KiB cap; the answer comes while the client is still
        // sending (the send may then fail: the server stopped reading and closed).
        let field = Array("X-Filler: \(String(repeating: "a", count: 1000))\r\n".utf8)
        for _ in 0..<1024 where c.sendRaw(field) {}
        let reply = HTTPReply(try Self.readToEOF(c.fd, timeout: 5))
        #expect(reply.status == 431, "\(reply.bodyText)")
        #expect(try Self.get(port).status == 200)
        d.expectHealthy()
    }

    @Test func slowlorisIsClosedAtTheDeadline() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        let c = try E2EClient(port: port)
        let start = e2eNow()
        // One byte every 200 ms: never a complete head.
        var closed = false
        while e2eNow() - start < 4 {
            if !c.sendRaw(Array("G".utf8)) { closed = true; break }
            var pfd = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) > 0 { closed = true; break }  // EOF (or RST) from the server
        }
        let took = e2eNow() - start
        #expect(closed, "a trickling request was not closed within 4 s")
        #expect(took >= 0.9, "closed after \(took) s, before the 1 s deadline")
        #expect(try Self.get(port).status == 200)
    }

    @Test func aConnectionFloodIsBoundedAndPassesOff() throws {
        let (d, port) = try Self.daemon()
        defer { d.stop() }
        // Idle connections up to the cap hold their slots until the request deadline.
        let idle = try (0..<MetricsServer.maxClients).map { _ in try E2EClient(port: port) }
        e2eSleep(0.1)
        // One more is closed at accept, with no answer.
        let extra = try E2EClient(port: port)
        #expect(try Self.readToEOF(extra.fd, timeout: 2).isEmpty)
        // After the deadline (1 s) the idle ones are gone and scrapes are served again.
        for c in idle { #expect((try? Self.readToEOF(c.fd, timeout: 3)) != nil) }
        #expect(try Self.get(port).status == 200)
        d.expectHealthy()
    }

    @Test func metricsSchemeParsesAndNeedsNoCertificate() throws {
        let a = try ListenAddress.parse("metrics://127.0.0.1:9775")
        #expect(a == ListenAddress(.metrics, host: "127.0.0.1", port: 9775))
        #expect(a.description == "metrics://127.0.0.1:9775")
    }
}

/// A response read to EOF: status, headers (names lowercased), body.
struct HTTPReply {
    var status = 0
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    init(_ bytes: [UInt8]) {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        body = Array(bytes[(end + 4)...])
    }

    func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}
