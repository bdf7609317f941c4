import COpenSSL
import EventLoop
import Glibc
@testable import TLS
import Testing

/// The per-connection state machine against an in-process OpenSSL client over loopback TCP.
@Suite("TLSConnection")
struct TLSConnectionTests {
    let credentials: TLSCredentials
    let context: TLSContext

    init() throws {
        credentials = try TestCertificates.valid("conn")
        context = try TLSContext(credentials: credentials)
    }

    @Test func handshakeNegotiatesTLS13AndVerifiesAgainstTheCertificate() throws {
        let pair = try TLSPair(context: context, trusting: credentials.certificateChainPath)
        #expect(try pair.handshake() == .established)
        #expect(pair.server.state == .established)
        #expect(pair.server.protocolVersion == "TLSv1.3")
        #expect(TLSContext.tls13Suites.split(separator: ":").contains(Substring(pair.server.cipher)))
        #expect(pair.client.peerSubject.contains("O=conn"))
    }

    @Test func echoRoundTripThroughTheStateMachine() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        try pair.client.writeAll(Array("hello over TLS".utf8))
        var got: [UInt8] = []
        #expect(waitUntil { got += pair.serverReadAll().bytes; return got.count == 14 })
        #expect(String(decoding: got, as: UTF8.self) == "hello over TLS")
        let reply = Array("back".utf8)
        #expect(reply.withUnsafeBytes { pair.server.write($0) } == .bytes(4))
        var echoed: [UInt8] = []
        #expect(waitUntil { echoed += pair.client.readAvailable() ?? []; return echoed == reply })
    }

    /// With read-ahead, one read(2) pulls several records into OpenSSL; after returning the
    /// first, SSL_pending is 0 (nothing decrypted is left) while whole records wait. The socket
    /// is empty, so edge-triggered epoll will never report them: only `hasPending` tells.
    @Test func hasPendingSeesRecordsThatSSLPendingMisses() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        let records = (0..<5).map { i in [UInt8](repeating: UInt8(65 + i), count: 100) }
        for r in records { try pair.client.writeAll(r) }
        // All five records are in the server's socket buffer before the first read.
        #expect(waitUntil { socketBytesQueued(pair.serverFD) >= 5 * 100 })
        var buf = [UInt8](repeating: 0, count: 100)
        #expect(buf.withUnsafeMutableBytes { pair.server.read(into: $0) } == .bytes(100))
        #expect(buf == records[0])
        #expect(socketBytesQueued(pair.serverFD) == 0)     // the socket has nothing more: no edge
        #expect(pair.server.hasPending)
        #expect(SSL_pending(serverSSL(pair.server)) == 0)  // why SSL_pending would be wrong here
        var rest: [UInt8] = []
        while pair.server.hasPending {
            guard case .bytes(let n) = buf.withUnsafeMutableBytes({ pair.server.read(into: $0) }) else { break }
            rest += buf[0..<n]
        }
        #expect(rest == Array(records[1...].joined()))
        #expect(buf.withUnsafeMutableBytes { pair.server.read(into: $0) } == .wantRead)
    }

    /// A read buffer smaller than the record leaves the rest decrypted inside OpenSSL.
    @Test func hasPendingAfterAShortReadBuffer() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        let record = [UInt8]((0..<1000).map { UInt8(truncatingIfNeeded: $0) })
        try pair.client.writeAll(record)
        #expect(waitUntil { socketBytesQueued(pair.serverFD) >= 1000 })
        var small = [UInt8](repeating: 0, count: 10)
        #expect(small.withUnsafeMutableBytes { pair.server.read(into: $0) } == .bytes(10))
        #expect(pair.server.hasPending)
        let (rest, end) = pair.serverReadAll(chunk: 10)
        #expect(small + rest == record)
        #expect(end == .wantRead)
        #expect(!pair.server.hasPending)
    }

    @Test func closeReasonsAreTold() throws {
        do {  // close_notify, then FIN
            let pair = try TLSPair(context: context)
            try pair.handshake()
            pair.client.sendCloseNotify()
            var end = TLSIOResult.wantRead
            #expect(waitUntil { end = pair.serverReadAll().end; return end != .wantRead })
            #expect(end == .closed(.closeNotify))
        }
        do {  // FIN without close_notify
            let pair = try TLSPair(context: context)
            try pair.handshake()
            shutdown(pair.clientFD, Int32(SHUT_WR))
            var end = TLSIOResult.wantRead
            #expect(waitUntil { end = pair.serverReadAll().end; return end != .wantRead })
            #expect(end == .closed(.endOfFileWithoutCloseNotify))
        }
        do {  // FIN in the middle of a record: a truncation
            let pair = try TLSPair(context: context)
            try pair.handshake()
            let partial: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x40] + [UInt8](repeating: 7, count: 20)
            _ = partial.withUnsafeBytes { Glibc.write(pair.clientFD, $0.baseAddress, $0.count) }
            shutdown(pair.clientFD, Int32(SHUT_WR))
            var end = TLSIOResult.wantRead
            #expect(waitUntil { end = pair.serverReadAll().end; return end != .wantRead })
            #expect(end == .closed(.endOfFileWithoutCloseNotify))
        }
        do {  // RST
            let pair = try TLSPair(context: context)
            try pair.handshake()
            pair.resetClient()
            var end = TLSIOResult.wantRead
            #expect(waitUntil { end = pair.serverReadAll().end; return end != .wantRead })
            #expect(end == .closed(.socket(Errno(ECONNRESET))))
        }
        do {  // a forged record: the MAC check fails
            let pair = try TLSPair(context: context)
            try pair.handshake()
            let forged: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 7, count: 32)
            _ = forged.withUnsafeBytes { Glibc.write(pair.clientFD, $0.baseAddress, $0.count) }
            var end = TLSIOResult.wantRead
            #expect(waitUntil { end = pair.serverReadAll().end; return end != .wantRead })
            #expect(end == .closed(.protocolError("decryption failed or bad record mac")))
        }
    }

    @Test func aClosedSessionRefusesFurtherIOAndShutdownIsSafe() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        pair.resetClient()
        #expect(waitUntil { pair.serverReadAll().end != .wantRead })
        #expect(pair.server.state == .closed)
        #expect([UInt8](repeating: 1, count: 4).withUnsafeBytes { pair.server.write($0) } == .closed(.closeNotify))
        pair.server.shutdown()  // after a fatal error: must not call SSL_shutdown (no crash, no send)
        #expect(pair.server.state == .closed)
    }

    @Test func kernelTLSStateMatchesTheProbe() throws {
        let pair = try TLSPair(context: context)
        try pair.handshake()
        #expect(context.requestsKernelTLS)
        let probe = KernelTLS.probe()
        if case .unknown(let e) = probe { Issue.record("kTLS probe failed: \(e)") }
        // Where the kernel has no tls ULP, OpenSSL must have stayed in user space: the fallback
        // is what this machine exercises (and the data above flowed through it).
        if probe == .unavailable {
            #expect(pair.server.kernelTLS.send == false)
            #expect(pair.server.kernelTLS.receive == false)
        }
    }
}

/// Bytes waiting in a socket's receive queue (FIONREAD, socket(7) SIOCINQ).
func socketBytesQueued(_ fd: CInt) -> Int {
    var n: CInt = 0
    _ = ioctl(fd, UInt(FIONREAD), &n)
    return Int(n)
}

/// The SSL* behind a TLSConnection, for assertions about OpenSSL itself.
func serverSSL(_ c: TLSConnection) -> OpaquePointer { c.ssl }
