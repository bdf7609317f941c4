import EventLoop
import Glibc
import Logging
import Room

/// The write side and the end of a connection's life: queue shared frames, enforce the
/// slow-consumer limits, flush each dirty connection once per tick, and close in a fixed order
/// (chat state → timers lapse lazily → slot → fd).
extension LoopWorker {
    /// Queues a frame to `conn`. Over the soft limit the slow-consumer policy decides.
    /// Deliveries (room traffic, private messages) are counted for STATUS=; replies are not.
    @inline(__always)
    func enqueue(_ frame: SharedBytes, to conn: Connection, isDelivery: Bool = true) {
        guard conn.closeReason == nil else { return }
        conn.outbound.enqueue(frame)
        if isDelivery { deliveries &+= 1 }
        markDirty(conn)
        if conn.outbound.pendingBytes > limits.queueSoftBytes { checkOutputLimits(conn) }
    }

    /// Queues the bytes of `frame` from `offset` on (IRC recipients without server-time skip
    /// the shared encoding's `@time=` tag).
    @inline(__always)
    func enqueue(_ frame: SharedBytes, from offset: Int, to conn: Connection) {
        guard conn.closeReason == nil else { return }
        conn.outbound.enqueue(frame, from: offset)
        deliveries &+= 1
        markDirty(conn)
        if conn.outbound.pendingBytes > limits.queueSoftBytes { checkOutputLimits(conn) }
    }

    /// A reply to the client itself (`*` notices, history replay).
    func reply(_ conn: Connection, _ frame: SharedBytes) {
        enqueue(frame, to: conn, isDelivery: false)
    }

    @inline(__always)
    func markDirty(_ conn: Connection) {
        if !conn.inFlushList {
            conn.inFlushList = true
            flushList.append(conn)
        }
    }

    func checkOutputLimits(_ conn: Connection) {
        switch OutputPolicy.check(pending: conn.outbound.pendingBytes, softSince: &conn.softSince, now: loop.now, limits: limits) {
        case .ok: break
        case .overSoftLimit(let deadline): schedule(conn, .softLimit, at: deadline)
        case .disconnect(let reason):
            slowConsumers &+= 1
            logger.warning("disconnecting slow consumer", metadata: meta(conn, reason: reason))
            // One last error frame in case the client can still take it, then close without
            // waiting: a consumer this far behind will not drain the rest.
            if let last = goodbye(conn, error: "disconnected: \(reason)", notice: nil) { conn.outbound.enqueue(last) }
            _ = flushOutput(conn, budget: 64 * 1024)
            condemn(conn, .slowConsumer, reason: reason, quit: "slow consumer")
            conn.outbound.removeAll()
            if !conn.halfClosed { closeList.append(conn) }
        }
    }

    /// Flushes every connection that got output this tick. Returns true if some connection
    /// still has data and budget ran out (it stays in the list for the next tick).
    func flushAll() -> Bool {
        guard !flushList.isEmpty else { return false }
        var again = false
        // Swap buffers rather than copy-and-clear: clearing an array that is still shared
        // would allocate a fresh buffer every tick.
        swap(&flushList, &flushing)
        defer { flushing.removeAll(keepingCapacity: true) }
        for conn in flushing {
            conn.inFlushList = false
            guard slots[conn.id.slot] === conn, conn.writable, !conn.outbound.isEmpty else { continue }
            switch flushOutput(conn, budget: Self.writeBudget) {
            case .drained:
                conn.softSince = 0
                if !conn.inTrimList {
                    conn.inTrimList = true
                    trimList.append(conn)
                }
                if conn.phase == .closing { finishGracefulClose(conn) }
            case .blocked:
                conn.writable = false  // the next EPOLLOUT edge brings it back
            case .waiting:
                break  // the TLS handshake re-marks it when done
            case .budgetExhausted:
                markDirty(conn)
                again = true
            case .failed(let reason):
                drop(conn, .networkError, reason: reason)
            }
        }
        return again
    }

    /// Once a second, queues that drained give their array storage back if nothing was queued
    /// since: an idle connection holds no output array, and a busy one reallocates it at most
    /// once a second (nothing per delivery). Stale timers go too once they are many.
    func releaseIdleQueues() {
        guard loop.now >= nextTrim else { return }
        nextTrim = loop.now &+ 1_000_000_000
        for conn in trimList {
            conn.inTrimList = false
            conn.outbound.releaseStorageIfEmpty()
        }
        trimList = []
        // Amortized O(1) per stale timer: a compaction needs a quarter of the heap gone stale.
        if staleTimers > 1024 && staleTimers &* 4 > loop.timerCount { compactTimers() }
    }

    /// Drops the timers that can no longer do anything: those of closed connections, and the
    /// handshake timers of connections that logged in (lazily cancelled, they would otherwise
    /// hold heap memory for a whole `--handshake-timeout` after each login).
    func compactTimers() {
        staleTimers = 0
        loop.compactTimers { [unowned self] t in
            guard t.token != 0 else { return true }
            guard let conn = self.connection(forToken: t.token) else { return false }
            return t.kind != TimerKind.handshake.rawValue || conn.phase != .active
        }
    }

    /// Ends the chat side of a connection once: leaves its rooms with a quit event (`quit` is
    /// the reason others see; nil = no event), frees its name and its admission slot. The socket
    /// may live on briefly to flush a goodbye.
    func condemn(_ conn: Connection, _ cause: CloseCause, reason: String, quit: String?) {
        guard conn.closeReason == nil else { return }
        conn.closeReason = reason
        conn.closeCause = cause
        if conn.phase == .handshake, let failure = cause.handshakeFailure {
            stats.add(LoopStats.Slot.handshakeFailures(failure), 1)
        }
        // The admission slot first: a client told of the leave (on another loop, at once) that
        // reconnects must find it free (E2EBadInputTests.maxConns raced on a loaded machine).
        if conn.admitted { hub.release(address: conn.address) }
        leaveAllRooms(conn, quitReason: shuttingDown ? nil : quit)
        if conn.phase == .active { hub.nicknames.release(conn.name, for: conn.id) }
        conn.phase = .closing
        conn.inbound = nil
        logger.info("connection closed", metadata: meta(conn, reason: reason))
    }

    /// Sends a last error or notice (a `*` frame, an IRC `ERROR`), then closes after it is flushed: the
    /// write side is shut down and the read side drained until the peer's FIN (or a short
    /// linger timeout), so the kernel does not answer unread input with an RST that could
    /// destroy the frame in flight (the lingering close nginx and Apache do).
    func closeGracefully(
        _ conn: Connection, _ cause: CloseCause, error: String? = nil, notice: String? = nil, reason: String, quit: String = ""
    ) {
        guard conn.closeReason == nil else { return }
        if let last = goodbye(conn, error: error, notice: notice) { conn.outbound.enqueue(last) }
        condemn(conn, cause, reason: reason, quit: quit)
        markDirty(conn)
        let limit = loop.now &+ Self.closeTimeout
        schedule(conn, .linger, at: shuttingDown ? min(shutdownDeadline, limit) : limit)
        if conn.outbound.isEmpty { finishGracefulClose(conn) }
    }

    func finishGracefulClose(_ conn: Connection) {
        guard !conn.halfClosed else { return }
        if conn.peerClosed {
            destroy(conn)  // nothing left to linger for
            return
        }
        conn.halfClosed = true
        closeTLS(conn)
        Posix.shutdown(conn.fd, CInt(SHUT_WR))
        let deadline = shuttingDown ? min(shutdownDeadline, loop.now &+ Self.lingerTimeout) : loop.now &+ Self.lingerTimeout
        schedule(conn, .linger, at: deadline)
        // Input may already be waiting (or the FIN): no new edge would report it.
        if conn.readable { readFromSocket(conn) }
    }

    /// The peer is gone (EOF, reset, write error): close now.
    func drop(_ conn: Connection, _ cause: CloseCause, reason: String, quit: String = "") {
        condemn(conn, cause, reason: reason, quit: quit)
        destroy(conn)
    }

    func processCloses() {
        guard !closeList.isEmpty else { return }
        let list = closeList
        closeList = []
        for conn in list { destroy(conn) }
    }

    /// Frees the slot and closes the fd. Closing removes the fd from epoll (epoll(7)); events
    /// already fetched for it are rejected by the slot generation check.
    func destroy(_ conn: Connection) {
        guard slots[conn.id.slot] === conn else { return }
        if conn.closeReason == nil { condemn(conn, .other, reason: "closed", quit: nil) }
        slots[conn.id.slot] = nil
        freeSlots.append(conn.id.slot)
        liveConnections -= 1
        stats.add(LoopStats.Slot.closed(conn.metricsProtocol, conn.closeCause), 1)
        conn.outbound.removeAll()
        closeTLS(conn)
        Posix.close(conn.fd)
        if acceptPaused { resumeAccepting() }
        // Timers are cancelled lazily; once dead connections' timers outnumber live ones,
        // drop them so churn with long timeouts cannot grow the heap without bound.
        if loop.timerCount > 4 &* liveConnections &+ 1024 { compactTimers() }
    }
}
