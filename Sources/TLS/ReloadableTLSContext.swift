import EventLoop
import Glibc

/// The context new connections are accepted with, replaceable at run time (SIGHUP): a reload
/// builds a complete new `TLSContext` from the same files and swaps it in only if it loaded
/// and checked cleanly. Open connections hold their own reference and are untouched either
/// way; a bad or expired file leaves the previous context serving and is reported to the caller.
public final class ReloadableTLSContext: Sendable {
    private let slot: Locked<TLSContext>

    public init(credentials: TLSCredentials, now: time_t = time(nil)) throws(TLSConfigurationError) {
        slot = Locked(try TLSContext(credentials: credentials, now: now))
    }

    /// The files of the current context.
    public var credentials: TLSCredentials { current.credentials }

    /// The context for the next accepted connection (a lock and a retain: once per accept).
    public var current: TLSContext { slot.withLock { $0 } }

    /// Re-reads the certificate and key (from `credentials`, or the current files). On success
    /// the new context is current and returned; on failure the old one stays current and the
    /// error says why.
    @discardableResult
    public func reload(credentials: TLSCredentials? = nil, now: time_t = time(nil)) throws(TLSConfigurationError) -> TLSContext {
        let fresh = try TLSContext(credentials: credentials ?? self.credentials, now: now)
        slot.withLock { $0 = fresh }
        return fresh
    }
}
