import ChatProtocol
import EventLoop
import Glibc
import IRCProtocol
import Logging
import Room
import Synchronization
import TLS
import WebProtocol

/// Serves the connections of one event loop: accepts, reads and decodes frames, runs the chat
/// session logic, drains the loop's mailbox and flushes every dirty connection once per tick.
/// Everything here runs on the loop's thread; the only shared state is behind `ChatHub`.
final class LoopWorker: EventLoopHandler {
    enum TimerKind: UInt32 {
        case handshake = 1, idle, softLimit, resumeReading, linger, acceptRetry, shutdownDeadline, ircPing, webPing, authTimeout
    }

    static let listenerTokenBase: UInt64 = 1 << 62
    /// Bytes read from one connection per tick before it is re-posted to the next tick, so one
    /// flooding client cannot starve the others (the fairness cap).
    static let readBudget = 256 * 1024
    /// Bytes written to one connection per tick (Redis's NET_MAX_WRITES_PER_EVENT idea).
    static let writeBudget = 1 << 20
    static let acceptBatch = 128
    static let lingerTimeout: UInt64 = 2_000_000_000
    /// A connection being closed gracefully is destroyed after this long even if its peer never
    /// takes the last frames: closing must not depend on the peer's cooperation.
    static let closeTimeout: UInt64 = 5_000_000_000

    let loop: EventLoop
    let hub: ChatHub
    var limits: ChatLimits
    var logger: Logger
    let stats = LoopStats()

    var slots: [Connection?] = []
    var generations: [UInt32] = []
    var freeSlots: [Int] = []
    var liveConnections = 0

    struct Listener {
        let fd: CInt
        /// Socket-activated fds are shared by all loops and owned by the server, not by us.
        let owned: Bool
        let scheme: ListenScheme
        /// Connections start with a TLS handshake.
        let tls: Bool
    }
    var listeners: [Listener] = []
    var acceptPaused = false

    /// Local members of each room (by room id) on this loop, per protocol.
    var members: [Int: RoomMembers] = [:]
    /// IRC settings (server name, ping timing) from the configuration at start.
    let irc: IRCServerSettings
    /// The page and WebSocket policy of the http:// listeners; nil when there are none.
    let web: WebServerSettings?

    let readBuffer: UnsafeMutableRawBufferPointer
    let iovecs = IOVecPool(coalesceAverageBelow: LoopWorker.coalesceBelow)
    /// Flushes whose frames average at most this many bytes are copied into one buffer and
    /// written with write(2) instead of a writev(2) of many small iovecs; larger frames go out
    /// by reference. Measured (BENCHMARKS.md, "Flush strategy"): copying won 7 of 10 alternating
    /// A/B pairs at 64-byte messages, by 10–38% deliveries per CPU second; the losses were within
    /// this shared machine's noise. `CHATD_COALESCE_BELOW` overrides it (0 = always writev) so
    /// the A/B can be re-run.
    static let coalesceBelow: Int = {
        if let v = getenv("CHATD_COALESCE_BELOW"), let n = Int(String(cString: v)), n >= 0 { return n }
        return 1024
    }()
    var flushList: [Connection] = []
    /// The other half of `flushList`'s double buffer: the list being flushed right now.
    var flushing: [Connection] = []
    var readQueue: [Connection] = []
    var reading: [Connection] = []
    var closeList: [Connection] = []
    /// Connections whose queue drained since the last `releaseIdleQueues`, and when that is due.
    var trimList: [Connection] = []
    var nextTrim: UInt64 = 0
    /// Timers that became no-ops since the last compaction (handshake timers of logged-in
    /// connections), counted to compact the heap once they are a quarter of it.
    var staleTimers = 0
    var batch = ContiguousArray<LoopMessage>()

    /// The certificate new TLS connections get (nil: no TLS listener); shared by all loops.
    var tlsContext: ReloadableTLSContext?
    /// Registered accounts (shared by all loops); nil in tests that build a bare worker.
    var accounts: AccountService?
    /// TLS handshakes in progress on this loop (bounded by `limits.tlsMaxHandshakes`).
    var tlsHandshakes = 0
    /// Where a flush gathers one TLS record's plaintext (`WriteQueue.flush(through:)`).
    let tlsScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: TLSConnection.maxRecordPlaintext, alignment: 16)

    var messagesIn = 0
    var deliveries = 0
    var slowConsumers = 0
    /// The sequencing time of the first sampled message delivered this tick (0 = none): after
    /// the flush it becomes one observation of `chatd_publish_flush_seconds`.
    var sampledPublish: UInt64 = 0
    var shutdownDeadline: UInt64 = 0
    var shuttingDown: Bool { shutdownDeadline != 0 }

    init(loop: EventLoop, hub: ChatHub, limits: ChatLimits, irc: IRCServerSettings, web: WebServerSettings? = nil, logger: Logger) {
        self.loop = loop
        self.hub = hub
        self.irc = irc
        self.web = web
        self.limits = limits
        self.logger = logger
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        flushList.reserveCapacity(1024)
        batch.reserveCapacity(1024)
    }

    deinit {
        readBuffer.deallocate()
        tlsScratch.deallocate()
    }

    static func token(slot: Int, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(truncatingIfNeeded: slot))
    }

    /// Listening sockets stay level-triggered (nginx does the same): an accept batch cut short
    /// by the fairness cap or EMFILE is reported again without needing a new edge.
    /// EPOLLEXCLUSIVE on a shared fd wakes one loop per connection instead of all (epoll_ctl(2)).
    func addListener(_ fd: CInt, owned: Bool, scheme: ListenScheme, tls: Bool = false) throws(Errno) {
        let idx = UInt64(listeners.count)
        listeners.append(Listener(fd: fd, owned: owned, scheme: scheme, tls: tls))
        try loop.epoll.add(fd, events: owned ? [.readable] : [.readable, .exclusive], token: Self.listenerTokenBase | idx)
    }

    // MARK: EventLoopHandler

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        if token & Self.listenerTokenBase != 0 {
            // The same epoll batch may hold a shutdown (which closed the listeners) before
            // this event.
            let i = Int(token & 0xFFFF)
            if !shuttingDown && i < listeners.count { acceptConnections(listeners[i]) }
            return
        }
        guard let conn = connection(forToken: token) else { return }  // stale: slot reused
        if !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]) {
            conn.readable = true
            // A TLS write that wanted to read resumes on this edge (TLSConnection.retry).
            if let tls = conn.tls, tls.writeWantsRead {
                conn.writable = true
                markDirty(conn)
            }
            readFromSocket(conn)
        }
        if events.contains(.writable) {
            conn.writable = true
            // A TLS handshake or read that wanted to write resumes on this edge.
            if let tls = conn.tls, slots[conn.id.slot] === conn, tls.state == .handshaking || tls.readWantsWrite {
                readFromSocket(conn)
            }
            if !conn.outbound.isEmpty { markDirty(conn) }
        }
    }

    func loopWasWoken(_ loop: EventLoop) {
        drainMailbox()
    }

    func loop(_ loop: EventLoop, timer: Timer) {
        guard let kind = TimerKind(rawValue: timer.kind) else { return }
        switch kind {
        case .acceptRetry: resumeAccepting()
        case .shutdownDeadline: finishShutdown()
        default:
            guard let conn = connection(forToken: timer.token) else { return }
            connectionTimer(conn, kind: kind)
        }
    }

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        // Re-posted readers first (they were cut short by the read budget last tick).
        if !readQueue.isEmpty {
            swap(&readQueue, &reading)
            for c in reading where slots[c.id.slot] === c {
                c.inReadQueue = false
                readFromSocket(c)
            }
            reading.removeAll(keepingCapacity: true)
        }
        drainMailbox()
        processCloses()
        let more = flushAll()
        processCloses()
        releaseIdleQueues()
        publishStats()
        recordTick()
        if shuttingDown && liveConnections == 0 { loop.stop() }
        return more || !readQueue.isEmpty || hub.mailboxes[loop.index].hasPending
    }

    // MARK: slots

    func connection(forToken token: UInt64) -> Connection? {
        let slot = Int(token & 0xFFFF_FFFF)
        guard slot < slots.count, let c = slots[slot], c.id.generation == UInt32(token >> 32) else { return nil }
        return c
    }

    func connection(for id: ConnectionID) -> Connection? {
        guard id.loop == loop.index, id.slot < slots.count, let c = slots[id.slot], c.id == id else { return nil }
        return c
    }

    func allocateSlot() -> (slot: Int, generation: UInt32) {
        if let s = freeSlots.popLast() {
            generations[s] = (generations[s] &+ 1) & 0xFF_FFFF
            if generations[s] == 0 { generations[s] = 1 }  // 0 is ConnectionID.none
            return (s, generations[s])
        }
        slots.append(nil)
        generations.append(1)
        return (slots.count - 1, 1)
    }

    // MARK: accepting

    func acceptConnections(_ listener: Listener) {
        for _ in 0..<Self.acceptBatch {
            let fd: CInt
            let peer: SocketAddress
            do {
                switch try Socket.accept(listener.fd) {
                case .processed(let accepted): (fd, peer) = accepted
                case .wouldBlock: return
                }
            } catch {
                if error.isFileDescriptorExhaustion {
                    pauseAccepting(error)
                    return
                }
                // ECONNABORTED and friends concern that one connection only (accept(2)).
                continue
            }
            if shuttingDown {
                Posix.close(fd)
                continue
            }
            setUp(fd: fd, peer: peer, wire: listener.scheme, tls: listener.tls)
        }
    }

    /// Out of fds (EMFILE/ENFILE): stop polling the listeners for a moment rather than spin on a
    /// level-triggered listener that cannot be served; existing clients keep being served, and
    /// the backlog waits in the kernel until fds free up.
    func pauseAccepting(_ error: Errno) {
        guard !acceptPaused else { return }
        acceptPaused = true
        for l in listeners {
            do { try loop.epoll.remove(l.fd) } catch {
                logger.error("cannot pause a listener", metadata: ["chat.reason": "\(error)"])
            }
        }
        logger.warning("accept paused: out of file descriptors", metadata: ["chat.reason": "\(error)"])
        loop.schedule(Timer(deadline: loop.now &+ 100_000_000, token: 0, kind: TimerKind.acceptRetry.rawValue))
    }

    func resumeAccepting() {
        guard acceptPaused, !shuttingDown else { return }
        acceptPaused = false
        for (i, l) in listeners.enumerated() {
            try? loop.epoll.add(l.fd, events: l.owned ? [.readable] : [.readable, .exclusive], token: Self.listenerTokenBase | UInt64(i))
        }
    }

    func setUp(fd: CInt, peer: SocketAddress, wire: ListenScheme, tls: Bool) {
        Socket.setNoDelay(fd)
        let refusal = hub.admit(address: peer.host, limits: limits)
        let (slot, generation) = allocateSlot()
        let id = ConnectionID(loop: loop.index, slot: slot, generation: generation)
        let bucket = TokenBucket(ratePerSecond: limits.msgRate, burst: limits.msgBurst, now: loop.now)
        let conn = Connection(
            fd: fd, id: id, wire: wire, peer: peer, admitted: refusal == nil, bucket: bucket, now: loop.now,
            metricsProtocol: MetricProtocol.index(wire, tls: tls))
        if wire == .irc { conn.session = .irc(IRCState(registration: IRCRegistration(irc.registration))) }
        if wire == .http {
            conn.session = .web(WebState(limits: web?.httpLimits ?? HTTPLimits(), deadline: loop.now &+ limits.handshakeTimeout))
        }
        do {
            try loop.epoll.add(fd, events: .connection, token: conn.token)
        } catch {
            if refusal == nil { hub.release(address: conn.address) }
            Posix.close(fd)
            freeSlots.append(slot)
            return
        }
        slots[slot] = conn
        liveConnections += 1
        stats.add(LoopStats.Slot.accepted(conn.metricsProtocol), 1)
        // Before the refusal below: a refused TLS client still gets its reason, once the
        // handshake is done (within the close timeout).
        if tls && !startTLS(conn) { return }
        if let refusal {
            logger.notice("connection refused", metadata: ["chat.peer": "\(peer)", "chat.reason": "\(refusal)"])
            closeGracefully(conn, .refused, error: refusal.description, reason: "\(refusal)")
            return
        }
        if let ban = hub.serverBans.match(address: conn.address) {
            logger.notice("connection refused: server ban", metadata: ["chat.peer": "\(peer)", "chat.reason": "\(ban.mask)"])
            closeGracefully(conn, .refused, error: ban.refusal, reason: "server ban")
            return
        }
        logger.debug("connection accepted", metadata: ["chat.peer": "\(peer)"])
        schedule(conn, .handshake, at: loop.now &+ limits.handshakeTimeout)
        if limits.idleTimeout > 0 { schedule(conn, .idle, at: loop.now &+ limits.idleTimeout) }
        if wire == .irc { schedule(conn, .ircPing, at: loop.now &+ irc.pingInterval) }
    }

    /// `--handshake-timeout` as people write it ("10", "2.5").
    var handshakeSeconds: String {
        let secs = Double(limits.handshakeTimeout) / 1e9
        return secs == secs.rounded() ? "\(Int(secs))" : "\(secs)"
    }

    func schedule(_ conn: Connection, _ kind: TimerKind, at deadline: UInt64) {
        loop.schedule(Timer(deadline: deadline, token: conn.token, kind: kind.rawValue))
    }

    // MARK: timers

    func connectionTimer(_ conn: Connection, kind: TimerKind) {
        switch kind {
        case .handshake:
            if conn.tls?.state == .handshaking && conn.closeReason == nil {
                // No TLS session yet, so no way to tell the client: just close.
                logger.notice("TLS handshake timeout", metadata: meta(conn))
                drop(conn, .handshakeTimeout, reason: "TLS handshake timeout")
            } else if let state = conn.web {
                webDeadlinePassed(conn, state)
            } else if conn.phase == .handshake && conn.closeReason == nil {
                let what = conn.wire == .irc ? "registration" : "username"
                closeGracefully(conn, .handshakeTimeout, error: "handshake timeout: no \(what) within \(handshakeSeconds) s", reason: "handshake timeout")
            }
        case .idle:
            guard limits.idleTimeout > 0, conn.phase != .closing else { return }
            let due = conn.lastActivity &+ limits.idleTimeout
            if due <= loop.now {
                closeGracefully(conn, .idleTimeout, error: "idle timeout", reason: "idle timeout")
            } else {
                schedule(conn, .idle, at: due)
            }
        case .softLimit:
            if conn.softSince != 0 { checkOutputLimits(conn) }
        case .resumeReading:
            if conn.pausedForRate {
                conn.pausedForRate = false
                resumeInput(conn)
            }
        case .ircPing:
            ircPingTimer(conn)
        case .webPing:
            webPingTimer(conn)
        case .authTimeout:
            authTimeoutPassed(conn)
        case .linger:
            destroy(conn)
        default:
            break
        }
    }

    func publishStats() {
        // This loop is the only writer: load + store, no locked read-modify-write.
        if messagesIn > 0 { stats.messagesIn.store(stats.messagesIn.load(ordering: .relaxed) &+ messagesIn, ordering: .relaxed); messagesIn = 0 }
        if deliveries > 0 { stats.deliveries.store(stats.deliveries.load(ordering: .relaxed) &+ deliveries, ordering: .relaxed); deliveries = 0 }
        if slowConsumers > 0 {
            stats.slowConsumerDisconnects.store(stats.slowConsumerDisconnects.load(ordering: .relaxed) &+ slowConsumers, ordering: .relaxed)
            slowConsumers = 0
        }
        stats.connections.store(liveConnections, ordering: .relaxed)
    }

    /// This tick's duration, from the end of epoll_wait to now, into `chatd_loop_tick_seconds`:
    /// one vDSO clock read and two single-writer stores per tick.
    func recordTick() {
        let end = Monotonic.now()
        let took = end &- loop.now
        stats.add(LoopStats.Slot.tickBucket(TickHistogram.bucket(took)), 1)
        stats.add(LoopStats.Slot.tickNanoseconds, Int(truncatingIfNeeded: took))
        if sampledPublish != 0 {
            // Another loop's clock read can be a few ns ahead of ours: clamp, never wrap.
            let latency = end > sampledPublish ? end &- sampledPublish : 0
            stats.add(LoopStats.Slot.publishFlushBucket(TickHistogram.bucket(latency)), 1)
            stats.add(LoopStats.Slot.publishFlushNanoseconds, Int(truncatingIfNeeded: latency))
            sampledPublish = 0
        }
    }
}
