import EventLoop
import Logging
import Room

/// Messages from the hub: room deliveries (already in the room's order), joins, private
/// messages, reconfiguration and shutdown.
extension LoopWorker {
    func drainMailbox() {
        hub.mailboxes[loop.index].take(into: &batch)
        guard !batch.isEmpty else { return }
        for message in batch {
            switch message {
            case .deliver(let roomID, let event, let except):
                deliver(event, roomID: roomID, except: except)
            case .joined(let joined):
                guard let conn = connection(for: joined.id), conn.closeReason == nil,
                      let i = conn.membershipIndex(of: joined.room), conn.rooms[i].sequence == joined.sequence,
                      conn.rooms[i].index < 0
                else { continue }
                showJoin(conn, joined, membership: i)
            case .direct(let id, let event):
                if let conn = connection(for: id), conn.closeReason == nil { deliverDirect(event, to: conn) }
            case .refused(let id, let reason):
                if let conn = connection(for: id), conn.closeReason == nil { refuse(reason, to: conn) }
            case .joinRefused(let id, let room, let sequence, let reason):
                joinRefused(id, room: room, sequence: sequence, reason: reason)
            case .evict(let id, let reason):
                if let conn = connection(for: id), conn.closeReason == nil {
                    logger.notice("connection closed: nickname held by another node", metadata: meta(conn, reason: reason))
                    closeGracefully(conn, .refused, error: reason, reason: reason)
                }
            case .noticeToAll(let text):
                for case let conn? in slots where conn.closeReason == nil && conn.phase == .active { serverNotice(text, to: conn) }
            case .roomNotice(let roomID, let text):
                guard let list = members[roomID] else { continue }
                for conn in list.framed { serverNotice(text, to: conn) }
                for conn in list.irc { serverNotice(text, to: conn) }
                for conn in list.web { serverNotice(text, to: conn) }
            case .reconfigure(let newLimits):
                apply(newLimits)
            case .shutdown(let deadline):
                beginShutdown(deadline: deadline)
            case .disconnect(let id, let notice):
                if let conn = connection(for: id), conn.closeReason == nil {
                    closeGracefully(conn, .kicked, notice: notice, reason: "kicked by the operator", quit: notice)
                }
            case .account(let id, let outcome):
                if let conn = connection(for: id), conn.closeReason == nil { accountAnswered(conn, outcome) }
            case .serverBan(let ban):
                enforce(ban)
            case .kicked(let id, let roomID):
                if let conn = connection(for: id) { kicked(conn, roomID: roomID) }
            case .drain(let notice):
                stopAccepting()
                for case let conn? in slots where conn.closeReason == nil {
                    closeGracefully(conn, .shutdown, notice: notice, reason: "server draining", quit: "server draining")
                }
            }
        }
        // Keep the capacity: the producers will fill this storage again after the next swap.
        batch.removeAll(keepingCapacity: true)
    }

    /// New limits apply to connections already open too: their rate, and idle timers when
    /// an idle timeout is switched on.
    func apply(_ newLimits: ChatLimits) {
        let armIdle = limits.idleTimeout == 0 && newLimits.idleTimeout > 0
        limits = newLimits
        for case let conn? in slots where conn.closeReason == nil {
            conn.bucket.ratePerSecond = newLimits.msgRate
            conn.bucket.burst = Double(max(1, newLimits.msgBurst))
            if armIdle { schedule(conn, .idle, at: loop.now &+ newLimits.idleTimeout) }
            if conn.pausedForRate && newLimits.msgRate <= 0 {
                conn.pausedForRate = false
                resumeInput(conn)
            }
        }
    }

    func beginShutdown(deadline: UInt64) {
        guard !shuttingDown else { return }
        shutdownDeadline = deadline
        stopAccepting()
        for case let conn? in slots where conn.closeReason == nil {
            closeGracefully(conn, .shutdown, notice: "server shutting down", reason: "server shutting down")
        }
        loop.schedule(Timer(deadline: deadline, token: 0, kind: TimerKind.shutdownDeadline.rawValue))
    }

    /// Closes this loop's listeners: a systemd-owned one stays open (its queue waits for the
    /// next instance); closing would deregister an owned fd anyway.
    func stopAccepting() {
        for l in listeners {
            try? loop.epoll.remove(l.fd)
            if l.owned { Posix.close(l.fd) }
        }
        listeners.removeAll()
    }

    /// The flush deadline passed: whatever is still queued is abandoned.
    func finishShutdown() {
        for case let conn? in slots { destroy(conn) }
        loop.stop()
    }
}
