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
/// thrown as `Errno`. `@inline(never)` keeps ARC traffic from running between the call and the
/// errno read.
public enum Posix {
    @inline(never) @usableFromInline
    static func call(_ function: StaticString, _ body: () -> Int) throws(Errno) -> IOResult<Int> {
        while true {
            let r = body()
            if r >= 0 { return .processed(r) }
            let e = chatd_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
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
            throw Errno(e, function: function)
        }
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
    /// NOT retried here — retrying could close an fd another thread just got.
    public static func close(_ fd: CInt) {
        _ = Glibc.close(fd)
    }

    public static func shutdown(_ fd: CInt, _ how: CInt) {
        _ = Glibc.shutdown(fd, how)
    }

    public static func socket(_ domain: CInt, _ type: CInt) throws(Errno) -> CInt {
        try mustSucceed("socket") {
            Glibc.socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    public static func setOption<T>(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: T) throws(Errno) {
        var v = value
        _ = try mustSucceed("setsockopt") {
            withUnsafePointer(to: &v) { setsockopt(fd, level, name, $0, socklen_t(MemoryLayout<T>.size)) }
        }
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
