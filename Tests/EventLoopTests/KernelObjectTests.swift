import CEventLoopShims
import EventLoop
import Glibc
import Synchronization
import Testing

@Suite("EventFD, TimerFD, SignalFD")
struct KernelObjectTests {
    func counterValue(_ fd: CInt) -> UInt64? {
        var v: UInt64 = 0
        let n = withUnsafeMutableBytes(of: &v) { Glibc.read(fd, $0.baseAddress, 8) }
        return n == 8 ? v : nil
    }

    @Test func eventFDSignalsCoalesceIntoOneEdge() throws {
        let ep = try Epoll()
        let efd = try EventFD()
        #expect(fcntl(efd.fd, F_GETFL) & O_NONBLOCK != 0)
        try ep.add(efd.fd, events: [.readable, .edgeTriggered], token: 11)
        #expect(try ep.wait(timeoutMilliseconds: 0) == 0)
        for _ in 0..<1000 { efd.signal() }
        #expect(try ep.wait(timeoutMilliseconds: 0) == 1)      // one readiness edge for 1000 signals
        #expect(ep.token(at: 0) == 11)
        #expect(try ep.wait(timeoutMilliseconds: 0) == 0)
        #expect(counterValue(efd.fd) == 1000)              // the counter summed them
        #expect(counterValue(efd.fd) == nil)               // and reading reset it (EAGAIN)
    }

    @Test func eventFDDrainResetsTheCounter() throws {
        let efd = try EventFD()
        efd.signal()
        efd.signal()
        efd.drain()
        #expect(counterValue(efd.fd) == nil)
        efd.drain()                                        // draining an empty eventfd is harmless
        efd.signal()
        #expect(counterValue(efd.fd) == 1)
    }

    @Test func eventFDSignalsFromManyThreadsWakeTheWaiter() throws {
        let ep = try Epoll()
        let efd = try EventFD()
        try ep.add(efd.fd, events: [.readable, .edgeTriggered], token: 1)
        let fd = efd.fd
        let threads = (0..<4).map { i in
            LoopThread.spawn(name: "efd-\(i)") {
                for _ in 0..<250 {
                    var one: UInt64 = 1
                    _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
                }
            }
        }
        for t in threads { t.join() }
        #expect(try ep.wait(timeoutMilliseconds: 1000) == 1)
        #expect(counterValue(efd.fd) == 1000)
    }

    @Test func timerFDFiresAtTheAbsoluteDeadline() throws {
        let ep = try Epoll()
        let tfd = try TimerFD()
        try ep.add(tfd.fd, events: [.readable, .edgeTriggered], token: 2)
        let deadline = Monotonic.now() + 40_000_000
        tfd.arm(deadline: deadline)
        #expect(try ep.wait(timeoutMilliseconds: 0) == 0)      // not yet
        #expect(try ep.wait(timeoutMilliseconds: 2000) == 1)
        let firedAt = Monotonic.now()
        #expect(ep.token(at: 0) == 2)
        #expect(firedAt >= deadline)
        #expect(firedAt - deadline < 500_000_000)
        #expect(counterValue(tfd.fd) == 1)                 // one expiration, not periodic
        #expect(try ep.wait(timeoutMilliseconds: 60) == 0)
    }

    @Test func timerFDDeadlineInThePastFiresAtOnce() throws {
        let ep = try Epoll()
        let tfd = try TimerFD()
        try ep.add(tfd.fd, events: [.readable, .edgeTriggered], token: 3)
        tfd.arm(deadline: 1)                               // 1 ns after boot: long past
        #expect(try ep.wait(timeoutMilliseconds: 1000) == 1)
        tfd.drain()
        #expect(counterValue(tfd.fd) == nil)
    }

    @Test func timerFDZeroDisarms() throws {
        let ep = try Epoll()
        let tfd = try TimerFD()
        try ep.add(tfd.fd, events: [.readable, .edgeTriggered], token: 4)
        tfd.arm(deadline: Monotonic.now() + 20_000_000)
        tfd.arm(deadline: 0)
        #expect(try ep.wait(timeoutMilliseconds: 80) == 0)
        var spec = itimerspec()
        timerfd_gettime(tfd.fd, &spec)
        #expect(spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0)
    }

    @Test func timerFDRearmReplacesTheDeadline() throws {
        let ep = try Epoll()
        let tfd = try TimerFD()
        try ep.add(tfd.fd, events: [.readable, .edgeTriggered], token: 5)
        let t0 = Monotonic.now()
        tfd.arm(deadline: t0 + 5_000_000_000)
        let later = t0 + 30_000_000
        tfd.arm(deadline: later)
        #expect(try ep.wait(timeoutMilliseconds: 2000) == 1)
        #expect(Monotonic.now() >= later)
        #expect(Monotonic.now() - t0 < 2_000_000_000)
    }

    /// SIGUSR1 blocked first (SignalFD's init does it for the calling thread), then raised at
    /// this thread: it is queued for the signalfd instead of running a handler. Done on a
    /// dedicated pthread so the mask does not leak into the test runner's pool threads.
    @Test func signalFDDeliversARaisedSignal() {
        let result = Mutex<[String]>([])
        let thread = LoopThread.spawn(name: "sigfd") {
            var log: [String] = []
            do {
                let sfd = try SignalFD(signals: [SIGUSR1])
                log.append("none:\(try sfd.next().map(String.init) ?? "nil")")
                var mask = sigset_t()
                pthread_sigmask(SIG_BLOCK, nil, &mask)
                log.append("blocked:\(sigismember(&mask, SIGUSR1))")
                let ep = try Epoll()
                try ep.add(sfd.fd, events: .readable, token: 6)
                raise(SIGUSR1)
                log.append("events:\(try ep.wait(timeoutMilliseconds: 1000))")
                log.append("signal:\(try sfd.next().map(String.init) ?? "nil")")
                log.append("after:\(try sfd.next().map(String.init) ?? "nil")")
            } catch {
                log.append("error:\(error)")
            }
            result.withLock { $0 = log }
        }
        thread.join()
        #expect(result.withLock { $0 } == ["none:nil", "blocked:1", "events:1", "signal:\(SIGUSR1)", "after:nil"])
    }
}
