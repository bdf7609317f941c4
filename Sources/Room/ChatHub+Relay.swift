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
    /// numbered) and topic. Joins that waited for it complete now, in the order they came.
    /// Called on the relay's thread (no loop).
    public func restoreRelayed(_ room: Room, lastSequence: UInt64, history: [RoomEvent], topic: RoomTopic?) {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        let restored = room.state.withLock { st -> (Int, Range<UInt64>)? in
            guard !st.removed, !st.restored else { return nil }
            st.restored = true
            st.sequence = max(st.sequence, lastSequence)
            if let topic { st.topic = topic }
            let first = st.history.appended
            var grew = 0
            for event in history { grew += st.history.append(event) }
            let waiting = st.pendingJoins
            st.pendingJoins = []
            for j in waiting {
                let event = RoomEvent(kind: .join, room: room.name, source: j.source, text: "", time: RoomEvent.now())
                admit(j.id, source: j.source, joinSequence: j.sequence, wantsRoster: j.wantsRoster, event: event, to: room,
                      state: &st, quietAbove: quietAbove, currentLoop: -1, wake: &wake)
            }
            return (grew, first..<st.history.appended)
        }
        ring(wake)
        if let restored, !restored.1.isEmpty { charge(restored.0, room, restored.1, -1) }
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
