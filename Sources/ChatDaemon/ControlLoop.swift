import EventLoop
import Glibc
import Logging
import Room
import Synchronization
import Systemd

/// The daemon's control thread: signals (signalfd), STATUS= every few seconds, the systemd
/// watchdog, reload and shutdown. It never touches connections; it talks to the loops through
/// the hub's mailboxes.
final class ControlLoop: EventLoopHandler {
    enum TimerKind: UInt32 { case status = 1, watchdog, metrics, controlClient }
    static let signalToken: UInt64 = 1
    static let handledSignals: [CInt] = [SIGTERM, SIGINT, SIGHUP]
    static let statusInterval: UInt64 = 2_000_000_000

    unowned let server: ChatServer
    var signals: SignalFD?
    var lastStatusAt: UInt64 = 0
    var lastMessages = 0
    var lastDeliveries = 0
    var watchdogInterval: UInt64 = 0
    var stopping = false
    var reaper: LoopThread?
    var controlSocket: ControlSocket? { server.controlSocket }
    /// Set by `chatd ctl drain`: listeners are closed and STATUS= says so.
    var draining = false
    var evictedAtLastTrim = 0
    /// Budget evictions smaller than this between two status ticks leave the heap alone: a trim
    /// walks every arena under its lock, worth it only when megabytes came free.
    static let trimThresholdBytes = 1 << 20
    /// `GET /metrics` on the metrics:// listeners; nil without one.
    var metrics: MetricsServer?

    init(server: ChatServer) {
        self.server = server
    }

    func setUp() throws {
        if server.handleSignals {
            let fd = try SignalFD(signals: Self.handledSignals)
            try server.control.epoll.add(fd.fd, events: [.readable], token: Self.signalToken)
            signals = consume fd
        }
        if !server.metricsListeners.isEmpty {
            metrics = try MetricsServer(
                loop: server.control, listeners: server.metricsListeners, collector: MetricsCollector(server: server),
                logger: server.logger, requestTimeout: Monotonic.nanoseconds(seconds: server.config.handshakeTimeout),
                timerKind: TimerKind.metrics.rawValue)
        }
        let now = Monotonic.now()
        lastStatusAt = now
        server.control.schedule(Timer(deadline: now + Self.statusInterval, token: 0, kind: TimerKind.status.rawValue))
        if let interval = server.notifier.watchdogInterval {
            watchdogInterval = UInt64(interval.components.seconds) * 1_000_000_000
                + UInt64(interval.components.attoseconds / 1_000_000_000)
            // sd_watchdog_enabled(3): ping at half the interval.
            server.control.schedule(Timer(deadline: now + watchdogInterval / 2, token: 0, kind: TimerKind.watchdog.rawValue))
        }
    }

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        if MetricsServer.owns(token) {
            metrics?.handle(token: token, events: events)
            return
        }
        if token != Self.signalToken {
            controlSocketEvent(loop, token: token, events: events)
            return
        }
        while true {
            let next: CInt?
            do {
                next = try signals?.next()
            } catch {
                server.logger.error("cannot read signals", metadata: ["chat.reason": "\(error)"])
                return
            }
            guard let sig = next else { return }
            switch sig {
            case SIGHUP: reload()
            default:
                server.logger.notice("received signal \(sig == SIGINT ? "SIGINT" : "SIGTERM"), shutting down")
                beginShutdown()
            }
        }
    }

    func loopWasWoken(_ loop: EventLoop) {
        if server.shutdownRequested.exchange(false, ordering: .acquiringAndReleasing) { beginShutdown() }
        if server.reloadRequested.exchange(false, ordering: .acquiringAndReleasing) { reload() }
    }

    func loop(_ loop: EventLoop, timer: Timer) {
        switch TimerKind(rawValue: timer.kind) {
        case .controlClient:
            controlSocket?.close(timer.token)
        case .status:
            publishStatus(now: loop.now)
            trimHeapAfterEvictions()
            loop.schedule(Timer(deadline: loop.now + Self.statusInterval, token: 0, kind: TimerKind.status.rawValue))
        case .watchdog:
            // Ping only if every loop finished a tick recently: a wedged loop (stuck in a
            // syscall, a livelock, a bug) stops the pings and systemd restarts the service.
            let allowed = max(watchdogInterval / 2, 2_000_000_000)
            let stale = server.loops.filter { loop.now &- $0.lastTick.load(ordering: .relaxed) > allowed && $0.lastTick.load(ordering: .relaxed) != 0 }
            if stale.isEmpty {
                server.notifier.watchdogPing()
            } else {
                server.logger.error("event loop stalled; withholding watchdog ping",
                                    metadata: ["chat.loops": "\(stale.map(\.index))"])
            }
            loop.schedule(Timer(deadline: loop.now + watchdogInterval / 2, token: 0, kind: TimerKind.watchdog.rawValue))
        case .metrics:
            metrics?.timerFired(token: timer.token)
        case nil:
            break
        }
    }

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        false
    }

    func publishStatus(now: UInt64) {
        let s = server.stats
        let dt = Double(now &- lastStatusAt) / 1e9
        let mps = dt > 0 ? Int(Double(s.messagesIn - lastMessages) / dt) : 0
        let dps = dt > 0 ? Int(Double(s.deliveries - lastDeliveries) / dt) : 0
        lastStatusAt = now
        lastMessages = s.messagesIn
        lastDeliveries = s.deliveries
        if !stopping { server.notifier.status(server.statusLine(messagesPerSecond: mps, deliveriesPerSecond: dps)) }
    }

    /// Returns the memory of history the budget evicted to the kernel, at most once per status
    /// tick: without it the daemon's RSS stayed 30–78 MiB above a 4 MiB budget after 150 rooms
    /// each evicted 1 MiB of 65 KB messages (glibc kept the freed chunks;
    /// `E2EBinaryTests.historyBudgetBoundsResidentMemory`).
    func trimHeapAfterEvictions() {
        let evicted = server.hub.rooms.budgetEvictedBytes.load(ordering: .relaxed)
        guard evicted &- evictedAtLastTrim >= Self.trimThresholdBytes else { return }
        evictedAtLastTrim = evicted
        _ = Posix.trimHeap()
    }

    func beginShutdown() {
        guard !stopping else { return }
        stopping = true
        server.controlSocket?.shutDown()
        server.controlSocket = nil
        server.notifier.stopping()
        let deadline = Monotonic.now() &+ Monotonic.nanoseconds(seconds: server.config.shutdownTimeout)
        server.hub.shutdown(deadline: deadline)
        // The loops stop by themselves once flushed (or at the deadline); wait for them on a
        // helper thread so this loop can stop as soon as they are all gone.
        let loops = server.threads
        let control = server.control
        reaper = LoopThread.spawn(name: "chatd-reaper") {
            for t in loops { t.join() }
            control.stop()
        }
    }

    /// SIGHUP (systemd.service(5) ExecReload=): RELOADING=1 with MONOTONIC_USEC, re-read the
    /// configuration, apply what can change at runtime, READY=1. A bad file keeps the old
    /// configuration and the daemon keeps serving.
    @discardableResult
    func reload() -> String? {
        guard !stopping else { return "shutting down" }
        server.notifier.reloading()
        defer { server.notifier.ready(status: server.statusLine(messagesPerSecond: 0, deliveriesPerSecond: 0)) }
        guard let loader = server.loader else {
            server.logger.notice("reload requested, but no configuration source to re-read")
            return "no configuration file to re-read (started without --config)"
        }
        let fresh: ChatConfig
        do {
            fresh = try loader.loadBlocking()
        } catch {
            server.logger.error("reload failed; keeping the previous configuration", metadata: ["chat.reason": "\(error)"])
            return "reload failed; keeping the previous configuration: \(error)"
        }
        let old = server.config
        if fresh.listen != old.listen || fresh.threads != old.threads {
            server.logger.warning("listen addresses and thread count change only on restart")
        }
        server.config = fresh
        SystemdLogging.setLevel(fresh.logLevel)
        server.hub.reconfigure(ChatLimits(fresh))
        server.reloadTLS(fresh)
        server.logger.notice(
            "configuration reloaded",
            metadata: [
                "chat.max_message_bytes": "\(fresh.maxMessageBytes)", "chat.history": "\(fresh.history)",
                "chat.msg_rate": "\(fresh.msgRate)", "chat.log_level": "\(fresh.logLevel)",
            ])
        return nil
    }
}
