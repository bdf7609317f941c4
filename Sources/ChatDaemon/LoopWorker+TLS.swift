import EventLoop
import Glibc
import Logging
import Room
import TLS

/// TLS listeners (framed+tls://, ircs://): the same read, decode and flush paths with a
/// `TLSConnection` between the socket and the protocol. Encoding stays per message (the shared
/// frames in the write queue); encryption is per recipient (`WriteQueue.flush(through:)`).
///
/// Readiness: a TLS read can need the socket writable and a TLS write readable (OpenSSL's
/// WANT_WRITE / WANT_READ); `TLSConnection.retry` tells the event handler which path an edge
/// resumes. Reads run until `.wantRead` (which clears `readable`) or the read budget (which
/// re-posts the connection, `readable` still set): records already inside OpenSSL are then
/// read on the next tick although no edge will announce them.
extension LoopWorker {
    /// A TLS listener accepted `conn`: start its session. False (and `conn` destroyed) when this
    /// loop already runs `tlsMaxHandshakes` handshakes or the session cannot be created.
    func startTLS(_ conn: Connection) -> Bool {
        guard let context = tlsContext else {
            drop(conn, .tlsError, reason: "TLS listener without a certificate")
            return false
        }
        guard tlsHandshakes < limits.tlsMaxHandshakes else {
            logger.notice("TLS handshake refused: too many in progress", metadata: meta(conn, reason: "tls-max-handshakes = \(limits.tlsMaxHandshakes)"))
            drop(conn, .refused, reason: "too many TLS handshakes in progress")
            return false
        }
        do {
            conn.tls = try TLSConnection(context: context.current, fd: conn.fd)
        } catch {
            drop(conn, .tlsError, reason: "\(error)")
            return false
        }
        tlsHandshakes &+= 1
        return true
    }

    /// The read side of a TLS connection: the handshake first, then decrypt until `.wantRead`
    /// within the read budget, feeding the protocol decoder exactly as plain reads do.
    func readFromTLS(_ conn: Connection, _ tls: TLSConnection) {
        if tls.state == .handshaking {
            switch tls.handshake() {
            case .established:
                tlsHandshakes &-= 1
                logger.debug(
                    "TLS established",
                    metadata: meta(conn, reason: "\(tls.protocolVersion) \(tls.cipher)\(tls.sessionReused ? " resumed" : "")"))
                // Output queued during the handshake (an admission refusal) can go now.
                conn.writable = true
                if !conn.outbound.isEmpty { markDirty(conn) }
            case .wantRead:
                conn.readable = false
                return
            case .wantWrite:
                return  // the next EPOLLOUT edge resumes it
            case .failed(let reason):
                tlsHandshakes &-= 1
                logger.notice("TLS handshake failed", metadata: meta(conn, reason: reason.description))
                drop(conn, .tlsError, reason: "TLS handshake failed: \(reason)")
                return
            }
        }
        var budget = Self.readBudget
        while !conn.pausedForRate && slots[conn.id.slot] === conn {
            if budget <= 0 {
                if !conn.inReadQueue { conn.inReadQueue = true; readQueue.append(conn) }
                return
            }
            switch tls.read(into: readBuffer) {
            case .bytes(let n):
                budget &-= n
                stats.add(LoopStats.Slot.bytesIn(conn.metricsProtocol), n)
                if conn.phase == .closing { continue }
                feed(conn, UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
            case .wantRead:
                conn.readable = false
                return
            case .wantWrite:
                return  // `tls.readWantsWrite`: the next EPOLLOUT edge re-runs the read
            case .closed(let reason):
                conn.readable = false
                switch reason {
                case .closeNotify, .endOfFileWithoutCloseNotify:
                    peerFinished(conn)
                case .socket(let e) where e.rawValue == ECONNRESET:
                    drop(conn, .networkError, reason: "connection reset by peer")
                default:
                    drop(conn, .networkError, reason: reason.description)
                }
                return
            }
        }
    }

    /// Writes `conn`'s queue through TLS, or to the socket directly.
    func flushOutput(_ conn: Connection, budget: Int) -> ConnectionFlush {
        // Bytes out are what left the queue (plaintext through TLS): one subtraction per flush.
        let queued = conn.outbound.pendingBytes
        defer { stats.add(LoopStats.Slot.bytesOut(conn.metricsProtocol), queued &- conn.outbound.pendingBytes) }
        guard let tls = conn.tls else {
            switch conn.outbound.flush(to: conn.fd, using: iovecs, budget: budget) {
            case .drained: return .drained
            case .blocked: return .blocked
            case .budgetExhausted: return .budgetExhausted
            case .failed(let e): return .failed("write failed: \(e)")
            }
        }
        // Nothing can be encrypted before the handshake ends; `readFromTLS` re-marks the
        // connection dirty then.
        if tls.state == .handshaking { return .waiting }
        switch conn.outbound.flush(through: tls, scratch: tlsScratch, budget: budget) {
        case .drained: return .drained
        case .blocked: return .blocked
        case .budgetExhausted: return .budgetExhausted
        case .closed(.socket(let e)): return .failed("write failed: \(e)")
        case .closed(let reason): return .failed(reason.description)
        }
    }

    /// Sends close_notify (once, if the session is intact) before the write side shuts down.
    func closeTLS(_ conn: Connection) {
        guard let tls = conn.tls else { return }
        if tls.state == .handshaking { tlsHandshakes &-= 1 }
        tls.shutdown()
    }
}

/// How writing a connection's queue ended.
enum ConnectionFlush: Equatable {
    case drained
    /// The socket (or OpenSSL) needs an edge first.
    case blocked
    /// A TLS session still in its handshake: the queue waits for it.
    case waiting
    case budgetExhausted
    case failed(String)
}
