import CEventLoopShims
import Glibc

/// signalfd(2): signals become readable events on the control loop instead of async handlers,
/// so reload/shutdown logic runs on an ordinary thread with no async-signal-safety constraints.
public struct SignalFD: ~Copyable {
    public let fd: CInt

    /// Blocks `signals` for the calling thread (and every thread it creates afterwards — call
    /// this before starting loops) and returns an fd that reports them.
    public init(signals: [CInt]) throws(Errno) {
        let set = try Posix.blockSignals(signals)
        fd = try Posix.signalfd(set, flags: Int32(SFD_NONBLOCK) | Int32(SFD_CLOEXEC))
    }

    deinit { Posix.close(fd) }

    /// Blocks `signals` in the calling thread; threads created afterwards inherit the mask
    /// (pthread_sigmask(3)). Call before spawning loop threads, or the kernel may deliver a
    /// signal to a thread that does not read the signalfd and apply its default action.
    public static func block(_ signals: [CInt]) throws(Errno) {
        _ = try Posix.blockSignals(signals)
    }

    /// Next pending signal number, or nil when none is queued. signalfd(2) reads whole
    /// `signalfd_siginfo` records, so a short read cannot happen.
    public func next() throws(Errno) -> CInt? {
        var info = signalfd_siginfo()
        let r = try withUnsafeMutableBytes(of: &info) { bytes throws(Errno) in try Posix.read(fd, bytes) }
        guard case .processed(let n) = r, n == MemoryLayout<signalfd_siginfo>.size else { return nil }
        return CInt(info.ssi_signo)
    }
}
