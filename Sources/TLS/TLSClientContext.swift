import COpenSSL

/// A client-side OpenSSL context (chatd-client, chatd-bench): TLS 1.2 minimum and a trust
/// policy. Host name verification is per connection (`TLSConnection(client:fd:serverName:)`).
public final class TLSClientContext: @unchecked Sendable {
    // @unchecked Sendable: configured only in init, as TLSContext.
    public enum Trust: Equatable, Sendable {
        /// The system CA store (SSL_CTX_set_default_verify_paths(3): /etc/ssl/certs on Debian).
        case system
        /// Only the CA certificates in this PEM file (a private CA, a self-signed server).
        case file(String)
        /// No verification at all: for self-signed test setups only. The connection is
        /// encrypted but anyone in the path can impersonate the server.
        case insecure
    }

    let context: OpaquePointer
    public let trust: Trust

    public init(trust: Trust) throws(TLSConfigurationError) {
        OpenSSLError.clear()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw TLSConfigurationError("SSL_CTX_new: \(OpenSSLError.drain(fallback: "out of memory"))")
        }
        _ = chatd_ssl_ctx_set_min_proto_version(ctx, TLS1_2_VERSION)
        _ = chatd_ssl_ctx_set_mode(ctx, chatd_ssl_mode_partial_write() | chatd_ssl_mode_moving_buffer())
        switch trust {
        case .system:
            if SSL_CTX_set_default_verify_paths(ctx) != 1 {
                let why = OpenSSLError.drain(fallback: "failed")
                SSL_CTX_free(ctx)
                throw TLSConfigurationError("cannot load the system CA store: \(why)")
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        case .file(let path):
            if SSL_CTX_load_verify_locations(ctx, path, nil) != 1 {
                let why = OpenSSLError.drain(fallback: "no certificates in file")
                SSL_CTX_free(ctx)
                throw TLSConfigurationError("cannot load CA file '\(path)': \(why)")
            }
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        case .insecure:
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        }
        context = ctx
        self.trust = trust
    }

    deinit { SSL_CTX_free(context) }
}
