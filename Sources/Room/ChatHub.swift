import ChatProtocol
import EventLoop
import Synchronization

/// The state the loops share: rooms, nicknames, per-address connection counts, mailboxes and
/// counters. Every method is thread-safe and returns quickly; none does I/O. Loops call in
/// with their own index so posts to themselves skip the eventfd (they drain their own mailbox
/// at the end of every tick anyway).
public final class ChatHub: Sendable {
    public let loopCount: Int
    public let rooms: RoomDirectory
    public let nicknames = NicknameRegistry()
    public let mailboxes: [Mailbox<LoopMessage>]
    private let limitsBox: Locked<ChatLimits>
    /// `limits.historyBudgetBytes`, readable on the publish path without the limits lock.
    private let historyBudget: Atomic<Int>
    /// One per loop, locked only by that loop's publishes (uncontended); see `HistoryLedger`.
    let historyLedgers: [Locked<HistoryLedger>]
    private let perAddress = Locked<[String: Int]>([:])
    public let connectionCount = Atomic<Int>(0)

    public init(loopCount: Int, limits: ChatLimits, doorbells: [@Sendable () -> Void]) {
        precondition(doorbells.count == loopCount)
        self.loopCount = loopCount
        rooms = RoomDirectory(loopCount: loopCount)
        mailboxes = doorbells.map { Mailbox<LoopMessage>(doorbell: $0) }
        limitsBox = Locked(limits)
        historyBudget = Atomic(limits.historyBudgetBytes)
        historyLedgers = (0..<loopCount).map { _ in Locked(HistoryLedger()) }
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

    /// Sequences `frame` in `room`: history, then a post to every loop with members. Past the
    /// daemon-wide history budget, the publishing loop evicts its own oldest history entries
    /// (`HistoryLedger`): O(1) amortized, whatever the number of rooms.
    public func publish(_ frame: SharedBytes, in room: Room, from sender: ConnectionID, currentLoop: Int) {
        var wake = LoopSet()
        let (grew, sequence) = room.state.withLock { st -> (Int, UInt64?) in
            let grew = st.history.append(frame)
            for loop in 0..<loopCount where st.membersPerLoop[loop] > 0 {
                enqueue(.deliver(roomID: room.id, frame: frame, except: sender), to: loop, from: currentLoop, wake: &wake)
            }
            return (grew, st.history.capacity > 0 ? st.history.appended - 1 : nil)
        }
        ring(wake)
        guard let sequence else { return }
        let total = rooms.historyBytes.wrappingAdd(grew, ordering: .relaxed).newValue
        let budget = historyBudget.load(ordering: .relaxed)
        historyLedgers[currentLoop].withLock { ledger in
            ledger.record(room, sequence: sequence)
            if total > budget { ledger.evict(downTo: budget, in: rooms) }
        }
    }

    public enum JoinError: Error, Equatable, CustomStringConvertible {
        case tooManyRooms
        public var description: String { "too many rooms; try an existing one (/rooms)" }
    }

    /// Makes `id` a member of the room called `roomName` and announces it. The joiner's loop
    /// receives `.joined` (with the history replay) through its mailbox.
    public func join(
        _ id: ConnectionID, name: String, roomName: String, sequence: UInt32, currentLoop: Int, announce: Bool = true
    ) -> Result<Room, JoinError> {
        let limits = self.limits
        while true {
            let room: Room
            switch rooms.room(named: roomName, limits: limits) {
            case .success(let r): room = r
            case .failure: return .failure(.tooManyRooms)
            }
            var wake = LoopSet()
            let joined = room.state.withLock { st -> Bool in
                if st.removed { return false }
                st.members[id] = name
                st.membersPerLoop[id.loop] += 1
                var replay: [SharedBytes] = []
                let past = st.history.frames
                if !past.isEmpty {
                    replay.reserveCapacity(past.count + 2)
                    replay.append(ChatFrames.notice("history: \(past.count) messages in #\(room.name)"))
                    replay.append(contentsOf: past)
                    replay.append(ChatFrames.notice("end of history"))
                }
                enqueue(.joined(id, room: room, sequence: sequence, replay: replay), to: id.loop, from: currentLoop, wake: &wake)
                if announce && st.members.count <= limits.presenceNoticeMaxMembers {
                    let notice = ChatFrames.notice("\(name) joined #\(room.name)")
                    for loop in 0..<loopCount where st.membersPerLoop[loop] > 0 {
                        enqueue(.deliver(roomID: room.id, frame: notice, except: id), to: loop, from: currentLoop, wake: &wake)
                    }
                }
                return true
            }
            ring(wake)
            if joined { return .success(room) }
        }
    }

    /// Removes `id` from `room`, telling the others `notice` (e.g. "alice left #rust"). The
    /// caller's loop drops its local membership itself, at once.
    public func leave(_ id: ConnectionID, room: Room, notice: String?, currentLoop: Int) {
        let quietAbove = limits.presenceNoticeMaxMembers
        var wake = LoopSet()
        room.state.withLock { st in
            guard st.members.removeValue(forKey: id) != nil else { return }
            st.membersPerLoop[id.loop] -= 1
            if let notice, st.members.count < quietAbove {
                let frame = ChatFrames.notice(notice)
                for loop in 0..<loopCount where st.membersPerLoop[loop] > 0 {
                    enqueue(.deliver(roomID: room.id, frame: frame, except: id), to: loop, from: currentLoop, wake: &wake)
                }
            }
        }
        ring(wake)
        rooms.removeIfUnused(room)
    }

    /// Renames a member in its room's roster and announces it there.
    public func renamed(_ id: ConnectionID, in room: Room, from old: String, to new: String, currentLoop: Int) {
        var wake = LoopSet()
        room.state.withLock { st in
            guard st.members[id] != nil else { return }
            st.members[id] = new
            let frame = ChatFrames.notice("\(old) is now known as \(new)")
            for loop in 0..<loopCount where st.membersPerLoop[loop] > 0 {
                enqueue(.deliver(roomID: room.id, frame: frame, except: .none), to: loop, from: currentLoop, wake: &wake)
            }
        }
        ring(wake)
    }

    public func send(_ frame: SharedBytes, to id: ConnectionID, currentLoop: Int) {
        var wake = LoopSet()
        enqueue(.direct(id, frame), to: id.loop, from: currentLoop, wake: &wake)
        ring(wake)
    }

    public func shutdown(deadline: UInt64) {
        for m in mailboxes { m.post(.shutdown(deadline: deadline)) }
    }
}
