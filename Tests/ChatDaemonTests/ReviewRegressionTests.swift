// Review regressions: each test names a bug found in review of LoopWorker / EventLoop / Room.
// Tests that would crash the daemon run in a child process (exit tests) so a failure does not
// take the whole test run down.

@testable import ChatDaemon
import EventLoop
import Glibc
import Logging
import Room
import Testing

@Suite("Review regressions") struct ReviewRegressionTests {
    /// LoopWorker.loop(_:event:) indexes `listeners[Int(token & 0xFFFF)]` without a bounds
    /// check, but beginShutdown (run from the doorbell, earlier in the same epoll batch)
    /// empties `listeners`. A connection arriving just after the shutdown doorbell rang puts
    /// [wakeToken, listenerToken] in one epoll_wait batch: index out of range, daemon traps
    /// instead of shutting down gracefully. Driven deterministically on one LoopWorker.
    @Test func ReviewRegression_listenerEventAfterShutdownInSameBatchDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            signal(SIGPIPE, SIG_IGN)
            let loop = try EventLoop(index: 0)
            let hub = ChatHub(loopCount: 1, limits: ChatLimits(), doorbells: [{ @Sendable in loop.wakeUp() }])
            var logger = Logger(label: "review")
            logger.logLevel = .critical
            let worker = LoopWorker(loop: loop, hub: hub, limits: ChatLimits(), irc: IRCServerSettings(ChatConfig()), logger: logger)
            let fd = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: true)
            try worker.addListener(fd, owned: true, scheme: .framed)
            let port = try Socket.localAddress(fd).port
            // 1. the doorbell becomes ready (mailbox was empty → eventfd write) ...
            hub.shutdown(deadline: Monotonic.now() &+ 1_000_000_000)
            // 2. ... then the listener (the handshake completes in the kernel backlog).
            let client = try E2EClient(port: port)
            usleep(50_000)
            // One tick sees both, doorbell first: beginShutdown empties `listeners`, then the
            // listener event indexes it.
            loop.run(worker)
            client.close()
            exit(0)
        }
    }

    /// A connection condemned with output still queued (here `/quit` while its socket's
    /// send buffer is full) sits in phase .closing waiting for EPOLLOUT. No timer covers that
    /// state: the linger timer is armed only in finishGracefulClose (after a full drain), the
    /// idle timer ignores .closing, and the soft-limit timer only fires above
    /// --queue-soft-bytes. A peer that never reads keeps the fd and slot forever, while
    /// condemn() has already released its admission count and nickname — so one address can
    /// hold unboundedly many fds past --max-conns-per-ip.
    @Test func ReviewRegression_closingConnectionWithBlockedOutputIsEventuallyClosed() throws {
        let d = try E2EDaemon {
            $0.threads = 1
            $0.queueSoftBytes = 64 << 20
            $0.queueHardBytes = 128 << 20
        }
        let victim = try E2EClient(port: d.port, receiveBuffer: 4096)
        victim.name = "victim"
        try victim.send(frame: "victim")
        try victim.sync()
        let sender = try E2EClient.login(port: d.port, name: "sender")
        #expect(victim.receiveUntil(.notice("sender joined #lobby")) != nil)
        // ~4 MB queued for the victim (far more than the kernel buffers take with its tiny
        // window, far below the soft limit), then the victim asks to leave.
        let pad = String(repeating: "z", count: 40_000)
        for i in 0..<100 { try sender.send(frame: "\(i) \(pad)") }
        try sender.sync()
        try victim.send(frame: "/quit")
        try sender.sync()
        // Lingering close is 2 s; give it well over that.
        let deadline = e2eNow() + 6
        while e2eNow() < deadline && d.server.stats.connections > 1 { usleep(100_000) }
        #expect(d.server.stats.connections == 1,
                "the quitting, non-reading client still holds its connection after 6 s (\(d.server.stats.connections) open)")
        victim.closeWithRST()
        sender.close()
        d.stop()
    }

    /// TokenBucket.nextTokenTime computes `now + UInt64((missing / rate) * 1e9) + 1` with
    /// trapping conversions and additions. ChatConfig.validate accepts any msg-rate in
    /// 0...1e6, e.g. 1e-12 ("practically never"); the first client to use up its burst then
    /// makes UInt64(Double) trap (1e21 ns does not fit) and the daemon dies. Validation now
    /// rejects rates in (0, 0.001) and the bucket caps its wait; this runs the smallest valid
    /// rate (a 1,000 s wait) through a real daemon. (TokenBucket's own tests cover 1e-12.)
    @Test func ReviewRegression_tinyMessageRateDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            let d = try E2EDaemon { $0.threads = 1; $0.msgRate = 0.001; $0.msgBurst = 1 }
            let c = try E2EClient.login(port: d.port, name: "tiny")
            try c.send(frames: ["one", "two", "three"])
            // One loop: a later client's login round trip (its /who spends its only token)
            // completes after the loop has read c's frames, used up c's burst and scheduled the
            // 1,000 s resume timer (where the trap was).
            _ = try E2EClient.login(port: d.port, name: "later")
            d.stop()
            exit(0)
        }
    }

    /// An 11-byte frame prefix ("65536     x") made the daemon allocate a ring of
    /// nextPow2(65546) = 128 KiB AND zero it (RingBuffer.init → allocateZeroed), committing
    /// all of it: 200 such connections committed ~25 MiB of RSS for 2.2 KB sent (12,000×
    /// amplification). Sizing the ring by the bytes present (growing as they arrive) and not
    /// zeroing bounds memory by bytes received. The clients log in first: before login a
    /// header is refused at the 32-byte pre-login cap, so a 65,536-byte claim must come from a
    /// logged-in client to reach the ring at all.
    @Test func ReviewRegression_partialFrameHeaderDoesNotCommitItsClaimedSize() async {
        await #expect(processExitsWith: .success) {
            func rssBytes() -> Int {
                guard let f = fopen("/proc/self/statm", "r") else { return 0 }
                defer { fclose(f) }
                var size = 0, resident = 0
                withUnsafeMutablePointer(to: &size) { s in
                    withUnsafeMutablePointer(to: &resident) { r in
                        withVaList([s, r]) { _ = vfscanf(f, "%ld %ld", $0) }
                    }
                }
                return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
            }
            // One loop: a round trip through it (`sync`) proves every byte sent before it was
            // read and handled, so no sleep stands in for "the daemon has seen it".
            let d = try E2EDaemon { $0.threads = 1; $0.handshakeTimeout = 30 }
            let control = try E2EClient.login(port: d.port, name: "control")
            // Warm up: allocator arenas, first connection paths, the ring path itself.
            var warm: [E2EClient] = []
            for i in 0..<20 {
                let c = try E2EClient.login(port: d.port, name: "warm\(i)")
                c.sendRaw(Array("65536     x".utf8))
                warm.append(c)
            }
            try control.sync()
            // Log in first (client buffers, Connection objects, roster entries), then measure
            // only what the 11-byte prefixes cost.
            var clients: [E2EClient] = []
            for i in 0..<200 { clients.append(try E2EClient.login(port: d.port, name: "claim\(i)")) }
            try control.sync()
            let before = rssBytes()
            for c in clients { c.sendRaw(Array("65536     x".utf8)) }
            try control.sync()
            let grew = rssBytes() - before
            for c in clients + warm + [control] { c.closeWithRST() }
            d.stop()
            // 200 × 11 bytes received; allow 4 MiB of noise.
            // On failure the exit code is the growth in MiB.
            exit(grew < 4 << 20 ? 0 : Int32(min(max(grew >> 20, 1), 250)))
        }
    }
}
