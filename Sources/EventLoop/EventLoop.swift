import Glibc
import Synchronization

/// What an event loop calls back into. One implementation per program (the daemon's loop
/// worker, the client, the benchmark); all calls happen on the loop's own thread.
public protocol EventLoopHandler: AnyObject {
    /// Readiness for a registered fd, identified by the token it was registered with.
    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents)
    /// The loop's eventfd rang: another thread posted work (or asked the loop to stop).
    func loopWasWoken(_ loop: EventLoop)
    /// A timer scheduled with `EventLoop.schedule` is due.
    func loop(_ loop: EventLoop, timer: Timer)
    /// Called once per tick after all events: the place to flush output (once per tick, not
    /// per message). Return true if work was deferred (fairness re-posts), so the next
    /// epoll_wait does not block.
    func loopTickDidEnd(_ loop: EventLoop) -> Bool
}

/// One thread, one epoll set, one eventfd doorbell, one timerfd. Tokens with the top bit set
/// are the loop's own; handlers use the rest.
public final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: everything mutable is touched only on the loop thread, except the
    // atomics and `wakeUp()`/`stop()`, which are thread-safe by construction.

    public static let wakeToken: UInt64 = 1 << 63
    public static let timerToken: UInt64 = (1 << 63) | 1

    public let index: Int
    public let epoll: Epoll
    private let doorbell: EventFD
    private let timerFD: TimerFD
    private var timers = TimerHeap()
    private var armedDeadline: UInt64 = 0
    private let stopRequested = Atomic<Bool>(false)
    /// CLOCK_MONOTONIC ns at the end of the last completed tick: the watchdog's liveness signal.
    public let lastTick = Atomic<UInt64>(0)
    /// Ticks completed, for tests and stats.
    public let tickCount = Atomic<UInt64>(0)
    /// Cached time of the current tick; handlers use it instead of calling the clock per message.
    public private(set) var now: UInt64 = Monotonic.now()
    /// Upper bound on a blocking wait, so an idle loop still ticks and proves it is alive.
    public var heartbeatMilliseconds: CInt = 500

    public init(index: Int) throws(Errno) {
        self.index = index
        epoll = try Epoll(maxEvents: 1024)
        doorbell = try EventFD()
        timerFD = try TimerFD()
        try epoll.add(doorbell.fd, events: [.readable, .edgeTriggered], token: Self.wakeToken)
        try epoll.add(timerFD.fd, events: [.readable, .edgeTriggered], token: Self.timerToken)
    }

    /// Thread-safe.
    public func wakeUp() { doorbell.signal() }

    /// Thread-safe: the loop finishes its current tick and `run` returns.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        doorbell.signal()
    }

    /// Loop thread only.
    public func schedule(_ timer: Timer) {
        timers.schedule(timer)
    }

    /// Timers scheduled and not yet fired (including lazily cancelled ones). Loop thread only.
    public var timerCount: Int { timers.count }

    /// Drops every pending timer for which `keep` is false. Loop thread only.
    public func compactTimers(keep: (Timer) -> Bool) {
        timers.removeAll { !keep($0) }
    }

    /// Runs until `stop()`. Each tick: wait, dispatch every event, fire due timers, then let the
    /// handler flush.
    public func run(_ handler: some EventLoopHandler) {
        var deferred = false
        while !stopRequested.load(ordering: .acquiring) {
            rearmTimer()
            let n: Int
            do {
                n = try epoll.wait(timeoutMilliseconds: deferred ? 0 : heartbeatMilliseconds)
            } catch {
                // epoll_wait(2) fails only for a bad epoll fd or arguments: the loop cannot
                // continue, and spinning on the error would hide it.
                fatalError("event loop \(index): \(error)")
            }
            now = Monotonic.now()
            for i in 0..<n {
                let token = epoll.token(at: i)
                if token == Self.wakeToken {
                    doorbell.drain()
                    handler.loopWasWoken(self)
                } else if token == Self.timerToken {
                    timerFD.drain()
                    // The fired deadline is no longer armed: a timer scheduled for that same
                    // instant later in this tick must re-arm the timerfd.
                    armedDeadline = 0
                } else {
                    handler.loop(self, event: token, events: epoll.events(at: i))
                }
            }
            // Timers are checked every tick, not only on timerfd edges: cheap, and a deadline
            // that passed while the loop was busy fires without waiting for another edge.
            while let t = timers.popExpired(now: now) {
                handler.loop(self, timer: t)
            }
            deferred = handler.loopTickDidEnd(self)
            now = Monotonic.now()
            lastTick.store(now, ordering: .relaxed)
            tickCount.wrappingAdd(1, ordering: .relaxed)
        }
    }

    private func rearmTimer() {
        let next = timers.nextDeadline ?? 0
        if next != armedDeadline {
            timerFD.arm(deadline: next)
            armedDeadline = next
        }
    }
}
