import CEventLoopShims
import Glibc

/// eventfd(2) used as a doorbell between threads: any number of `signal()` calls before the
/// owner reads coalesce into one readiness edge, which is what makes one wake-up per batch cheap.
public struct EventFD: ~Copyable {
    public let fd: CInt

    public init() throws(Errno) {
        fd = try Posix.mustSucceed("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
    }

    deinit { Posix.close(fd) }

    /// Thread-safe: eventfd writes are atomic adds to a kernel counter.
    public func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    /// Resets the counter so the next `signal()` produces a new edge.
    public func drain() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }
}
