import EventLoop
import Glibc
import TLS
import Testing

/// Clients that are not (well-behaved) TLS clients: each is closed with a reason and costs the
/// others nothing.
@Suite("TLS hostile clients")
struct TLSHostileTests {
    let credentials: TLSCredentials
    let server: TLSEchoServer

    init() throws {
        credentials = try TestCertificates.valid("hostile")
        server = try TLSEchoServer(context: try ReloadableTLSContext(credentials: credentials))
    }

    var ca: String { credentials.certificateChainPath }

    func expectClosedWithReason(_ bytes: [UInt8], reason: String) throws {
        let client = try RawClient(port: server.port)
        client.send(bytes)
        #expect(client.waitForClose().closed, "server kept a non-TLS client open")
        #expect(waitUntil { !server.snapshot.isEmpty })
        #expect(server.snapshot == [.handshakeFailed(.protocolError(reason))])
        #expect(server.handshaking.withLock { $0 } == 0)
    }

    @Test func garbageBeforeClientHelloIsClosed() throws {
        defer { server.stop() }
        var garbage = [UInt8](repeating: 0, count: 300)
        for i in garbage.indices { garbage[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        try expectClosedWithReason(garbage, reason: "wrong version number")
    }

    @Test func aPlaintextChatClientIsClosed() throws {
        defer { server.stop() }
        try expectClosedWithReason(Array("5         alice".utf8), reason: "wrong version number")
    }

    @Test func aPlainHTTPRequestIsClosed() throws {
        defer { server.stop() }
        try expectClosedWithReason(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), reason: "http request")
    }

    /// 200 clients that connect and send nothing, 200 that stop inside a ClientHello (a record
    /// header announcing 512 bytes, then 20): a real client still handshakes and echoes at
    /// once, because no handshake ever blocks the loop. (Bounding how long they may stall is
    /// the daemon's handshake timeout.)
    @Test func stalledHandshakesDoNotBlockOthers() throws {
        defer { server.stop() }
        var stalled: [RawClient] = []
        for i in 0..<400 {
            let c = try RawClient(port: server.port)
            if i % 2 == 1 { c.send([0x16, 0x03, 0x01, 0x02, 0x00] + [UInt8](repeating: 1, count: 20)) }
            stalled.append(c)
        }
        #expect(waitUntil { server.handshaking.withLock { $0 } == 400 })
        let t0 = Monotonic.now()
        let r = try runPeer("echo", port: server.port, caFile: ca, ["1000"])
        let seconds = Double(Monotonic.now() - t0) / 1e9
        #expect(r.succeeded, "\(r.output)")
        #expect(seconds < 10)
        #expect(server.handshaking.withLock { $0 } == 400)
        withExtendedLifetime(stalled) {}
    }

    /// A client that closes in the middle of a record: the server logs a truncation and goes
    /// on serving.
    @Test func aConnectionClosedMidRecordIsATruncation() throws {
        defer { server.stop() }
        let r = try runPeer("truncate", port: server.port, caFile: ca)
        #expect(r.succeeded, "\(r.output)")
        #expect(waitUntil { server.snapshot.contains(.closed(.endOfFileWithoutCloseNotify)) }, "\(server.snapshot)")
        #expect(try runPeer("echo", port: server.port, caFile: ca, ["1000"]).succeeded)
    }

    /// One record per read and a read buffer far smaller than the records: most of every
    /// message waits inside OpenSSL with no edge to come; the re-run list must deliver it.
    @Test func bytesBufferedInsideOpenSSLAreDrainedWithoutNewEdges() throws {
        server.stop()
        let small = try TLSEchoServer(
            context: try ReloadableTLSContext(credentials: credentials), readChunk: 7, readsPerEvent: 1)
        defer { small.stop() }
        let r = try runPeer("echo", port: small.port, caFile: ca, ["200000"])
        #expect(r.succeeded, "\(r.output)")
    }
}
