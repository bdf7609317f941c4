// TLS listeners end to end (issue 12): a real daemon with a framed and a framed+tls listener,
// plain and TLS clients in the same rooms, hostile TLS clients, the handshake limits, and a
// certificate reload.

@testable import ChatDaemon
import EventLoop
import Glibc
import TLS
import Testing

@Suite("E2E TLS") struct E2ETLSTests {
    /// A daemon with a plain and a TLS framed listener on loopback.
    static func daemon(_ credentials: TLSCredentials, _ configure: (inout ChatConfig) -> Void = { _ in }) throws -> E2EDaemon {
        try E2EDaemon { c in
            c.listen = [ListenAddress(host: "127.0.0.1", port: 0), ListenAddress(host: "127.0.0.1", port: 0, tls: true)]
            c.tlsCert = credentials.certificateChainPath
            c.tlsKey = credentials.privateKeyPath
            configure(&c)
        }
    }

    static func trusting(_ c: TLSCredentials) throws -> TLSClientContext {
        try TLSClientContext(trust: .file(c.certificateChainPath))
    }

    @Test func plainAndTLSClientsChatInOneRoom() throws {
        let creds = try E2ECertificates.make("e2e-room")
        let d = try Self.daemon(creds)
        defer { d.stop() }
        let tlsPort = try #require(d.server.port(for: .framed, tls: true))
        #expect(tlsPort != d.port)
        let bob = try E2EClient.login(port: d.port, name: "bob")
        let alice = try E2EClient.login(port: tlsPort, name: "alice", tls: try Self.trusting(creds))
        try alice.send(frame: "hello over TLS")
        #expect(bob.receiveUntil(Msg("alice", "hello over TLS")) != nil)
        try bob.send(frame: "hi alice")
        #expect(alice.receiveUntil(Msg("bob", "hi alice")) != nil)
        // A message of several TLS records, and a burst of small ones packed into few.
        let big = String(repeating: "0123456789abcdef", count: 4000)
        try bob.send(frame: big)
        #expect(alice.receiveUntil(Msg("bob", big)) != nil)
        let many = (0..<500).map { "small \($0)" }
        try bob.send(frames: many)
        #expect(alice.receive(count: 500)?.map(\.text) == many)
        // /quit: the goodbye arrives, then close_notify and the end of the connection.
        try alice.send(frame: "/quit")
        #expect(alice.expectClosed())
        #expect(alice.partial.contains(.notice("bye")))
        d.expectHealthy()
    }

    /// The tutorial's framing from Python's ssl module, with certificate verification.
    @Test func pythonTutorialClientOverTLS() throws {
        let creds = try E2ECertificates.make("e2e-python")
        let d = try Self.daemon(creds)
        defer { d.stop() }
        let tlsPort = try #require(d.server.port(for: .framed, tls: true))
        let bob = try E2EClient.login(port: d.port, name: "bob")
        let script = "\(#filePath)".replacing("ChatDaemonTests/E2ETLSTests.swift", with: "system/tls_chat.py")
        let log = E2ECertificates.path("python-\(getpid()).log")
        let python = try ChildProcess(
            ["/usr/bin/env", "python3", script, "\(tlsPort)", creds.certificateChainPath, "pyclient", "hi from python", "bob", "hi python"],
            logPath: log)
        #expect(bob.receiveUntil(Msg("pyclient", "hi from python"), timeout: 10) != nil)
        try bob.send(frame: "hi python")
        let status = python.wait(timeout: 15)
        if status == nil { python.terminate() }
        #expect(status == 0, "\(python.log)")
        #expect(python.log.contains("OK TLSv1.3"))
    }

    /// Plaintext, garbage and an HTTP request on the TLS port are closed; the daemon serves on.
    @Test func nonTLSClientsOnTheTLSPortAreClosed() throws {
        let creds = try E2ECertificates.make("e2e-hostile")
        let d = try Self.daemon(creds)
        defer { d.stop() }
        let tlsPort = try #require(d.server.port(for: .framed, tls: true))
        for bytes in [encodeFrame("mallory"), [UInt8](repeating: 0x41, count: 300), Array("GET / HTTP/1.1\r\n\r\n".utf8)] {
            let c = try E2EClient(port: tlsPort)
            c.sendRaw(bytes)
            #expect(c.expectClosed(), "the daemon kept a non-TLS client open")
        }
        let alice = try E2EClient.login(port: tlsPort, name: "alice", tls: try Self.trusting(creds))
        try alice.sync()
        d.expectHealthy()
    }

    /// 1,000 clients stall in their TLS handshake: a real client still logs in and chats at
    /// once, and --handshake-timeout closes the stalled ones.
    @Test func stalledHandshakesCostOthersNothingAndTimeOut() throws {
        let creds = try E2ECertificates.make("e2e-stall")
        let d = try Self.daemon(creds) { $0.handshakeTimeout = 2; $0.tlsMaxHandshakes = 1000 }
        defer { d.stop() }
        let tlsPort = try #require(d.server.port(for: .framed, tls: true))
        var stalled: [E2EClient] = []
        for i in 0..<1000 {
            let c = try E2EClient(port: tlsPort)
            // Half of them stop inside a ClientHello record.
            if i % 2 == 1 { c.sendRaw([0x16, 0x03, 0x01, 0x02, 0x00] + [UInt8](repeating: 1, count: 20)) }
            stalled.append(c)
        }
        let t0 = e2eNow()
        let alice = try E2EClient.login(port: tlsPort, name: "alice", tls: try Self.trusting(creds))
        let bob = try E2EClient.login(port: d.port, name: "bob")
        try bob.send(frame: "still here?")
        #expect(alice.receiveUntil(Msg("bob", "still here?")) != nil)
        #expect(e2eNow() - t0 < 2, "a stalled handshake delayed a real client")
        // All closed by the handshake timeout (2 s), not left open.
        for c in stalled { #expect(c.expectClosed(timeout: 10)) }
        try alice.sync()
    }

    /// --tls-max-handshakes: with one loop and a limit of 2, a third handshake is refused at
    /// accept while two stall; once they are gone, TLS clients get in again.
    @Test func handshakeLimitPerLoop() throws {
        let creds = try E2ECertificates.make("e2e-limit")
        let d = try Self.daemon(creds) { $0.threads = 1; $0.tlsMaxHandshakes = 2 }
        defer { d.stop() }
        let tlsPort = try #require(d.server.port(for: .framed, tls: true))
        let stalled = try (0..<2).map { _ in try E2EClient(port: tlsPort) }
        try E2EClient.login(port: d.port, name: "sync").sync()  // the loop has accepted both
        #expect(throws: E2EError.self) { try E2EClient(port: tlsPort, tls: try Self.trusting(creds)) }
        for c in stalled { c.close() }
        var admitted: E2EClient?
        let deadline = e2eNow() + 5
        while admitted == nil && e2eNow() < deadline {
            admitted = try? E2EClient.login(port: tlsPort, name: "late", tls: try Self.trusting(creds))
            if admitted == nil { e2eSleep(0.05) }
        }
        #expect(admitted != nil)
    }

    /// Reload: new handshakes get the new certificate, open TLS connections keep theirs, and a
    /// bad file keeps the previous certificate serving.
    @Test func certificateReload() throws {
        let live = TLSCredentials(certificateChainPath: E2ECertificates.path("live-\(getpid()).crt"),
                                  privateKeyPath: E2ECertificates.path("live-\(getpid()).key"))
        try E2ECertificates.install(try E2ECertificates.make("e2e-first"), as: live)
        let d = try Self.daemon(live)
        defer { d.stop() }
        let tlsPort = try #require(d.server.port(for: .framed, tls: true))
        let trustAll = try TLSClientContext(trust: .insecure)

        func subject() throws -> String {
            let c = try E2EClient(port: tlsPort, tls: trustAll)
            defer { c.close() }
            return c.peerSubject
        }
        let early = try E2EClient.login(port: tlsPort, name: "early", tls: trustAll)
        #expect(try subject().contains("O=e2e-first"))

        // A key that does not match the certificate: refused, the old certificate stays.
        try E2ECertificates.install(
            TLSCredentials(certificateChainPath: try E2ECertificates.make("e2e-second").certificateChainPath,
                           privateKeyPath: try E2ECertificates.make("e2e-first").privateKeyPath), as: live)
        d.server.reloadTLS(d.config)
        #expect(try subject().contains("O=e2e-first"))

        try E2ECertificates.install(try E2ECertificates.make("e2e-second"), as: live)
        d.server.reloadTLS(d.config)
        #expect(try subject().contains("O=e2e-second"))
        #expect(early.peerSubject.contains("O=e2e-first"))
        try early.sync()  // the connection from before the reloads still works
    }
}
