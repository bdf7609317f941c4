import CEventLoopShims
import Glibc

/// timerfd(2) on CLOCK_MONOTONIC, armed with absolute deadlines so re-arming never drifts.
public struct TimerFD: ~Copyable {
    public let fd: CInt

    public init() throws(Errno) {
        fd = try Posix.mustSucceed("timerfd_create") {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK) | Int32(TFD_CLOEXEC))
        }
    }

    deinit { Posix.close(fd) }

    /// Arms for an absolute CLOCK_MONOTONIC deadline in nanoseconds; 0 disarms.
    public func arm(deadline: UInt64) {
        var spec = itimerspec()
        // A zero it_value disarms (timerfd_settime(2)); a deadline in the past must still fire.
        let d = deadline == 0 ? 0 : max(deadline, 1)
        spec.it_value.tv_sec = Int(d / 1_000_000_000)
        spec.it_value.tv_nsec = Int(d % 1_000_000_000)
        _ = timerfd_settime(fd, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    public func drain() {
        var expirations: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &expirations) { Glibc.read(fd, $0.baseAddress, 8) }
    }
}
