import COpenSSL
import Glibc

/// OpenSSL's per-thread error queue (ERR_get_error(3)) as text. Every SSL_* call that can fail
/// is preceded by `clear()`, so whatever is queued afterwards belongs to that call: a stale
/// entry would make SSL_get_error(3) misreport the next connection handled on this thread.
enum OpenSSLError {
    static func clear() { ERR_clear_error() }

    /// The reason string of the first queued error ("wrong version number", "unsupported
    /// protocol"), then empties the queue. `fallback` when the queue is empty.
    static func drain(fallback: String) -> String {
        let first = ERR_get_error()
        ERR_clear_error()
        guard first != 0 else { return fallback }
        if chatd_err_is_system(first) != 0 { return String(cString: strerror(chatd_err_reason(first))) }
        if let reason = ERR_reason_error_string(first) { return String(cString: reason) }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(first, &buf, buf.count)
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The reason code of the first queued error without removing it (0 = none).
    static func peekReason() -> CInt {
        let e = ERR_peek_error()
        return e == 0 ? 0 : chatd_err_reason(e)
    }
}

/// Loading a certificate or key, or creating a context, failed; `description` says which file
/// and what OpenSSL reported, for the log line an operator reads.
public struct TLSConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
