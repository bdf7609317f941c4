import EventLoop
import Room

/// The loop's local members of each room, one list per wire protocol, and delivery of room
/// events to them: each protocol's bytes are fetched (or encoded) once per event, then every
/// member of that protocol gets a retain and an append — no per-recipient dispatch.
struct RoomMembers {
    var framed: [Connection] = []
    var irc: [Connection] = []
    var web: [Connection] = []

    var isEmpty: Bool { framed.isEmpty && irc.isEmpty && web.isEmpty }
}

extension LoopWorker {
    /// `.deliver`: the event to every local member of its room except `except`.
    @inline(__always)
    func deliver(_ event: RoomEvent, roomID: Int, except: ConnectionID) {
        guard let list = members[roomID] else { return }
        let before = deliveries
        if !list.framed.isEmpty, let bytes = FramedEncoding.bytes(for: event) {
            for conn in list.framed where conn.id != except { enqueue(bytes, to: conn) }
        }
        if !list.irc.isEmpty { deliverIRC(event, to: list.irc, except: except) }
        if !list.web.isEmpty, let bytes = WebEncoding.bytes(for: event) {
            for conn in list.web where conn.id != except { enqueue(bytes, to: conn) }
        }
        // Sampled only where it reached someone (the sender's own loop may have no one else).
        if event.publishedAt != 0 && sampledPublish == 0 && deliveries != before { sampledPublish = event.publishedAt }
    }

    /// Makes the membership `at` of `conn` active in the local member list of its room.
    func addLocalMember(_ conn: Connection, at i: Int) {
        let roomID = conn.rooms[i].room.id
        var list = members.removeValue(forKey: roomID) ?? RoomMembers()
        switch conn.wire {
        case .framed:
            conn.rooms[i].index = list.framed.count
            list.framed.append(conn)
        case .irc:
            conn.rooms[i].index = list.irc.count
            list.irc.append(conn)
        case .http:
            conn.rooms[i].index = list.web.count
            list.web.append(conn)
        case .metrics: ListenScheme.notAChatProtocol()
        }
        members[roomID] = list
    }

    /// Removes `conn`'s membership `at` from the loop's member list and from `conn.rooms`.
    func removeLocalMember(_ conn: Connection, at i: Int) {
        let membership = conn.rooms.remove(at: i)
        let idx = membership.index
        guard idx >= 0, var list = members.removeValue(forKey: membership.room.id) else { return }
        switch conn.wire {
        case .framed: Self.swapRemove(conn, at: idx, from: &list.framed, room: membership.room)
        case .irc: Self.swapRemove(conn, at: idx, from: &list.irc, room: membership.room)
        case .http: Self.swapRemove(conn, at: idx, from: &list.web, room: membership.room)
        case .metrics: ListenScheme.notAChatProtocol()
        }
        if !list.isEmpty { members[membership.room.id] = list }
    }

    private static func swapRemove(_ conn: Connection, at idx: Int, from list: inout [Connection], room: Room) {
        guard idx < list.count, list[idx] === conn else { return }
        let last = list.count - 1
        if idx != last {
            let moved = list[last]
            if let m = moved.membershipIndex(of: room) { moved.rooms[m].index = idx }
            list.swapAt(idx, last)
        }
        list.removeLast()
    }
}
