import CEventLoopShims
import Glibc

/// An errno value with Swift names for the cases chatd branches on (after swift-system's `Errno`).
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    /// The syscall that failed, for log lines ("accept4: Too many open files").
    public let function: StaticString

    @inlinable public init(_ rawValue: CInt, function: StaticString = "") {
        self.rawValue = rawValue
        self.function = function
    }

    public static func == (a: Errno, b: Errno) -> Bool { a.rawValue == b.rawValue }
    public func hash(into h: inout Hasher) { h.combine(rawValue) }

    public static var wouldBlock: Errno { Errno(EAGAIN) }
    public static var interrupted: Errno { Errno(EINTR) }
    public static var tooManyOpenFiles: Errno { Errno(EMFILE) }
    public static var systemTooManyOpenFiles: Errno { Errno(ENFILE) }
    public static var connectionReset: Errno { Errno(ECONNRESET) }
    public static var brokenPipe: Errno { Errno(EPIPE) }
    public static var addressInUse: Errno { Errno(EADDRINUSE) }
    public static var connectionAborted: Errno { Errno(ECONNABORTED) }
    public static var inProgress: Errno { Errno(EINPROGRESS) }

    /// True for errors that mean "out of file descriptors" (accept4(2): EMFILE, ENFILE).
    public var isFileDescriptorExhaustion: Bool { rawValue == EMFILE || rawValue == ENFILE }

    public var description: String {
        let text = String(cString: strerror(rawValue))
        let fn = "\(function)"
        return fn.isEmpty ? text : "\(fn): \(text)"
    }
}

/// Outcome of a non-blocking call: the value, or EAGAIN/EWOULDBLOCK as a value rather than an
/// error, because under edge-triggered epoll it is the normal end of every drain loop.
public enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}

/// Every syscall chatd makes goes through one of these wrappers, exactly once (the SwiftNIO
/// `System.swift` pattern): EINTR is retried, EAGAIN becomes `.wouldBlock`, anything else is
/// thrown as `Errno` — except EBADF and EFAULT, which mean chatd itself passed a closed fd or a
/// bad pointer: continuing could read or close another thread's fd, so they crash at once,
/// naming the call (NIOPosix's `isUnacceptableErrno`). `@inline(never)` keeps ARC traffic from
/// running between the call and the errno read.
public enum Posix {
    @inline(never) @usableFromInline
    static func call(_ function: StaticString, _ body: () -> Int) throws(Errno) -> IOResult<Int> {
        while true {
            let r = body()
            if r >= 0 { return .processed(r) }
            let e = chatd_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            preconditionAcceptable(e, function)
            throw Errno(e, function: function)
        }
    }

    /// For calls where EAGAIN cannot happen (setup calls): a plain throwing wrapper.
    @inline(never) @usableFromInline
    static func mustSucceed(_ function: StaticString, _ body: () -> CInt) throws(Errno) -> CInt {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = chatd_errno()
            if e == EINTR { continue }
            preconditionAcceptable(e, function)
            throw Errno(e, function: function)
        }
    }

    /// EBADF/EFAULT are chatd's own bugs, never the peer's or the system's (see the type).
    @usableFromInline
    static func preconditionAcceptable(_ e: CInt, _ function: StaticString) {
        if e == EBADF || e == EFAULT { fatalError("\(Errno(e, function: function)) (a bug in chatd)") }
    }

    @inlinable
    public static func read(_ fd: CInt, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> IOResult<Int> {
        try call("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    @inlinable
    public static func write(_ fd: CInt, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> IOResult<Int> {
        try call("write") { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    }

    @inlinable
    public static func writev(_ fd: CInt, _ iov: UnsafePointer<iovec>, _ count: Int) throws(Errno) -> IOResult<Int> {
        try call("writev") { Glibc.writev(fd, iov, CInt(count)) }
    }

    /// accept4(2) with SOCK_NONBLOCK|SOCK_CLOEXEC so the new fd is ready for edge-triggered use
    /// and never leaks into children, without extra fcntl calls.
    @inlinable
    public static func accept(_ fd: CInt, _ address: UnsafeMutablePointer<sockaddr_storage>) throws(Errno) -> IOResult<CInt> {
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let r = try call("accept4") {
            address.withMemoryRebound(to: sockaddr.self, capacity: 1) { Int(accept4(fd, $0, &len, flags)) }
        }
        switch r {
        case .processed(let v): return .processed(CInt(v))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// close(2): the fd is gone even when close reports an error (Linux semantics), so EINTR is
    /// NOT retried — retrying could close an fd another thread just got. EBADF means chatd
    /// closed an fd twice (the second time possibly someone else's): a crash, as in NIOPosix.
    /// Other errors (EIO, ENOSPC on NFS) concern data chatd has already given up on.
    public static func close(_ fd: CInt) {
        if Glibc.close(fd) != 0 {
            let e = chatd_errno()
            if e != EINTR { preconditionAcceptable(e, "close") }
        }
    }

    /// shutdown(2). ENOTCONN (the peer already reset) is expected and ignored.
    public static func shutdown(_ fd: CInt, _ how: CInt) {
        _ = try? mustSucceed("shutdown") { Glibc.shutdown(fd, how) }
    }

    /// A non-blocking (unless told otherwise), close-on-exec socket.
    public static func socket(_ domain: CInt, _ type: CInt, nonBlocking: Bool = true) throws(Errno) -> CInt {
        let flags = Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        return try mustSucceed("socket") { Glibc.socket(domain, type | flags, 0) }
    }

    public static func setOption<T>(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: T) throws(Errno) {
        var v = value
        _ = try mustSucceed("setsockopt") {
            withUnsafePointer(to: &v) { setsockopt(fd, level, name, $0, socklen_t(MemoryLayout<T>.size)) }
        }
    }

    public static func getOption(_ fd: CInt, _ level: CInt, _ name: CInt) throws(Errno) -> CInt {
        var value: CInt = 0
        var len = socklen_t(MemoryLayout<CInt>.size)
        _ = try mustSucceed("getsockopt") { getsockopt(fd, level, name, &value, &len) }
        return value
    }

    /// getsockopt(2) for an option whose value is a struct (SO_PEERCRED's `struct ucred`).
    public static func getOption<T>(_ fd: CInt, _ level: CInt, _ name: CInt, into value: inout T) throws(Errno) {
        var len = socklen_t(MemoryLayout<T>.size)
        _ = try mustSucceed("getsockopt") { withUnsafeMutablePointer(to: &value) { getsockopt(fd, level, name, $0, &len) } }
    }

    public static func bind(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(Errno) {
        _ = try mustSucceed("bind") { Glibc.bind(fd, address, length) }
    }

    public static func listen(_ fd: CInt, backlog: CInt) throws(Errno) {
        _ = try mustSucceed("listen") { Glibc.listen(fd, backlog) }
    }

    /// connect(2) on a non-blocking socket: `.wouldBlock` means in progress (EINPROGRESS — and
    /// EINTR, after which the connection also continues asynchronously; connect(2)).
    public static func connect(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(Errno) -> IOResult<Void> {
        if Glibc.connect(fd, address, length) == 0 { return .processed(()) }
        let e = chatd_errno()
        if e == EINPROGRESS || e == EINTR || e == EAGAIN { return .wouldBlock }
        preconditionAcceptable(e, "connect")
        throw Errno(e, function: "connect")
    }

    public static func localAddress(_ fd: CInt) throws(Errno) -> sockaddr_storage {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try mustSucceed("getsockname") {
            withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        }
        return ss
    }

    /// sendto(2) of one datagram; returns the bytes sent.
    public static func sendto(
        _ fd: CInt, _ buffer: UnsafeRawBufferPointer, flags: CInt, to address: UnsafePointer<sockaddr>, _ length: socklen_t
    ) throws(Errno) -> IOResult<Int> {
        try call("sendto") { Glibc.sendto(fd, buffer.baseAddress, buffer.count, flags, address, length) }
    }

    /// open(2), close-on-exec always.
    public static func open(_ path: String, _ flags: CInt) throws(Errno) -> CInt {
        try mustSucceed("open") { Glibc.open(path, flags | O_CLOEXEC) }
    }

    /// Opens /dev/null on whichever of fds 0, 1, 2 is closed (as daemon(3) does), so that the
    /// next socket cannot become "stderr" and receive log lines, and a write to stderr never
    /// meets EBADF (a crash in these wrappers).
    public static func openStandardDescriptors() {
        for fd in CInt(0)...2 where !isOpen(fd) {
            // open(2) returns the lowest free fd: this one, since the lower ones are open.
            guard let opened = try? mustSucceed("open", { Glibc.open("/dev/null", O_RDWR) }) else { return }
            if opened != fd { close(opened) }
        }
    }

    /// fcntl(2) with an integer argument (F_GETFL, F_SETFL, F_GETFD, …).
    @discardableResult
    public static func fcntl(_ fd: CInt, _ command: CInt, _ argument: CInt = 0) throws(Errno) -> CInt {
        try mustSucceed("fcntl") { Glibc.fcntl(fd, command, argument) }
    }

    /// fstat(2). (An fd that may legitimately be closed — stderr of a daemon — is checked with
    /// `isOpen` first, since EBADF here would be a crash.)
    public static func fstat(_ fd: CInt) throws(Errno) -> stat {
        var info = stat()
        _ = try mustSucceed("fstat") { Glibc.fstat(fd, &info) }
        return info
    }

    /// Whether `fd` is an open descriptor (fcntl F_GETFD; EBADF is the answer here, not a bug).
    public static func isOpen(_ fd: CInt) -> Bool {
        Glibc.fcntl(fd, F_GETFD) >= 0
    }

    /// pthread_sigmask(3) with SIG_BLOCK: blocks `signals` for the calling thread and every
    /// thread it creates afterwards. Returns its error number rather than setting errno.
    public static func blockSignals(_ signals: [CInt]) throws(Errno) -> sigset_t {
        var set = sigset_t()
        chatd_sigset_empty(&set)
        for s in signals { chatd_sigset_add(&set, s) }
        let r = pthread_sigmask(SIG_BLOCK, &set, nil)
        if r != 0 { throw Errno(r, function: "pthread_sigmask") }
        return set
    }

    /// Raises RLIMIT_NOFILE's soft limit to the hard limit (getrlimit(2)); returns the new limit.
    @discardableResult
    public static func raiseFileLimit() -> Int {
        var lim = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return 1024 }
        if lim.rlim_cur < lim.rlim_max {
            var raised = lim
            raised.rlim_cur = lim.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { lim = raised }
        }
        return Int(clamping: lim.rlim_cur)
    }

    public static var iovMax: Int { Int(chatd_iov_max()) }

    /// Online CPUs (sysconf(3) _SC_NPROCESSORS_ONLN, at least 1): the default `--threads`.
    public static var cpuCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// CLOCK_MONOTONIC in nanoseconds: the one clock for deadlines (never jumps with wall time).
public enum Monotonic {
    @inlinable public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    @inlinable public static func nanoseconds(seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64(seconds * 1e9)
    }
}

/// CLOCK_REALTIME: only for timestamps shown to people (IRCv3 server-time), never deadlines.
public enum WallClock {
    /// Milliseconds since the Unix epoch.
    @inlinable public static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1000 &+ Int64(ts.tv_nsec / 1_000_000)
    }
}
