import CEventLoopShims
import Glibc

/// Readiness bits as epoll reports them (epoll_ctl(2)). Kept as UInt32: EPOLLET is 1<<31 and
/// would trap in an Int32 conversion.
public struct EpollEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = EpollEvents(rawValue: EPOLLIN.rawValue)
    public static let writable = EpollEvents(rawValue: EPOLLOUT.rawValue)
    public static let readHangup = EpollEvents(rawValue: EPOLLRDHUP.rawValue)
    public static let hangup = EpollEvents(rawValue: EPOLLHUP.rawValue)
    public static let error = EpollEvents(rawValue: EPOLLERR.rawValue)
    public static let edgeTriggered = EpollEvents(rawValue: EPOLLET.rawValue)
    public static let exclusive = EpollEvents(rawValue: EPOLLEXCLUSIVE.rawValue)

    /// What every connection registers once, for its whole life (nginx's ngx_epoll_add_connection):
    /// both directions, edge-triggered, so the fd is never touched by epoll_ctl again.
    public static let connection: EpollEvents = [.readable, .writable, .readHangup, .edgeTriggered]
}

/// One epoll instance. Events carry a 64-bit token chosen by the registrant; chatd packs a slot
/// generation next to the slot index so an event fetched for a closed fd that has since been
/// reused is recognised as stale (nginx's "instance" bit, NIO's registration ID).
public struct Epoll: ~Copyable {
    public let fd: CInt
    @usableFromInline let events: UnsafeMutablePointer<epoll_event>
    public let capacity: Int

    public init(maxEvents: Int = 512) throws(Errno) {
        fd = try Posix.epollCreate(flags: Int32(EPOLL_CLOEXEC))
        capacity = maxEvents
        events = .allocate(capacity: maxEvents)
    }

    deinit {
        events.deallocate()
        Posix.close(fd)
    }

    public func add(_ target: CInt, events mask: EpollEvents, token: UInt64) throws(Errno) {
        try ctl(EPOLL_CTL_ADD, target, mask, token)
    }

    public func modify(_ target: CInt, events mask: EpollEvents, token: UInt64) throws(Errno) {
        try ctl(EPOLL_CTL_MOD, target, mask, token)
    }

    /// Closing an fd removes it from the interest list by itself (epoll(7), Q6) as long as no
    /// duplicate exists; explicit removal is for fds that stay open (listeners on pause).
    public func remove(_ target: CInt) throws(Errno) {
        try Posix.epollCtl(fd, EPOLL_CTL_DEL, target, events: 0, token: 0)
    }

    private func ctl(_ op: CInt, _ target: CInt, _ mask: EpollEvents, _ token: UInt64) throws(Errno) {
        try Posix.epollCtl(fd, op, target, events: mask.rawValue, token: token)
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever). EINTR counts as zero events: the
    /// caller's loop simply goes round again. Any other error is thrown: a loop that ignored it
    /// would spin at 100% CPU on a broken epoll fd without ever saying so.
    public func wait(timeoutMilliseconds: CInt) throws(Errno) -> Int {
        try Posix.epollWait(fd, events, capacity: CInt(capacity), timeoutMilliseconds: timeoutMilliseconds)
    }

    @inlinable public func token(at i: Int) -> UInt64 { events[i].data.u64 }
    @inlinable public func events(at i: Int) -> EpollEvents { EpollEvents(rawValue: events[i].events) }
}
