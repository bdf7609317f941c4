import CEventLoopShims
import Glibc

/// timerfd(2) on CLOCK_MONOTONIC, armed with absolute deadlines so re-arming never drifts.
public struct TimerFD: ~Copyable {
    public let fd: CInt

    public init() throws(Errno) {
        fd = try Posix.timerfdCreate(clock: CLOCK_MONOTONIC, flags: Int32(TFD_NONBLOCK) | Int32(TFD_CLOEXEC))
    }

    deinit { Posix.close(fd) }

    /// Arms for an absolute CLOCK_MONOTONIC deadline in nanoseconds; 0 disarms. The spec is
    /// always valid (nanoseconds < 10⁹), so timerfd_settime(2) has no error left to report but
    /// a broken invariant: that crashes rather than leave every timer of the loop silently dead.
    public func arm(deadline: UInt64) {
        var spec = itimerspec()
        // A zero it_value disarms (timerfd_settime(2)); a deadline in the past must still fire.
        let d = deadline == 0 ? 0 : max(deadline, 1)
        spec.it_value.tv_sec = Int(d / 1_000_000_000)
        spec.it_value.tv_nsec = Int(d % 1_000_000_000)
        do {
            try Posix.timerfdSetTime(fd, flags: Int32(TFD_TIMER_ABSTIME), spec)
        } catch {
            fatalError("timerfd: \(error)")
        }
    }

    /// Reads the expiration count (EAGAIN: none since the last read).
    public func drain() {
        var expirations: UInt64 = 0
        do {
            _ = try withUnsafeMutableBytes(of: &expirations) { bytes throws(Errno) in try Posix.read(fd, bytes) }
        } catch {
            fatalError("timerfd: \(error)")
        }
    }
}
