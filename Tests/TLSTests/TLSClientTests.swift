import EventLoop
import Glibc
import TLS
import Testing

/// The client side (what chatd-client --tls uses) against the echo server: trust policies,
/// host name checks and the errors a user reads.
@Suite("TLS client")
struct TLSClientTests {
    let credentials: TLSCredentials
    let server: TLSEchoServer

    init() throws {
        credentials = try TestCertificates.valid("client")
        server = try TLSEchoServer(context: try ReloadableTLSContext(credentials: credentials))
    }

    /// Connects and handshakes, polling the socket; returns the connection and the result.
    func handshake(_ trust: TLSClientContext.Trust, serverName: String) throws -> (TLSConnection, TLSHandshakeResult, CInt) {
        let context = try TLSClientContext(trust: trust)
        let (fd, _) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: server.port))
        let tls = try TLSConnection(client: context, fd: fd, serverName: serverName)
        var result = TLSHandshakeResult.wantWrite
        let finished = waitUntil {
            var p = pollfd(fd: fd, events: Int16(result == .wantRead ? POLLIN : POLLOUT), revents: 0)
            _ = poll(&p, 1, 10)
            result = tls.handshake()
            return result != .wantRead && result != .wantWrite
        }
        if !finished { throw TestFailure("client handshake stuck at \(result)") }
        return (tls, result, fd)
    }

    @Test func trustingTheCertificateFileVerifiesAndEchoes() throws {
        defer { server.stop() }
        for name in ["localhost", "127.0.0.1"] {
            let (tls, result, fd) = try handshake(.file(credentials.certificateChainPath), serverName: name)
            defer { Posix.close(fd) }
            #expect(result == .established, "as \(name)")
            #expect(Array("ping".utf8).withUnsafeBytes { tls.write($0) } == .bytes(4))
            var buf = [UInt8](repeating: 0, count: 16)
            var got: [UInt8] = []
            #expect(waitUntil {
                if case .bytes(let n) = buf.withUnsafeMutableBytes({ tls.read(into: $0) }) { got += buf[0..<n] }
                return got == Array("ping".utf8)
            })
        }
    }

    @Test func verificationFailuresSayWhy() throws {
        defer { server.stop() }
        let (_, selfSigned, fd1) = try handshake(.system, serverName: "localhost")
        defer { Posix.close(fd1) }
        #expect(selfSigned == .failed(.protocolError("certificate verify failed: self-signed certificate")))
        let (_, wrongHost, fd2) = try handshake(.file(credentials.certificateChainPath), serverName: "chat.example.org")
        defer { Posix.close(fd2) }
        #expect(wrongHost == .failed(.protocolError("certificate verify failed: hostname mismatch")))
    }

    @Test func insecureSkipsVerification() throws {
        defer { server.stop() }
        let (_, result, fd) = try handshake(.insecure, serverName: "chat.example.org")
        defer { Posix.close(fd) }
        #expect(result == .established)
    }

    @Test func aMissingCAFileIsAClearError() {
        #expect {
            try TLSClientContext(trust: .file("/nonexistent/ca.pem"))
        } throws: { "\($0)".contains("cannot load CA file '/nonexistent/ca.pem'") }
    }
}
