import CEventLoopShims
import Glibc

/// The Linux-only descriptors an event loop is built from (epoll(7), eventfd(2), timerfd(2),
/// signalfd(2)), wrapped like every other syscall: EINTR retried, errors thrown, EBADF/EFAULT
/// a crash.
extension Posix {
    public static func eventfd(flags: CInt) throws(Errno) -> CInt {
        try mustSucceed("eventfd") { CEventLoopShims.eventfd(0, flags) }
    }

    public static func timerfdCreate(clock: CInt, flags: CInt) throws(Errno) -> CInt {
        try mustSucceed("timerfd_create") { timerfd_create(clock, flags) }
    }

    public static func timerfdSetTime(_ fd: CInt, flags: CInt, _ spec: itimerspec) throws(Errno) {
        var spec = spec
        _ = try mustSucceed("timerfd_settime") { timerfd_settime(fd, flags, &spec, nil) }
    }

    public static func signalfd(_ set: sigset_t, flags: CInt) throws(Errno) -> CInt {
        var set = set
        return try mustSucceed("signalfd") { CEventLoopShims.signalfd(-1, &set, flags) }
    }

    public static func epollCreate(flags: CInt) throws(Errno) -> CInt {
        try mustSucceed("epoll_create1") { epoll_create1(flags) }
    }

    public static func epollCtl(_ epfd: CInt, _ op: CInt, _ fd: CInt, events: UInt32, token: UInt64) throws(Errno) {
        var ev = epoll_event()
        ev.events = events
        ev.data.u64 = token
        _ = try mustSucceed("epoll_ctl") { epoll_ctl(epfd, op, fd, &ev) }
    }

    /// epoll_wait(2). EINTR returns 0 events instead of waiting again: the caller's loop goes
    /// round, re-computing its timeout, so a signal cannot stretch a timer's wait.
    public static func epollWait(
        _ epfd: CInt, _ events: UnsafeMutablePointer<epoll_event>, capacity: CInt, timeoutMilliseconds: CInt
    ) throws(Errno) -> Int {
        let n = epoll_wait(epfd, events, capacity, timeoutMilliseconds)
        if n >= 0 { return Int(n) }
        let e = chatd_errno()
        if e == EINTR { return 0 }
        preconditionAcceptable(e, "epoll_wait")
        throw Errno(e, function: "epoll_wait")
    }
}
