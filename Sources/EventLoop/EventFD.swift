import CEventLoopShims
import Glibc

/// eventfd(2) used as a doorbell between threads: any number of `signal()` calls before the
/// owner reads coalesce into one readiness edge, which is what makes one wake-up per batch cheap.
public struct EventFD: ~Copyable {
    public let fd: CInt

    public init() throws(Errno) {
        fd = try Posix.eventfd(flags: Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
    }

    deinit { Posix.close(fd) }

    /// Thread-safe: eventfd writes are atomic adds to a kernel counter. EAGAIN (the counter at
    /// its maximum) means a wake-up is pending anyway. eventfd(2) names no other error for an
    /// 8-byte write to a valid eventfd, so any other is a broken invariant, not a condition.
    public func signal() {
        var one: UInt64 = 1
        do {
            _ = try withUnsafeBytes(of: &one) { bytes throws(Errno) in try Posix.write(fd, bytes) }
        } catch {
            fatalError("eventfd doorbell: \(error)")
        }
    }

    /// Resets the counter so the next `signal()` produces a new edge (EAGAIN: already zero).
    public func drain() {
        var value: UInt64 = 0
        do {
            _ = try withUnsafeMutableBytes(of: &value) { bytes throws(Errno) in try Posix.read(fd, bytes) }
        } catch {
            fatalError("eventfd doorbell: \(error)")
        }
    }
}
