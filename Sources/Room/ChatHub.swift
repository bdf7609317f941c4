import EventLoop
import Synchronization

/// The state the loops share: rooms, nicknames, per-address connection counts, mailboxes and
/// counters. Every method is thread-safe and returns quickly; none does I/O. Loops call in
/// with their own index so posts to themselves skip the eventfd (they drain their own mailbox
/// at the end of every tick anyway).
public final class ChatHub: Sendable {
    public let loopCount: Int
    public let rooms: RoomDirectory
    public let nicknames: NicknameRegistry
    public let mailboxes: [Mailbox<LoopMessage>]
    private let limitsBox: Locked<ChatLimits>
    /// `limits.historyBudgetBytes`, readable on the publish path without the limits lock.
    private let historyBudget: Atomic<Int>
    /// Daemon-wide, so the budget evicts the oldest history entries of all loops (`HistoryLedger`).
    /// Its lock is taken after the room's lock is released; evictions then take room locks
    /// inside it (ledger → directory → room), never the other way round.
    let historyLedger = Locked(HistoryLedger())
    private let perAddress = Locked<[String: Int]>([:])
    public let connectionCount = Atomic<Int>(0)

    /// Where archived kinds of events go, and where a room created anew reads its past from.
    public let archive: (any RoomArchive)?
    /// With `--cluster`: what numbers and spreads archived kinds of events instead of this hub
    /// (`RoomRelay`); presence stays local and takes the number of the room's last message.
    public let relay: (any RoomRelay)?
    /// Where rooms' moderation settings (founder, operators, bans, modes, key, topic) are kept.
    public let settingsStore: (any RoomSettingsStore)?
    /// Server-wide bans (`/gban`, `chatd ctl ban`), checked at connect and at login.
    public let serverBans: ServerBans

    public init(
        loopCount: Int, limits: ChatLimits, doorbells: [@Sendable () -> Void], archive: (any RoomArchive)? = nil,
        relay: (any RoomRelay)? = nil, settingsStore: (any RoomSettingsStore)? = nil, serverBans: ServerBans = ServerBans()
    ) {
        self.archive = archive
        self.relay = relay
        self.settingsStore = settingsStore
        self.serverBans = serverBans
        nicknames = NicknameRegistry(relay: relay)
        precondition(doorbells.count == loopCount)
        // A 257th loop would alias loop 0 in every ConnectionID and LoopSet.
        precondition((1...ConnectionID.maxLoops).contains(loopCount), "loopCount \(loopCount) outside 1...\(ConnectionID.maxLoops)")
        self.loopCount = loopCount
        rooms = RoomDirectory(loopCount: loopCount)
        mailboxes = doorbells.map { Mailbox<LoopMessage>(doorbell: $0) }
        limitsBox = Locked(limits)
        historyBudget = Atomic(limits.historyBudgetBytes)
    }

    public var limits: ChatLimits { limitsBox.withLock { $0 } }

    /// Installs new limits and tells every loop.
    public func reconfigure(_ limits: ChatLimits) {
        let old = limitsBox.withLock { l in
            let o = l
            l = limits
            return o
        }
        historyBudget.store(limits.historyBudgetBytes, ordering: .relaxed)
        if old.history != limits.history { rooms.resizeHistories(to: limits.history) }
        for m in mailboxes { m.post(.reconfigure(limits)) }
    }

    /// Appends under the caller's room lock; doorbells are collected in `wake` and rung by
    /// `ring` after the lock is released, so no syscall stretches the room's ordering lock.
    /// A loop posting to itself never rings: it drains its own mailbox at the end of the tick.
    func enqueue(_ message: LoopMessage, to loop: Int, from current: Int, wake: inout LoopSet) {
        if loop == current {
            mailboxes[loop].postQuietly(message)
        } else if mailboxes[loop].append(message) {
            wake.insert(loop)
        }
    }

    func ring(_ wake: LoopSet) {
        wake.forEach { mailboxes[$0].ring() }
    }

    // MARK: admission

    public enum AdmissionError: Error, Equatable, CustomStringConvertible {
        case tooManyConnections(limit: Int)
        case tooManyFromAddress(limit: Int)
        public var description: String {
            switch self {
            case .tooManyConnections(let l): return "server full (\(l) connections)"
            case .tooManyFromAddress(let l): return "too many connections from your address (limit \(l))"
            }
        }
    }

    /// Counts a new connection from `address` against `--max-conns` and `--max-conns-per-ip`.
    public func admit(address: String, limits: ChatLimits) -> AdmissionError? {
        let total = connectionCount.wrappingAdd(1, ordering: .relaxed).newValue
        if limits.maxConns > 0 && total > limits.maxConns {
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
            return .tooManyConnections(limit: limits.maxConns)
        }
        let ok = perAddress.withLock { map -> Bool in
            let n = map[address, default: 0]
            if limits.maxConnsPerIP > 0 && n >= limits.maxConnsPerIP { return false }
            map[address] = n + 1
            return true
        }
        if !ok {
            connectionCount.wrappingSubtract(1, ordering: .relaxed)
            return .tooManyFromAddress(limit: limits.maxConnsPerIP)
        }
        return nil
    }

    public func release(address: String) {
        connectionCount.wrappingSubtract(1, ordering: .relaxed)
        perAddress.withLock { map in
            let n = map[address, default: 1] - 1
            map[address] = n > 0 ? n : nil
        }
    }

    // MARK: room traffic

    private let actions = Atomic<UInt64>(0)

    /// A fresh non-zero id for a nick change or quit that spans several rooms (`RoomEvent.action`).
    public func nextAction() -> UInt64 { actions.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Sequences `event` in `room` and posts it to every loop with members, for everyone but
    /// `except`. Messages, actions and notices go to history; a topic event becomes the topic.
    /// With a relay, archived kinds go to the relay instead and come back numbered through
    /// `deliverRelayed`; `sender` is told if the relay cannot take the event. A chat event from a
    /// `sender` that is muted, or not voiced in a moderated room, is not taken: the refusal is
    /// returned.
    @discardableResult
    public func publish(
        _ event: RoomEvent, in room: Room, sender: ConnectionID = .none, except: ConnectionID, currentLoop: Int
    ) -> SpeakRefusal? {
        if let relay, event.kind.isArchived {
            if sender != .none, event.kind.isChat,
               let refusal = room.state.withLock({ $0.moderation.speakRefusal(sender, now: RoomEvent.now) }) {
                return refusal
            }
            relay.publish(event, in: room, sender: sender, except: except)
            return nil
        }
        var refusal: SpeakRefusal?
        sequenced(event, in: room, number: nil, sender: sender, except: except, currentLoop: currentLoop, refusal: &refusal)
        return refusal
    }

    @discardableResult
    func sequenced(_ event: RoomEvent, in room: Room, number: UInt64?, except: ConnectionID, currentLoop: Int) -> Bool {
        var refusal: SpeakRefusal?
        return sequenced(event, in: room, number: number, sender: .none, except: except, currentLoop: currentLoop, refusal: &refusal)
    }

    /// `number` nil: the room numbers the event itself. A chat event from `sender` passes the
    /// room's mute/moderated check first (`RoomModeration.speakRefusal`: O(1), allocation-free).
    @discardableResult
    func sequenced(
        _ event: RoomEvent, in room: Room, number: UInt64?, sender: ConnectionID, except: ConnectionID, currentLoop: Int,
        refusal: inout SpeakRefusal?
    ) -> Bool {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        var refused: SpeakRefusal?
        var topicChanged = false
        let outcome = room.state.withLock { st -> (grew: Int, historySequence: UInt64?)? in
            if st.removed { return nil }
            if sender != .none, event.kind.isChat, let r = st.moderation.speakRefusal(sender, now: RoomEvent.now) {
                refused = r
                return nil
            }
            topicChanged = number == nil && event.kind == .topic
            return record(event, number: number, in: &st, room: room, except: except, quietAbove: quietAbove,
                          currentLoop: currentLoop, wake: &wake)
        }
        ring(wake)
        refusal = refused
        if topicChanged { persistSettings(of: room) }
        // Past the daemon-wide history budget, the oldest history entries of all rooms go first
        // (`HistoryLedger`): O(1) amortized, whatever the number of rooms.
        guard let outcome else { return false }
        if let sequence = outcome.historySequence { charge(outcome.grew, room, sequence..<(sequence + 1), currentLoop) }
        return true
    }

    /// Under the room's lock: numbers `event` (`number` nil: the room does), archives it, keeps it
    /// in history or as the topic, and posts it to every loop with members but `except`.
    func record(
        _ event: RoomEvent, number: UInt64?, in st: inout Room.State, room: Room, except: ConnectionID, quietAbove: Int,
        currentLoop: Int, wake: inout LoopSet
    ) -> (grew: Int, historySequence: UInt64?) {
        if let number {
            st.sequence = number
            event.sequence = number
        } else {
            order(event, in: &st, quietAbove: quietAbove)
        }
        // Under the lock, so the archive receives each room's events in sequence order.
        if number == nil, event.kind.isArchived, let archive { event.archiveID = archive.record(event) }
        var grew = 0
        var historySequence: UInt64? = nil
        switch event.kind {
        case .message, .action, .notice, .mode, .kick, .moderation:
            grew = st.history.append(event)
            if st.history.capacity > 0 { historySequence = st.history.appended - 1 }
        case .topic:
            st.topic = RoomTopic(text: event.text, setBy: event.source.nick, time: event.time / 1000)
            st.moderation.settings.topic = st.topic
        default: break
        }
        post(event, room: room, state: st, except: except, currentLoop: currentLoop, wake: &wake)
        return (grew, historySequence)
    }

    /// Called under the room's lock: the event's place in the room's order. With a relay, only
    /// presence is ordered here: it takes the number of the room's last relayed message.
    func order(_ event: RoomEvent, in st: inout Room.State, quietAbove: Int) {
        if relay == nil { st.sequence &+= 1 }
        event.sequence = st.sequence
        event.crowded = event.kind.isPresence && st.members.count + st.remote.count > quietAbove
        if event.kind.isArchived && event.sequence & Self.publishSampleMask == 0 { event.publishedAt = Monotonic.now() }
    }

    /// One message in 8 per room carries its sequencing time: the publish-to-flush histogram
    /// then costs one vDSO clock read per 8 messages, not per message (and none per delivery).
    public static let publishSampleMask: UInt64 = 7

    func post(
        _ event: RoomEvent, room: Room, state st: Room.State, except: ConnectionID, currentLoop: Int, wake: inout LoopSet
    ) {
        for loop in 0..<loopCount where st.membersPerLoop[loop] > 0 {
            enqueue(.deliver(roomID: room.id, event: event, except: except), to: loop, from: currentLoop, wake: &wake)
        }
    }

    public enum JoinError: Error, Equatable, CustomStringConvertible {
        case tooManyRooms
        /// The room's moderation refused the joiner (ban, invite-only, key).
        case refused(AdmissionRefusal)
        public var description: String {
            switch self {
            case .tooManyRooms: "too many rooms; try an existing one (/rooms)"
            case .refused(let r): r.description
            }
        }
    }

    /// Makes `id` a member of the room called `roomName` and tells the other members (a join
    /// event). The joiner's loop receives `.joined` (history, topic and, if `wantsRoster`, the
    /// members' names) through its mailbox. With `identity`, the room's bans, invite-only mode
    /// and key (`key`) are checked first, and the joiner gets its status (founder, operator).
    public func join(
        _ id: ConnectionID, source: EventSource, roomName: String, sequence joinSequence: UInt32, currentLoop: Int,
        wantsRoster: Bool = false, identity: MemberIdentity? = nil, key: String? = nil
    ) -> Result<Room, JoinError> {
        let limits = self.limits
        while true {
            let room: Room
            switch rooms.room(named: roomName, limits: limits) {
            case .success(let r): room = r
            case .failure: return .failure(.tooManyRooms)
            }
            let event = RoomEvent(kind: .join, room: room.name, source: source, text: "", time: RoomEvent.now())
            var wake = LoopSet()
            var restored: (grew: Int, sequences: Range<UInt64>)?
            var mustSync = false
            var admitted = false
            var refusal: AdmissionRefusal?
            var founded = false
            let joined = room.state.withLock { st -> Bool in
                if st.removed { return false }
                loadSettings(into: &st, room: room)
                let now = RoomEvent.now()
                if let identity {
                    if let r = st.moderation.admission(identity, key: key, now: now) {
                        refusal = r
                        return true
                    }
                    let creator = st.members.isEmpty && st.pendingJoins.isEmpty && NameKey.fold(room.name) != RoomDirectory.lobby
                    founded = st.moderation.admit(id, identity, creator: creator, now: now)
                }
                if !st.restored, relay != nil {
                    // The past comes from the relay, asynchronously: the join completes in
                    // `restoreRelayed`, so the joiner's replay and the live messages meet at
                    // the room's number from the cluster.
                    mustSync = st.pendingJoins.isEmpty
                    st.pendingJoins.append(Room.PendingJoin(id: id, source: source, sequence: joinSequence, wantsRoster: wantsRoster))
                    return true
                }
                if !st.restored {
                    // Lazily, on the room's first join: start-up reads nothing (READY=1 does not
                    // wait for a large archive), and the room's lock keeps its traffic out until
                    // its sequence continues from the archive's.
                    st.restored = true
                    if let archive { restored = restore(from: archive, into: &st, room: room) }
                }
                admit(id, source: source, joinSequence: joinSequence, wantsRoster: wantsRoster, event: event, to: room, state: &st,
                      quietAbove: limits.presenceNoticeMaxMembers, currentLoop: currentLoop, wake: &wake)
                admitted = true
                return true
            }
            ring(wake)
            if let refusal {
                rooms.removeIfUnused(room)
                return .failure(.refused(refusal))
            }
            if founded { persistSettings(of: room) }
            if admitted, let relay { relay.presence(event, in: room, member: id) }
            if let restored, !restored.sequences.isEmpty { charge(restored.grew, room, restored.sequences, currentLoop) }
            if mustSync, let relay { relay.sync(room) }
            if joined { return .success(room) }
        }
    }

    /// Under the room's lock: `id` becomes a member, its loop gets `.joined` and the others
    /// the join event.
    func admit(
        _ id: ConnectionID, source: EventSource, joinSequence: UInt32, wantsRoster: Bool, event: RoomEvent, to room: Room,
        state st: inout Room.State, quietAbove: Int, currentLoop: Int, wake: inout LoopSet
    ) {
        st.members[id] = source
        st.membersPerLoop[id.loop] += 1
        let joined = JoinedRoom(
            id: id, room: room, sequence: joinSequence, history: st.history.events,
            roster: wantsRoster ? st.members.values.map(\.nick) + st.remote.values.map(\.nick) : nil,
            prefixedRoster: wantsRoster
                ? st.members.map { (st.moderation.status[$0.key]?.prefix ?? "") + $0.value.nick } + st.remote.values.map(\.nick) : nil,
            topic: st.topic)
        enqueue(.joined(joined), to: id.loop, from: currentLoop, wake: &wake)
        order(event, in: &st, quietAbove: quietAbove)
        post(event, room: room, state: st, except: id, currentLoop: currentLoop, wake: &wake)
    }

    /// Loads the archived past of a room created anew: its sequence continues, its history holds
    /// the newest archived messages. Returns the bytes added and the history entries' numbers.
    private func restore(from archive: any RoomArchive, into st: inout Room.State, room: Room) -> (Int, Range<UInt64>) {
        let past = archive.restore(room: room.name, limit: st.history.capacity)
        st.sequence = max(st.sequence, past.lastSequence)
        let first = st.history.appended
        var grew = 0
        for event in past.events where event.kind != .topic { grew += st.history.append(event) }
        return (grew, first..<st.history.appended)
    }

    /// Charges history entries to the daemon-wide budget as `publish` does (`HistoryLedger`).
    func charge(_ grew: Int, _ room: Room, _ sequences: Range<UInt64>, _ currentLoop: Int) {
        let total = rooms.historyBytes.wrappingAdd(grew, ordering: .relaxed).newValue
        let budget = historyBudget.load(ordering: .relaxed)
        historyLedger.withLock { ledger in
            for s in sequences { ledger.record(room, sequence: s) }
            if total > budget { ledger.evict(downTo: budget, in: rooms) }
        }
    }

    /// Removes `id` from `room`, telling the others with a part or quit event (`event`, nil =
    /// silently, e.g. at shutdown). The caller's loop drops its local membership itself, at once.
    public func leave(_ id: ConnectionID, room: Room, event: RoomEvent?, currentLoop: Int) {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        let left = room.state.withLock { st -> EventSource? in
            if let waiting = st.pendingJoins.firstIndex(where: { $0.id == id }) {
                st.pendingJoins.remove(at: waiting)
                return nil
            }
            guard let source = st.members.removeValue(forKey: id) else { return nil }
            st.membersPerLoop[id.loop] -= 1
            st.moderation.remove(id)
            if let event {
                // Crowded by the count before the leave, as the join was judged.
                if relay == nil { st.sequence &+= 1 }
                event.sequence = st.sequence
                event.crowded = st.members.count + st.remote.count >= quietAbove
                post(event, room: room, state: st, except: id, currentLoop: currentLoop, wake: &wake)
            }
            return source
        }
        ring(wake)
        // Other nodes are told even of a silent leave (shutdown): their member lists must drop it.
        if let source = left, let relay {
            relay.presence(event ?? RoomEvent(kind: .quit, room: room.name, source: source, text: "", time: RoomEvent.now()),
                           in: room, member: id)
        }
        rooms.removeIfUnused(room)
    }

    /// Renames a member in its room's roster and tells every member, the renamed one included
    /// (`event` is a `.nick` event whose text is the new name).
    public func renamed(_ id: ConnectionID, in room: Room, event: RoomEvent, currentLoop: Int) {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        let renamed = room.state.withLock { st -> Bool in
            guard st.members[id] != nil else { return false }
            st.members[id]?.nick = event.text
            order(event, in: &st, quietAbove: quietAbove)
            post(event, room: room, state: st, except: .none, currentLoop: currentLoop, wake: &wake)
            return true
        }
        ring(wake)
        if renamed, let relay { relay.presence(event, in: room, member: id) }
    }

    /// A private message for one connection, on whatever loop it lives. With `archiveAs` (the
    /// sender's and recipient's nicknames; `--history-private`) it is archived first, so the
    /// recipient sees its id.
    public func send(_ event: RoomEvent, to id: ConnectionID, currentLoop: Int, archiveAs names: (String, String)? = nil) {
        if let names, let archive { event.archiveID = archive.recordPrivate(event, sender: names.0, recipient: names.1) }
        var wake = LoopSet()
        enqueue(.direct(id, event), to: id.loop, from: currentLoop, wake: &wake)
        ring(wake)
    }

    public func shutdown(deadline: UInt64) {
        for m in mailboxes { m.post(.shutdown(deadline: deadline)) }
    }

    /// The operator's kick (`chatd ctl kick`), handed to the loop that owns the connection.
    public func disconnect(_ id: ConnectionID, notice: String) {
        mailboxes[id.loop].post(.disconnect(id, notice: notice))
    }

    /// The operator's drain (`chatd ctl drain`): every loop stops accepting and closes its
    /// connections gracefully.
    public func drain(notice: String) {
        for m in mailboxes { m.post(.drain(notice: notice)) }
    }
}
