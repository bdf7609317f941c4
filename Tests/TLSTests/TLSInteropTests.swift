import EventLoop
import Glibc
import TLS
import Testing

/// Real TLS clients (Python's ssl module, `openssl s_client`) against the TLS module on the
/// project's EventLoop, over loopback.
@Suite("TLS interop")
struct TLSInteropTests {
    let credentials: TLSCredentials
    let server: TLSEchoServer

    init() throws {
        credentials = try TestCertificates.valid("interop")
        server = try TLSEchoServer(context: try ReloadableTLSContext(credentials: credentials))
    }

    var ca: String { credentials.certificateChainPath }

    @Test func pythonSSLEchoesSmallAndLargeMessages() throws {
        defer { server.stop() }
        let r = try runPeer("echo", port: server.port, caFile: ca, ["300000"])
        #expect(r.succeeded, "\(r.output)")
        #expect(r.output.hasPrefix("OK TLSv1.3"))
        #expect(waitUntil { server.snapshot.contains(.closed(.closeNotify)) }, "\(server.snapshot)")
    }

    @Test func opensslSClientEchoes() throws {
        defer { server.stop() }
        let r = try runPeer("sclient", port: server.port, caFile: ca)
        #expect(r.succeeded, "\(r.output)")
        #expect(server.snapshot.first == .established(version: "TLSv1.3", resumed: false))
    }

    @Test func sessionTicketsResume() throws {
        defer { server.stop() }
        let r = try runPeer("resume", port: server.port, caFile: ca)
        #expect(r.succeeded, "\(r.output)")
        #expect(waitUntil { server.snapshot.contains(.established(version: "TLSv1.3", resumed: true)) })
    }

    /// s_client is told to offer only the old version, with its own security level lowered so
    /// that it really sends that ClientHello: the refusal must come from the server.
    @Test(arguments: ["-tls1", "-tls1_1"])
    func oldProtocolVersionsAreRefused(flag: String) throws {
        defer { server.stop() }
        let r = try Subprocess.run([
            "openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", flag, "-cipher", "DEFAULT@SECLEVEL=0",
        ])
        #expect(!r.succeeded)
        #expect(waitUntil { !server.snapshot.isEmpty })
        #expect(server.snapshot == [.handshakeFailed(.protocolError("unsupported protocol"))], "\(r.output)")
        // The server still serves a modern client.
        #expect(try runPeer("echo", port: server.port, caFile: ca, ["1000"]).succeeded)
    }
}
