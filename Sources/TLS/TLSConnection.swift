import COpenSSL
import EventLoop

/// How far a server handshake got.
public enum TLSHandshakeResult: Equatable, Sendable {
    case established
    /// Call `handshake()` again once the socket is readable / writable.
    case wantRead
    case wantWrite
    case failed(TLSCloseReason)
}

/// The outcome of one `read` or `write`.
public enum TLSIOResult: Equatable, Sendable {
    /// Plaintext bytes read into the buffer, or taken from it and sent.
    case bytes(Int)
    /// The socket would block; retry once it is readable / writable. A read may want write (a
    /// TLS 1.3 key update must be answered) and a write may want read: see `retry`.
    case wantRead
    case wantWrite
    case closed(TLSCloseReason)
}

/// One TLS session (server side, or client side for chatd-client and chatd-bench) over a
/// non-blocking socket the caller owns (and closes): a
/// state machine that returns what happened and what it waits for, and never touches epoll.
///
/// OpenSSL does the socket reads and writes itself (SSL_set_fd(3)), as in Redis's `tls.c` and
/// nginx's `ngx_event_openssl.c`, rather than through EventLoop's `Posix` wrapper by way of a
/// custom BIO: kTLS only works on OpenSSL's own socket BIO, and the wrapper's contract (EINTR
/// retried, EAGAIN a value, errors reported) is what OpenSSL's socket BIO already provides,
/// surfacing here as `.wantRead`/`.wantWrite` and `.closed(.socket(errno))`. A non-blocking
/// read(2)/write(2) never sleeps, so EINTR does not arise. The process must ignore SIGPIPE
/// (the daemon does): the socket BIO writes with write(2), not send(MSG_NOSIGNAL).
///
/// Edge-triggered epoll (epoll(7)): after a read that returned bytes, OpenSSL may still hold
/// decrypted or undecrypted records (read-ahead pulls several at once, and a small read
/// buffer leaves the rest of a record behind). No new edge will come for them, so a caller
/// that stops reading before `.wantRead` must re-run the read before its next epoll_wait
/// while `hasPending` is true (Redis's pending list, nginx's posted read event).
public final class TLSConnection {
    public enum State: Equatable, Sendable { case handshaking, established, closed }

    /// The largest plaintext of one TLS record (RFC 8446 §5.1: 2^14 bytes): the unit the
    /// gathered write packs per SSL_write, as nginx's `ssl_buffer_size` default.
    public static let maxRecordPlaintext = 16384

    @usableFromInline let ssl: OpaquePointer
    public let fd: CInt
    public private(set) var state: State = .handshaking
    /// The last read stopped on WANT_WRITE: re-run it when the socket becomes writable (Redis's
    /// TLS_CONN_FLAG_READ_WANT_WRITE).
    public private(set) var readWantsWrite = false
    /// The last write stopped on WANT_READ: re-run it when the socket becomes readable.
    public private(set) var writeWantsRead = false
    /// After SSL_ERROR_SYSCALL or SSL_ERROR_SSL no further call may be made on the session,
    /// not even SSL_shutdown (SSL_get_error(3), SSL_shutdown(3)).
    private var failed = false
    private var handshakeDone = false
    private var isClient = false
    private var closeNotifySent = false

    /// Starts a server session on `fd` (accepted, non-blocking) with `context`'s certificate.
    public init(context: TLSContext, fd: CInt) throws(TLSConfigurationError) {
        OpenSSLError.clear()
        guard let ssl = SSL_new(context.context) else {
            throw TLSConfigurationError("SSL_new: \(OpenSSLError.drain(fallback: "out of memory"))")
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSConfigurationError("SSL_set_fd: \(OpenSSLError.drain(fallback: "failed"))")
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.fd = fd
    }

    /// Starts a client session on `fd` (connected or connecting, non-blocking). Unless the
    /// context is `.insecure`, the server's certificate must be valid for `serverName` (a DNS
    /// name, also sent as SNI, or an IP address: RFC 6125 §6, RFC 6066 §3 forbids IP SNI).
    public init(client context: TLSClientContext, fd: CInt, serverName: String) throws(TLSConfigurationError) {
        OpenSSLError.clear()
        guard let ssl = SSL_new(context.context) else {
            throw TLSConfigurationError("SSL_new: \(OpenSSLError.drain(fallback: "out of memory"))")
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw TLSConfigurationError("SSL_set_fd: \(OpenSSLError.drain(fallback: "failed"))")
        }
        let isAddress = serverName.contains(":") || serverName.allSatisfy { $0 == "." || $0.isNumber }
        var ok = true
        if isAddress {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1
        } else {
            ok = chatd_ssl_set_sni(ssl, serverName) == 1 && SSL_set1_host(ssl, serverName) == 1
        }
        guard ok else {
            SSL_free(ssl)
            throw TLSConfigurationError("invalid server name '\(serverName)'")
        }
        SSL_set_connect_state(ssl)
        self.ssl = ssl
        self.fd = fd
        isClient = true
    }

    deinit { SSL_free(ssl) }

    /// Drives the handshake as far as the socket allows. Call again on the readiness it asks
    /// for; the caller bounds the total time (a client that stalls mid-handshake).
    public func handshake() -> TLSHandshakeResult {
        guard state == .handshaking else { return state == .established ? .established : .failed(.closeNotify) }
        OpenSSLError.clear()
        chatd_tls_clear_errno()
        let r = SSL_do_handshake(ssl)
        let sysErrno = chatd_tls_errno()
        if r == 1 {
            state = .established
            handshakeDone = true
            return .established
        }
        switch outcome(r, sysErrno) {
        case .wantRead: return .wantRead
        case .wantWrite: return .wantWrite
        case .closed(let reason):
            // A client's "certificate verify failed" says which check failed (expired, self-
            // signed, wrong host name: SSL_get_verify_result(3)).
            let verify = SSL_get_verify_result(ssl)
            if isClient && verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
                return .failed(.protocolError("certificate verify failed: \(String(cString: text))"))
            }
            return .failed(reason)
        case .bytes: return .failed(.protocolError("handshake returned \(r)"))
        }
    }

    /// Decrypts at most one record's worth into `buffer` (SSL_read(3)).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        guard state == .established else { return .closed(.closeNotify) }
        guard buffer.count > 0 else { return .bytes(0) }
        OpenSSLError.clear()
        chatd_tls_clear_errno()
        let r = SSL_read(ssl, buffer.baseAddress, CInt(clamping: buffer.count))
        let sysErrno = chatd_tls_errno()
        if r > 0 {
            readWantsWrite = false
            return .bytes(Int(r))
        }
        let result = outcome(r, sysErrno)
        readWantsWrite = result == .wantWrite
        return result
    }

    /// Encrypts and sends from `bytes` (SSL_write(3) with partial writes: returns once a record
    /// is out, so `.bytes(n)` may be less than `bytes.count`). After `.wantRead`/`.wantWrite`
    /// the next write must start with the same bytes and be at least as long (the context's
    /// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them live at a different address).
    public func write(_ bytes: UnsafeRawBufferPointer) -> TLSIOResult {
        guard state == .established else { return .closed(.closeNotify) }
        guard bytes.count > 0 else { return .bytes(0) }
        OpenSSLError.clear()
        chatd_tls_clear_errno()
        let r = SSL_write(ssl, bytes.baseAddress, CInt(clamping: bytes.count))
        let sysErrno = chatd_tls_errno()
        if r > 0 {
            writeWantsRead = false
            return .bytes(Int(r))
        }
        let result = outcome(r, sysErrno)
        writeWantsRead = result == .wantRead
        return result
    }

    /// Whether OpenSSL holds bytes read from the socket and not yet returned by `read`
    /// (SSL_has_pending(3), not SSL_pending: with read-ahead, whole records can wait while
    /// SSL_pending is 0).
    @inlinable public var hasPending: Bool { SSL_has_pending(ssl) == 1 }

    /// Which of the caller's operations an epoll edge should run (Redis's `tlsHandleEvent`):
    /// a writable edge also resumes a read that wanted write, a readable edge a write that
    /// wanted read.
    @inlinable
    public func retry(readable: Bool, writable: Bool) -> (read: Bool, write: Bool) {
        (readable || (writable && readWantsWrite), writable || (readable && writeWantsRead))
    }

    /// Sends close_notify if the session is intact (one attempt: a full socket just loses it,
    /// which the peer sees as `endOfFileWithoutCloseNotify`), and ends the session. The caller
    /// closes the fd.
    public func shutdown() {
        // Also after the peer's close_notify (state already .closed): answering it completes
        // the closure (RFC 8446 §6.1), and a peer waiting in its own shutdown gets its reply.
        if handshakeDone && !failed && !closeNotifySent {
            closeNotifySent = true
            OpenSSLError.clear()
            _ = SSL_shutdown(ssl)
            OpenSSLError.clear()
        }
        state = .closed
    }

    /// "TLSv1.3".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }
    /// "TLS_AES_256_GCM_SHA384".
    public var cipher: String {
        guard let c = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(c) else { return "" }
        return String(cString: name)
    }
    /// The subject of the peer's certificate (a client sees the server's), "" when none.
    public var peerSubject: String {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return "" }
        defer { X509_free(cert) }
        guard let name = X509_get_subject_name(cert), let text = X509_NAME_oneline(name, nil, 0) else { return "" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }
    /// Whether a previous session was resumed (a ticket was accepted).
    public var sessionReused: Bool { SSL_session_reused(ssl) == 1 }
    /// Whether the kernel does the record layer (kTLS) for each direction on this socket.
    public var kernelTLS: (send: Bool, receive: Bool) {
        (chatd_bio_ktls_send(SSL_get_wbio(ssl)) == 1, chatd_bio_ktls_recv(SSL_get_rbio(ssl)) == 1)
    }

    /// Maps a failed SSL_* return to a value (SSL_get_error(3)).
    private func outcome(_ r: CInt, _ sysErrno: CInt) -> TLSIOResult {
        let code = SSL_get_error(ssl, r)
        let result: TLSIOResult
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            OpenSSLError.clear()
            result = .closed(.closeNotify)
        case SSL_ERROR_SYSCALL:
            failed = true
            OpenSSLError.clear()
            result = .closed(sysErrno != 0 ? .socket(Errno(sysErrno, function: "TLS socket")) : .endOfFileWithoutCloseNotify)
        case SSL_ERROR_SSL:
            failed = true
            if OpenSSLError.peekReason() == chatd_ssl_r_unexpected_eof() {
                OpenSSLError.clear()
                result = .closed(.endOfFileWithoutCloseNotify)
            } else {
                result = .closed(.protocolError(OpenSSLError.drain(fallback: "protocol error")))
            }
        default:
            failed = true
            result = .closed(.protocolError(OpenSSLError.drain(fallback: "SSL_get_error \(code)")))
        }
        state = .closed
        return result
    }
}
