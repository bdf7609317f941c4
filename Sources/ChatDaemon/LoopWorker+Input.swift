import ChatProtocol
import EventLoop
import Glibc
import Logging
import Room

/// The read side: drain the socket to EAGAIN (within the fairness budget), decode frames or lines
/// in place from the loop's read buffer, and keep only an incomplete one's bytes per connection.
extension LoopWorker {
    /// Hands input to the connection's protocol (the one place input is dispatched by protocol);
    /// returns how many bytes were used.
    func decode(_ conn: Connection, _ bytes: UnsafeRawBufferPointer) -> Int {
        switch conn.wire {
        case .framed: decodeFrames(conn, bytes)
        case .irc: decodeLines(conn, bytes)
        case .http: decodeWeb(conn, bytes)
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    func readFromSocket(_ conn: Connection) {
        // A lingering close (half-closed, close_notify sent) discards raw input below.
        if let tls = conn.tls, !conn.halfClosed {
            readFromTLS(conn, tls)
            return
        }
        var budget = Self.readBudget
        while conn.readable && !conn.pausedForRate && slots[conn.id.slot] === conn {
            if budget <= 0 {
                // Still readable: re-post to the next tick instead of starving other clients.
                // The edge is not lost because `readable` stays set until EAGAIN.
                if !conn.inReadQueue { conn.inReadQueue = true; readQueue.append(conn) }
                return
            }
            let n: Int
            do {
                switch try Posix.read(conn.fd, readBuffer) {
                case .processed(let r): n = r
                case .wouldBlock:
                    conn.readable = false
                    return
                }
            } catch {
                conn.readable = false
                drop(conn, .networkError, reason: error.rawValue == ECONNRESET ? "connection reset by peer" : "\(error)")
                return
            }
            if n == 0 {
                conn.readable = false
                peerFinished(conn)
                return
            }
            budget &-= n
            stats.add(LoopStats.Slot.bytesIn(conn.metricsProtocol), n)
            if conn.phase == .closing { continue }  // lingering close: discard input
            feed(conn, UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
        }
    }

    /// The peer is done sending (FIN, or TLS close_notify).
    func peerFinished(_ conn: Connection) {
        conn.peerClosed = true
        if conn.phase == .closing {
            destroy(conn)
        } else if conn.outbound.isEmpty {
            drop(conn, .peerClosed, reason: "client closed the connection")
        } else {
            // Half-close (shutdown(SHUT_WR), `nc -N`): the client is done sending but
            // may still be reading — deliver what is already queued for it, then close.
            closeGracefully(conn, .peerClosed, reason: "client closed the connection")
        }
    }

    /// Resumes a connection whose reading was paused (rate limit): frames already buffered
    /// first, then the socket — no new edge will come for data that arrived meanwhile.
    func resumeInput(_ conn: Connection) {
        if let ring = conn.inbound, !ring.isEmpty {
            conn.inbound = nil
            let consumed = ring.withContiguousReadableBytes { bytes -> Int in decode(conn, bytes) }
            ring.consume(consumed)
            if !ring.isEmpty && slots[conn.id.slot] === conn && conn.closeReason == nil { conn.inbound = ring }
        }
        if conn.readable { readFromSocket(conn) }
    }

    func feed(_ conn: Connection, _ chunk: UnsafeRawBufferPointer) {
        if let ring = conn.inbound {
            ring.append(chunk)
            let consumed = ring.withContiguousReadableBytes { bytes -> Int in decode(conn, bytes) }
            ring.consume(consumed)
            // Drop the buffer once drained: an idle connection holds no input memory.
            if ring.isEmpty { conn.inbound = nil }
            return
        }
        let consumed = decode(conn, chunk)
        if consumed < chunk.count && conn.closeReason == nil && slots[conn.id.slot] === conn {
            let rest = UnsafeRawBufferPointer(rebasing: chunk[consumed...])
            // Sized by the bytes actually received, not by the length the header claims: 11
            // bytes must not reserve 64 KiB. The ring doubles as more of the frame arrives.
            let ring = RingBuffer(minimumCapacity: rest.count)
            ring.append(rest)
            conn.inbound = ring
        }
    }

    func meta(_ conn: Connection, reason: String? = nil) -> Logger.Metadata {
        var m: Logger.Metadata = ["chat.peer": "\(conn.peer)"]
        if !conn.name.isEmpty { m["chat.user"] = "\(conn.name)" }
        if !conn.rooms.isEmpty { m["chat.room"] = "\(conn.rooms.map(\.room.name).joined(separator: ","))" }
        if conn.wire != .framed { m["chat.protocol"] = "\(conn.wire.rawValue)" }
        if let reason { m["chat.reason"] = "\(reason)" }
        return m
    }
}
