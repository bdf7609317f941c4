import CEventLoopShims
import Glibc

/// signalfd(2): signals become readable events on the control loop instead of async handlers,
/// so reload/shutdown logic runs on an ordinary thread with no async-signal-safety constraints.
public struct SignalFD: ~Copyable {
    public let fd: CInt

    /// Blocks `signals` for the calling thread (and every thread it creates afterwards — call
    /// this before starting loops) and returns an fd that reports them.
    public init(signals: [CInt]) throws(Errno) {
        var set = sigset_t()
        chatd_sigset_empty(&set)
        for s in signals { chatd_sigset_add(&set, s) }
        _ = pthread_sigmask(SIG_BLOCK, &set, nil)
        fd = try Posix.mustSucceed("signalfd") { signalfd(-1, &set, Int32(SFD_NONBLOCK) | Int32(SFD_CLOEXEC)) }
    }

    deinit { Posix.close(fd) }

    /// Blocks `signals` in the calling thread; threads created afterwards inherit the mask
    /// (pthread_sigmask(3)). Call before spawning loop threads, or the kernel may deliver a
    /// signal to a thread that does not read the signalfd and apply its default action.
    public static func block(_ signals: [CInt]) {
        var set = sigset_t()
        chatd_sigset_empty(&set)
        for s in signals { chatd_sigset_add(&set, s) }
        _ = pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Next pending signal number, or nil when none is queued.
    public func next() -> CInt? {
        var info = signalfd_siginfo()
        let n = withUnsafeMutableBytes(of: &info) { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n == MemoryLayout<signalfd_siginfo>.size ? CInt(info.ssi_signo) : nil
    }
}
