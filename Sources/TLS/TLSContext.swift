import COpenSSL
import Glibc

/// One immutable OpenSSL server context (SSL_CTX): certificate chain, key and policy. Every
/// connection takes a reference when it is created (SSL_new(3) up-refs the context), so
/// replacing the context on reload never disturbs open connections: they keep the one they
/// were accepted with, and it is freed when the last of them closes.
///
/// Policy (Mozilla server-side TLS "intermediate" profile, minus finite-field DHE):
/// - TLS 1.2 minimum, TLS 1.3 maximum: OpenSSL negotiates the highest both sides speak, so 1.3
///   is preferred without any server preference flag.
/// - TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 only (forward secrecy, AEAD).
///   Without DHE no DH parameters are needed. The client's order is honoured (no
///   SSL_OP_CIPHER_SERVER_PREFERENCE): every suite offered is strong, and a client without AES
///   hardware knows best that it wants ChaCha20.
/// - No renegotiation (SSL_OP_NO_RENEGOTIATION: a client could make the server redo the
///   expensive half of a handshake at will), no compression (CRIME; off by default in 3.0, set
///   anyway so a system openssl.cnf cannot turn it on).
/// - Session tickets on (stateless resumption: nothing is stored per client on the server), the
///   server-side session cache off, since tickets make it redundant and it would grow with the
///   number of clients. A reload makes new ticket keys: old tickets then fall back to a full
///   handshake, which is the safe outcome after a key change.
/// - SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: SSL_write reports
///   each record written, and a write that blocked may be retried from a different buffer
///   holding the same bytes (the loop's shared scratch buffer, re-gathered from the queue).
/// - SSL_MODE_RELEASE_BUFFERS: an idle connection gives its 16 KiB read and write buffers back
///   (what nginx does); chat connections are idle most of the time.
/// - Read-ahead: one read(2) takes as many records as the buffer holds instead of two reads
///   (header, body) per record. Records buffered this way raise no epoll edge: see
///   `TLSConnection.hasPending`.
/// - SSL_OP_IGNORE_UNEXPECTED_EOF is deliberately NOT set: a TCP FIN without close_notify stays
///   distinguishable (`TLSCloseReason.endOfFileWithoutCloseNotify`), so a truncation is logged
///   as such rather than looking like an orderly close. Either way the connection ends.
/// - SSL_OP_ENABLE_KTLS: where the kernel offers the `tls` ULP, OpenSSL hands the record layer
///   to it after the handshake (see `KernelTLS`); elsewhere it silently stays in user space.
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured only in init and never changed afterwards;
    // OpenSSL allows SSL_new on one context from many threads (its reference count is atomic).
    let context: OpaquePointer
    public let credentials: TLSCredentials
    /// The leaf certificate's subject and validity, for the start-up and reload log lines.
    public let subject: String
    public let notBefore: String
    public let notAfter: String

    public static let tls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    public static let tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    /// Loads and checks `credentials`. Throws, with the file and OpenSSL's reason, when a file is
    /// missing or unreadable, is not PEM, the key does not belong to the certificate, or the
    /// certificate is expired or not yet valid at `now` (seconds since the epoch): serving a
    /// certificate every client rejects is worse than keeping the previous one.
    public init(credentials: TLSCredentials, now: time_t = time(nil)) throws(TLSConfigurationError) {
        OpenSSLError.clear()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw TLSConfigurationError("SSL_CTX_new: \(OpenSSLError.drain(fallback: "out of memory"))")
        }
        do throws(TLSConfigurationError) {
            try Self.configure(ctx)
            let leaf = try Self.load(credentials, into: ctx)
            subject = Self.subjectText(leaf)
            notBefore = Self.timeText(X509_get0_notBefore(leaf))
            notAfter = Self.timeText(X509_get0_notAfter(leaf))
            var t = now
            if X509_cmp_time(X509_get0_notAfter(leaf), &t) < 0 {
                throw TLSConfigurationError(
                    "certificate '\(credentials.certificateChainPath)' (\(subject)) expired on \(notAfter)")
            }
            if X509_cmp_time(X509_get0_notBefore(leaf), &t) > 0 {
                throw TLSConfigurationError(
                    "certificate '\(credentials.certificateChainPath)' (\(subject)) is not valid before \(notBefore)")
            }
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        context = ctx
        self.credentials = credentials
    }

    deinit { SSL_CTX_free(context) }

    /// The lowest protocol version this context accepts (TLS1_2_VERSION = 0x0303).
    public var minimumProtocolVersion: Int { Int(chatd_ssl_ctx_get_min_proto_version(context)) }

    /// Whether SSL_OP_ENABLE_KTLS is set on the context (whether it is in use on a given
    /// connection is `TLSConnection.kernelTLS`).
    public var requestsKernelTLS: Bool { SSL_CTX_get_options(context) & chatd_ssl_op_enable_ktls() != 0 }

    private static func configure(_ ctx: OpaquePointer) throws(TLSConfigurationError) {
        func check(_ ok: Bool, _ what: String) throws(TLSConfigurationError) {
            if !ok { throw TLSConfigurationError("\(what): \(OpenSSLError.drain(fallback: "failed"))") }
        }
        try check(chatd_ssl_ctx_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, "setting TLS 1.2 as minimum")
        try check(chatd_ssl_ctx_set_max_proto_version(ctx, TLS1_3_VERSION) == 1, "setting TLS 1.3 as maximum")
        try check(SSL_CTX_set_cipher_list(ctx, tls12Ciphers) == 1, "TLS 1.2 cipher list")
        try check(SSL_CTX_set_ciphersuites(ctx, tls13Suites) == 1, "TLS 1.3 cipher suites")
        _ = SSL_CTX_set_options(
            ctx, chatd_ssl_op_no_compression() | chatd_ssl_op_no_renegotiation() | chatd_ssl_op_enable_ktls())
        _ = SSL_CTX_clear_options(ctx, chatd_ssl_op_no_ticket() | chatd_ssl_op_ignore_unexpected_eof())
        _ = chatd_ssl_ctx_set_mode(
            ctx, chatd_ssl_mode_partial_write() | chatd_ssl_mode_moving_buffer() | chatd_ssl_mode_release_buffers())
        _ = chatd_ssl_ctx_set_session_cache_off(ctx)
        chatd_ssl_ctx_set_read_ahead(ctx, 1)
    }

    /// Returns the leaf certificate (owned by the context).
    private static func load(_ c: TLSCredentials, into ctx: OpaquePointer) throws(TLSConfigurationError) -> OpaquePointer {
        // OpenSSL's "system library" reason for a missing file is only "No such file or
        // directory" without the name; the path goes into every message.
        if SSL_CTX_use_certificate_chain_file(ctx, c.certificateChainPath) != 1 {
            throw TLSConfigurationError(
                "cannot load certificate chain '\(c.certificateChainPath)': \(OpenSSLError.drain(fallback: "unknown error"))")
        }
        if SSL_CTX_use_PrivateKey_file(ctx, c.privateKeyPath, SSL_FILETYPE_PEM) != 1 {
            // OpenSSL checks the key against the certificate while loading it.
            if OpenSSLError.peekReason() == X509_R_KEY_VALUES_MISMATCH {
                OpenSSLError.clear()
                throw TLSConfigurationError(
                    "private key '\(c.privateKeyPath)' does not match certificate '\(c.certificateChainPath)'")
            }
            throw TLSConfigurationError(
                "cannot load private key '\(c.privateKeyPath)': \(OpenSSLError.drain(fallback: "unknown error"))")
        }
        if SSL_CTX_check_private_key(ctx) != 1 {
            throw TLSConfigurationError(
                "private key '\(c.privateKeyPath)' does not match certificate '\(c.certificateChainPath)': "
                    + OpenSSLError.drain(fallback: "key values mismatch"))
        }
        guard let leaf = SSL_CTX_get0_certificate(ctx) else {
            throw TLSConfigurationError("certificate chain '\(c.certificateChainPath)' holds no certificate")
        }
        return leaf
    }

    private static func subjectText(_ cert: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(cert), let text = X509_NAME_oneline(name, nil, 0) else { return "?" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }

    /// "2026-12-01 03:00:00 UTC".
    static func timeText(_ t: UnsafePointer<ASN1_TIME>?) -> String {
        var tm = Glibc.tm()
        guard let t, ASN1_TIME_to_tm(t, &tm) == 1 else { return "?" }
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday)) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) UTC"
    }
}
