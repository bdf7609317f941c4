import EventLoop

/// Why a TLS connection ended, for the log line and for tests that check the right thing was
/// refused ("unsupported protocol" for a TLS 1.0 client, not merely "closed").
public enum TLSCloseReason: Equatable, Sendable, CustomStringConvertible {
    /// The peer sent close_notify (RFC 8446 §6.1): an orderly end.
    case closeNotify
    /// TCP FIN without close_notify. Kept apart from `closeNotify` on purpose (the context does
    /// not set SSL_OP_IGNORE_UNEXPECTED_EOF): a truncation attack and a client that just closes
    /// its socket look the same on the wire, so the log says which one it was not.
    case endOfFileWithoutCloseNotify
    /// The socket failed (ECONNRESET, EPIPE, ...).
    case socket(Errno)
    /// OpenSSL refused what the peer sent: its reason string ("wrong version number" for
    /// plaintext or garbage, "unsupported protocol" for TLS 1.0/1.1, "http request", ...).
    case protocolError(String)

    public var description: String {
        switch self {
        case .closeNotify: "peer sent close_notify"
        case .endOfFileWithoutCloseNotify: "peer closed the connection without close_notify"
        case .socket(let e): "\(e)"
        case .protocolError(let text): "TLS error: \(text)"
        }
    }
}
