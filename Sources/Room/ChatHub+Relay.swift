import EventLoop

/// The hub's side of a relay (`--cluster`, `RoomRelay`): what the relay's thread calls to
/// deliver numbered events, install a room's past and tell clients about the link. None of
/// these runs on a loop (`currentLoop` -1: every mailbox post rings).
extension ChatHub {
    /// An archived event numbered by the relay, in the relay's order: delivered like a local
    /// publish. Returns false if the room is gone from the directory (the relay forgets it).
    @discardableResult
    public func deliverRelayed(_ event: RoomEvent, in room: Room, number: UInt64, except: ConnectionID) -> Bool {
        sequenced(event, in: room, number: number, except: except, currentLoop: -1)
    }

    /// The relay's answer to `sync`: the room's last number, its newest messages (oldest first,
    /// numbered), topic and the members on other nodes (by member key). Joins that waited for
    /// it complete now, in the order they came. Called on the relay's thread (no loop).
    public func restoreRelayed(
        _ room: Room, lastSequence: UInt64, history: [RoomEvent], topic: RoomTopic?, remoteMembers: [String: EventSource] = [:]
    ) {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        var admitted: [(ConnectionID, RoomEvent)] = []
        let restored = room.state.withLock { st -> (Int, Range<UInt64>)? in
            guard !st.removed, !st.restored else { return nil }
            st.restored = true
            st.sequence = max(st.sequence, lastSequence)
            if let topic { st.topic = topic }
            st.remote = remoteMembers
            let first = st.history.appended
            var grew = 0
            for event in history { grew += st.history.append(event) }
            let waiting = st.pendingJoins
            st.pendingJoins = []
            for j in waiting {
                let event = RoomEvent(kind: .join, room: room.name, source: j.source, text: "", time: RoomEvent.now())
                admit(j.id, source: j.source, joinSequence: j.sequence, wantsRoster: j.wantsRoster, event: event, to: room,
                      state: &st, quietAbove: quietAbove, currentLoop: -1, wake: &wake)
                admitted.append((j.id, event))
            }
            return (grew, first..<st.history.appended)
        }
        ring(wake)
        if let relay {
            for (id, event) in admitted { relay.presence(event, in: room, member: id) }
        }
        if let restored, !restored.1.isEmpty { charge(restored.0, room, restored.1, -1) }
    }

    /// The relay could not read the room's past in time (the cluster link is down): the joins
    /// that waited for it are refused with `reason`, and the room is left to be synced again by
    /// the next join. Returns how many were refused.
    @discardableResult
    public func refusePendingJoins(_ room: Room, reason: String) -> Int {
        let waiting = room.state.withLock { st -> [Room.PendingJoin] in
            guard !st.restored else { return [] }
            let w = st.pendingJoins
            st.pendingJoins = []
            return w
        }
        for j in waiting { mailboxes[j.id.loop].post(.joinRefused(j.id, room: room, sequence: j.sequence, reason: reason)) }
        rooms.removeIfUnused(room)
        return waiting.count
    }

    /// A presence event (join, part, quit, nick, away) of `member` (`node|connection`), a member
    /// on another node, numbered by the relay: this node's copy of the room's members follows
    /// it, and local members see it if it changed something. Returns false if the room is gone.
    @discardableResult
    public func deliverRelayedPresence(_ event: RoomEvent, in room: Room, number: UInt64, member: String) -> Bool {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        let alive = room.state.withLock { st -> Bool in
            if st.removed { return false }
            st.sequence = number
            event.sequence = number
            let changed: Bool
            switch event.kind {
            case .join:
                changed = st.remote.updateValue(event.source, forKey: member) == nil
            case .part, .quit:
                changed = st.remote.removeValue(forKey: member) != nil
            case .nick:
                changed = st.remote[member] != nil
                st.remote[member]?.nick = event.text
            default:
                changed = st.remote[member] != nil
            }
            guard changed else { return true }
            event.crowded = st.members.count + st.remote.count > quietAbove
            post(event, room: room, state: st, except: .none, currentLoop: -1, wake: &wake)
            return true
        }
        ring(wake)
        return alive
    }

    /// Redis lost the room's data (a new epoch): this node's copy of the members on other nodes
    /// is dropped silently; their nodes re-assert them, and they arrive again as joins.
    public func resetRelayedMembers(_ room: Room) {
        room.state.withLock { $0.remote = [:] }
    }

    /// `member`'s node stopped refreshing its presence (killed, cut off from Redis): it is gone
    /// from the room, and local members see it quit with `reason`.
    @discardableResult
    public func relayedMemberGone(_ member: String, in room: Room, number: UInt64, reason: String) -> Bool {
        guard let source = room.state.withLock({ $0.remote[member] }) else {
            return room.state.withLock { st in
                if !st.removed { st.sequence = number }
                return !st.removed
            }
        }
        let event = RoomEvent(kind: .quit, room: room.name, source: source, text: reason, time: RoomEvent.now())
        return deliverRelayedPresence(event, in: room, number: number, member: member)
    }

    /// Tells one connection that something it sent was not taken (a send the relay refused).
    public func refuse(_ id: ConnectionID, _ reason: String) {
        guard id != .none else { return }
        mailboxes[id.loop].post(.refused(id, reason))
    }

    /// Closes one connection with an error (its nickname is held by another node).
    public func evict(_ id: ConnectionID, _ reason: String) {
        guard id != .none else { return }
        mailboxes[id.loop].post(.evict(id, reason))
    }

    /// A server notice for every logged-in connection on every loop (the cluster link's state).
    public func tellEveryone(_ text: String) {
        for m in mailboxes { m.post(.noticeToAll(text)) }
    }

    /// A server notice for the members of `room` on this node (messages the relay lost).
    public func tell(room: Room, _ text: String) {
        let loops = room.state.withLock { st in (0..<loopCount).filter { st.membersPerLoop[$0] > 0 } }
        for l in loops { mailboxes[l].post(.roomNotice(roomID: room.id, text)) }
    }
}
