import COpenSSL
import EventLoop
import Glibc
import TLS

/// A TLS client written directly against OpenSSL, for in-process tests that need to control
/// both ends byte by byte (the interop tests use real external clients instead).
final class TestTLSClient {
    let ctx: OpaquePointer
    let ssl: OpaquePointer
    let fd: CInt

    /// `trusting`: the certificate file to verify the server against (nil: no verification).
    init(fd: CInt, trusting caFile: String? = nil, maxVersion: CInt = TLS1_3_VERSION) throws {
        ctx = SSL_CTX_new(TLS_client_method())!
        _ = chatd_ssl_ctx_set_max_proto_version(ctx, maxVersion)
        if let caFile {
            guard SSL_CTX_load_verify_locations(ctx, caFile, nil) == 1 else { throw TestFailure("load CA \(caFile)") }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
        ssl = SSL_new(ctx)!
        SSL_set_fd(ssl, fd)
        SSL_set_connect_state(ssl)
        self.fd = fd
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(ctx)
    }

    /// 1 = done, 0 = wants I/O, -1 = failed.
    func handshakeStep() -> Int {
        ERR_clear_error()
        let r = SSL_do_handshake(ssl)
        if r == 1 { return 1 }
        let e = SSL_get_error(ssl, r)
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1
    }

    /// Writes all of `bytes` as records of at most `recordSize` plaintext bytes each; the
    /// socket must have room (tests size their data below the socket buffer or pump reads).
    func writeAll(_ bytes: [UInt8], recordSize: Int = 16384) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(recordSize, bytes.count - offset)
            let r = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, CInt(n)) }
            if r <= 0 {
                let e = SSL_get_error(ssl, r)
                if e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ { usleep(1000); continue }
                throw TestFailure("client SSL_write failed: \(e)")
            }
            offset += Int(r)
        }
    }

    /// Reads whatever is available now (until WANT_READ); nil once the server closed.
    func readAvailable() -> [UInt8]? {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            let r = buf.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, CInt($0.count)) }
            if r > 0 { out += buf[0..<Int(r)]; continue }
            let e = SSL_get_error(ssl, r)
            if e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE { return out }
            ERR_clear_error()
            return out.isEmpty ? nil : out
        }
    }

    /// The subject of the certificate the server presented.
    var peerSubject: String {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return "" }
        defer { X509_free(cert) }
        guard let text = X509_NAME_oneline(X509_get_subject_name(cert), nil, 0) else { return "" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }

    /// Ciphertext bytes the client has read from the socket so far.
    var bytesReceived: UInt64 { BIO_number_read(SSL_get_rbio(ssl)) }

    func sendCloseNotify() { _ = SSL_shutdown(ssl) }
}

/// A server `TLSConnection` and a `TestTLSClient` on the two ends of a loopback TCP connection,
/// both non-blocking, driven step by step in the test's own thread.
final class TLSPair {
    let client: TestTLSClient
    let server: TLSConnection
    private(set) var clientFD: CInt
    let serverFD: CInt

    init(context: TLSContext, trusting caFile: String? = nil, serverSendBuffer: Int? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        let listener = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        defer { Posix.close(listener) }
        let (fd, _) = try Socket.connect(try SocketAddress(host: "127.0.0.1", port: try Socket.localAddress(listener).port))
        clientFD = fd
        var accepted: CInt = -1
        guard waitUntil(seconds: 5, {
            if case .processed(let a)? = try? Socket.accept(listener) { accepted = a.fd }
            return accepted >= 0
        }) else { throw TestFailure("accept timed out") }
        serverFD = accepted
        if let serverSendBuffer { try Posix.setOption(serverFD, SOL_SOCKET, SO_SNDBUF, CInt(serverSendBuffer)) }
        server = try TLSConnection(context: context, fd: serverFD)
        client = try TestTLSClient(fd: clientFD, trusting: caFile)
    }

    deinit {
        if clientFD >= 0 { Posix.close(clientFD) }
        Posix.close(serverFD)
    }

    /// The client crashes: close with SO_LINGER 0, which sends RST.
    func resetClient() {
        Socket.setLingerZero(clientFD)
        Posix.close(clientFD)
        clientFD = -1
    }

    /// Runs both handshakes to completion; returns the server's final result.
    @discardableResult
    func handshake() throws -> TLSHandshakeResult {
        var serverResult = TLSHandshakeResult.wantRead
        var clientDone = false
        let ok = waitUntil(seconds: 5) {
            if !clientDone {
                let c = client.handshakeStep()
                if c < 0 { return true }
                clientDone = c == 1
            }
            if serverResult == .wantRead || serverResult == .wantWrite { serverResult = server.handshake() }
            if case .failed = serverResult { return true }
            return clientDone && serverResult == .established
        }
        guard ok else { throw TestFailure("handshake did not finish: server \(serverResult)") }
        return serverResult
    }

    /// Server-side reads until `.wantRead` or close, `chunk` bytes at a time.
    func serverReadAll(chunk: Int = 16384) -> (bytes: [UInt8], end: TLSIOResult) {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: chunk)
        while true {
            let r = buf.withUnsafeMutableBytes { server.read(into: $0) }
            guard case .bytes(let n) = r else { return (out, r) }
            out += buf[0..<n]
        }
    }
}
