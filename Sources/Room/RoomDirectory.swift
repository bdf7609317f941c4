import EventLoop
import Synchronization

/// All rooms by case-folded name. Rooms are created on first join and dropped when empty,
/// unless they hold history worth keeping; the total is capped (`ChatLimits.maxRooms`), empty
/// rooms being evicted first, so room names cannot grow memory without bound.
public final class RoomDirectory: Sendable {
    public static let lobby = "lobby"

    private struct State {
        var rooms: [String: Room] = [:]
        var nextID = 1
    }

    private let state = Locked(State())
    /// With `--cluster`: rooms with members on other nodes and how many, by folded name, as
    /// the relay last read them (`setElsewhere`).
    private let elsewhere = Locked<[String: (name: String, members: Int)]>([:])
    private let loopCount: Int
    /// History bytes held by all rooms in the directory.
    public let historyBytes = Atomic<Int>(0)
    /// History bytes the daemon-wide budget has evicted since the start (`HistoryLedger`): the
    /// control loop returns freed heap to the kernel when this moved (`ControlLoop.trimHeap`).
    public let budgetEvictedBytes = Atomic<Int>(0)

    public init(loopCount: Int) {
        self.loopCount = loopCount
    }

    public enum LookupError: Error, Equatable { case tooManyRooms }

    /// The room called `name` if it exists (lookups that must not create one: IRC NAMES, TOPIC).
    public func existing(named name: String) -> Room? {
        let key = NameKey.fold(name)
        return state.withLock { $0.rooms[key] }
    }

    public func room(named name: String, limits: ChatLimits) -> Result<Room, LookupError> {
        let key = NameKey.fold(name)
        return state.withLock { s in
            if let r = s.rooms[key] { return .success(r) }
            if s.rooms.count >= limits.maxRooms {
                // Evict one room with nobody in it (its history goes with it).
                guard let victim = s.rooms.first(where: { k, r in
                    k != RoomDirectory.lobby && r.state.withLock { st in
                        if st.members.isEmpty { st.removed = true; return true }
                        return false
                    }
                }) else { return .failure(.tooManyRooms) }
                s.rooms[victim.key] = nil
                // Freed now, not when the last reference (a loop's history ledger) goes.
                historyBytes.wrappingSubtract(victim.value.state.withLock { $0.history.removeAll() }, ordering: .relaxed)
            }
            let r = Room(
                id: s.nextID, name: name, loopCount: loopCount, historySize: limits.history,
                historyMaxBytes: limits.historyMaxBytesPerRoom)
            s.nextID += 1
            s.rooms[key] = r
            return .success(r)
        }
    }

    /// Drops `room` if nobody is in it and it keeps no history.
    public func removeIfUnused(_ room: Room) {
        let key = NameKey.fold(room.name)
        state.withLock { s in
            guard s.rooms[key] === room, key != RoomDirectory.lobby else { return }
            let unused = room.state.withLock { st in
                if st.members.isEmpty && st.history.count == 0 { st.removed = true; return true }
                return false
            }
            if unused { s.rooms[key] = nil }
        }
    }

    /// (name, member count) sorted by name, for `/rooms`: this node's rooms with their members
    /// on every node, and (with `--cluster`) rooms that only other nodes have.
    public func list() -> [(name: String, members: Int)] {
        let rooms = state.withLock { Array($0.rooms.values) }
        var all = rooms.map { ($0.name, $0.memberCount) }
        let local = Set(rooms.map { NameKey.fold($0.name) })
        for (key, room) in elsewhere.withLock({ $0 }) where !local.contains(key) { all.append(room) }
        return all.sorted { $0.0 < $1.0 }
    }

    /// This node's rooms and their members here (metrics).
    public func localList() -> [(name: String, members: Int)] {
        let rooms = state.withLock { Array($0.rooms.values) }
        return rooms.map { ($0.name, $0.localMemberCount) }.sorted { $0.name < $1.name }
    }

    /// The relay's latest view of the other nodes' rooms: (name, members there), by any node.
    public func setElsewhere(_ rooms: [(name: String, members: Int)]) {
        var byKey: [String: (name: String, members: Int)] = [:]
        for r in rooms where r.members > 0 {
            let key = NameKey.fold(r.name)
            byKey[key] = (byKey[key]?.name ?? r.name, (byKey[key]?.members ?? 0) + r.members)
        }
        elsewhere.withLock { $0 = byKey }
    }

    public var count: Int { state.withLock { $0.rooms.count } }

    /// Applies a new history size to every room (reload).
    public func resizeHistories(to size: Int) {
        let rooms = state.withLock { Array($0.rooms.values) }
        for r in rooms {
            let delta = r.state.withLock { st -> Int in
                let before = st.history.bytes
                st.history.resize(to: size)
                return st.history.bytes - before
            }
            historyBytes.wrappingAdd(delta, ordering: .relaxed)
        }
    }
}
