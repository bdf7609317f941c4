import CEventLoopShims
import EventLoop
import Glibc
import Synchronization
import Testing

/// Records every callback (thread-safe, so the test thread can inspect it while the loop runs).
final class RecordingHandler: EventLoopHandler, Sendable {
    struct Log {
        var events: [(token: UInt64, events: EpollEvents, bytes: [UInt8])] = []
        var wakes = 0
        var timers: [(timer: Timer, firedAt: UInt64)] = []
        var ticks = 0
        var threads = Set<UInt>()
    }

    let log = Mutex(Log())
    /// Ticks that return "deferred" (the loop must not block after them).
    let deferredTicks = Atomic<Int>(0)
    /// fd to drain on readiness events.
    let readFD = Atomic<CInt>(-1)
    /// A timer callback with this token schedules a follow-up timer (token + 1) 10 ms later.
    let chainToken = Atomic<UInt64>(0)

    func note(_ body: (inout Log) -> Void) {
        let me = UInt(pthread_self())
        log.withLock { body(&$0); $0.threads.insert(me) }
    }

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        var bytes: [UInt8] = []
        let fd = readFD.load(ordering: .relaxed)
        if fd >= 0 { drainAvailable(fd, into: &bytes) }
        note { $0.events.append((token, events, bytes)) }
    }

    func loopWasWoken(_ loop: EventLoop) { note { $0.wakes += 1 } }

    func loop(_ loop: EventLoop, timer: Timer) {
        note { $0.timers.append((timer, Monotonic.now())) }
        if timer.token == chainToken.load(ordering: .relaxed) {
            loop.schedule(Timer(deadline: loop.now + 10_000_000, token: timer.token + 1, kind: timer.kind))
        }
    }

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        note { $0.ticks += 1 }
        return deferredTicks.wrappingSubtract(1, ordering: .relaxed).newValue >= 0
    }

    var snapshot: Log { log.withLock { $0 } }
}

/// A flag another thread sets (Atomic itself cannot be captured: it is ~Copyable).
final class Flag: Sendable {
    let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Runs `loop` with `handler` on its own pthread until `stop()`.
final class RunningLoop: Sendable {
    let loop: EventLoop
    let handler: RecordingHandler
    let thread: LoopThread
    let returned = Flag()

    init(_ loop: EventLoop, _ handler: RecordingHandler) {
        self.loop = loop
        self.handler = handler
        thread = LoopThread.spawn(name: "test-loop") { [loop, handler, returned] in
            loop.run(handler)
            returned.set()
        }
    }

    func stopAndJoin() {
        loop.stop()
        thread.join()
    }
}

@Suite("EventLoop and LoopThread")
struct EventLoopTests {
    @Test func stopFromAnotherThreadEndsRun() throws {
        let loop = try EventLoop(index: 3)
        #expect(loop.index == 3)
        loop.heartbeatMilliseconds = 10_000               // only the doorbell can end the wait
        let handler = RecordingHandler()
        let running = RunningLoop(loop, handler)
        loop.wakeUp()                                      // one tick proves the loop is running…
        #expect(waitUntil { loop.tickCount.load(ordering: .relaxed) >= 1 })
        #expect(!running.returned.isSet)                   // …and it is now blocked in epoll_wait
        let ticksBefore = loop.tickCount.load(ordering: .relaxed)
        let t0 = Monotonic.now()
        running.stopAndJoin()
        #expect(running.returned.isSet)
        #expect(Monotonic.now() - t0 < 2_000_000_000)      // did not wait for the 10 s heartbeat
        // The stop's own wake-up ran a last tick.
        #expect(loop.tickCount.load(ordering: .relaxed) > ticksBefore)
        #expect(loop.lastTick.load(ordering: .relaxed) > 0)
        #expect(handler.snapshot.ticks == Int(loop.tickCount.load(ordering: .relaxed)))
    }

    @Test func stopBeforeRunReturnsImmediately() throws {
        let loop = try EventLoop(index: 0)
        loop.stop()
        let handler = RecordingHandler()
        loop.run(handler)
        #expect(handler.snapshot.ticks == 0)
        #expect(loop.tickCount.load(ordering: .relaxed) == 0)
    }

    @Test func heartbeatTicksAnIdleLoop() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 5
        let handler = RecordingHandler()
        let running = RunningLoop(loop, handler)
        #expect(waitUntil { loop.tickCount.load(ordering: .relaxed) >= 5 })
        running.stopAndJoin()
        let log = handler.snapshot
        #expect(log.wakes <= 1)                            // ticks came from timeouts, not wake-ups
        #expect(log.ticks == Int(loop.tickCount.load(ordering: .relaxed)))
    }

    @Test func wakeUpCallsTheHandlerOnTheLoopThread() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 10_000
        let handler = RecordingHandler()
        let running = RunningLoop(loop, handler)
        loop.wakeUp()
        #expect(waitUntil { handler.snapshot.wakes >= 1 })
        loop.wakeUp()
        loop.wakeUp()
        #expect(waitUntil { handler.snapshot.wakes >= 2 })
        running.stopAndJoin()
        let log = handler.snapshot
        #expect(log.threads.count == 1)                    // every callback on one thread…
        #expect(!log.threads.contains(UInt(pthread_self())))   // …which is not the test's
    }

    @Test func timersFireInDeadlineOrderNotBefore() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 10_000               // only the timerfd can wake it early
        let handler = RecordingHandler()
        let t0 = Monotonic.now()
        let deadlines: [UInt64: UInt64] = [1: t0 + 60_000_000, 2: t0 + 20_000_000, 3: t0 + 40_000_000]
        for (token, d) in deadlines { loop.schedule(Timer(deadline: d, token: token, kind: 9)) }
        let running = RunningLoop(loop, handler)
        #expect(waitUntil { handler.snapshot.timers.count == 3 })
        running.stopAndJoin()
        let fired = handler.snapshot.timers
        #expect(fired.map(\.timer.token) == [2, 3, 1])
        #expect(fired.allSatisfy { $0.timer.kind == 9 })
        for f in fired { #expect(f.firedAt >= deadlines[f.timer.token]!) }
        #expect(fired.last!.firedAt - t0 < 2_000_000_000)
    }

    @Test func timerScheduledFromACallbackFires() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 10_000
        let handler = RecordingHandler()
        handler.chainToken.store(100, ordering: .relaxed)
        loop.schedule(Timer(deadline: Monotonic.now() + 5_000_000, token: 100, kind: 0))
        let running = RunningLoop(loop, handler)
        #expect(waitUntil { handler.snapshot.timers.count == 2 })
        running.stopAndJoin()
        let fired = handler.snapshot.timers
        #expect(fired.map(\.timer.token) == [100, 101])
        #expect(fired[1].firedAt >= fired[0].timer.deadline + 10_000_000)
    }

    @Test func pastDeadlineFiresOnTheNextTick() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 10_000
        let handler = RecordingHandler()
        loop.schedule(Timer(deadline: 1, token: 7, kind: 0))
        let running = RunningLoop(loop, handler)
        #expect(waitUntil(seconds: 2) { handler.snapshot.timers.count == 1 })
        running.stopAndJoin()
        #expect(handler.snapshot.timers.map(\.timer.token) == [7])
    }

    @Test func registeredFdEventsReachTheHandlerWithTheirToken() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 10_000
        let pair = SocketPair()
        let token: UInt64 = 5 << 32 | 42
        try loop.epoll.add(pair.a, events: [.readable, .edgeTriggered], token: token)
        let handler = RecordingHandler()
        handler.readFD.store(pair.a, ordering: .relaxed)
        let running = RunningLoop(loop, handler)
        _ = [UInt8]("hello".utf8).withUnsafeBytes { Glibc.write(pair.b, $0.baseAddress, $0.count) }
        #expect(waitUntil { handler.snapshot.events.count == 1 })
        _ = [UInt8]("again".utf8).withUnsafeBytes { Glibc.write(pair.b, $0.baseAddress, $0.count) }
        #expect(waitUntil { handler.snapshot.events.count == 2 })
        running.stopAndJoin()
        let events = handler.snapshot.events
        #expect(events.map(\.token) == [token, token])
        #expect(events.allSatisfy { $0.events.contains(.readable) })
        #expect(events.map(\.bytes) == [Array("hello".utf8), Array("again".utf8)])
        // Every tick ended with exactly one tick callback.
        #expect(handler.snapshot.ticks == Int(loop.tickCount.load(ordering: .relaxed)))
    }

    @Test func deferredTickDoesNotBlock() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 10_000
        let handler = RecordingHandler()
        handler.deferredTicks.store(50, ordering: .relaxed)
        let t0 = Monotonic.now()
        let running = RunningLoop(loop, handler)
        loop.wakeUp()                                      // ends the first (blocking) wait
        // 50 deferred ticks + 1 run back to back, far below one 10 s heartbeat.
        #expect(waitUntil(seconds: 3) { handler.snapshot.ticks >= 51 })
        let elapsed = Monotonic.now() - t0
        // An observation window, not synchronisation: nothing may happen in it.
        usleep(50_000)
        let settled = handler.snapshot.ticks
        running.stopAndJoin()
        #expect(elapsed < 3_000_000_000)
        #expect(settled == 51)                             // then it blocked in epoll_wait
    }

    @Test func loopThreadRunsAndJoins() {
        let ran = Atomic<Int>(0)
        let threads = (0..<4).map { i in
            LoopThread.spawn(name: "a-very-long-thread-name-\(i)") {
                ran.wrappingAdd(1, ordering: .relaxed)
            }
        }
        for t in threads { t.join() }
        #expect(ran.load(ordering: .relaxed) == 4)
    }

    @Test func loopThreadNameIsTruncatedTo15Bytes() {
        let name = Mutex<String>("")
        let t = LoopThread.spawn(name: "chatd-loop-0123456789") {
            var buf = [CChar](repeating: 0, count: 32)
            if let f = fopen("/proc/thread-self/comm", "r") {
                _ = fgets(&buf, CInt(buf.count), f)
                fclose(f)
            }
            name.withLock { $0 = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmingSuffixNewline() }
        }
        t.join()
        #expect(name.withLock { $0 } == "chatd-loop-0123")
    }
}

extension String {
    func trimmingSuffixNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
}

/// After its first timer fires, schedules (from the end of that tick) a second timer with the
/// very same — now past — deadline.
final class SameDeadlineHandler: EventLoopHandler, Sendable {
    let fired = Mutex<[(token: UInt64, at: UInt64)]>([])
    let pending = Mutex<UInt64?>(nil)

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {}
    func loopWasWoken(_ loop: EventLoop) {}
    func loop(_ loop: EventLoop, timer: Timer) {
        fired.withLock { $0.append((timer.token, Monotonic.now())) }
        if timer.token == 1 { pending.withLock { $0 = timer.deadline } }
    }
    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        if let d = pending.withLock({ p -> UInt64? in defer { p = nil }; return p }) {
            loop.schedule(Timer(deadline: d, token: 2, kind: 0))
        }
        return false
    }
}

extension EventLoopTests {
    /// A timer whose deadline equals the one the timerfd was last armed for — and has already
    /// fired and been drained — must still fire promptly, not one heartbeat later.
    @Test func timerScheduledForTheJustExpiredDeadlineFiresPromptly() throws {
        let loop = try EventLoop(index: 0)
        loop.heartbeatMilliseconds = 2_000
        let handler = SameDeadlineHandler()
        loop.schedule(Timer(deadline: Monotonic.now() + 10_000_000, token: 1, kind: 0))
        let thread = LoopThread.spawn(name: "same-deadline") { loop.run(handler) }
        let prompt = waitUntil(seconds: 1) { handler.fired.withLock { $0.count } == 2 }
        #expect(prompt, "second timer with an already-expired, already-armed deadline waited for the heartbeat")
        _ = waitUntil(seconds: 5) { handler.fired.withLock { $0.count } == 2 }
        loop.stop()
        thread.join()
        #expect(handler.fired.withLock { $0.map(\.token) } == [1, 2])
    }
}
