import EventLoop
import Synchronization

/// One chat room. Its mutex is the room's single ordering point (DESIGN.md §3): a message is
/// appended to history and posted to every loop that has members while the lock is held, and
/// each loop's mailbox is FIFO, so every member on every loop sees the room's messages in the
/// same order. The lock covers only pointer appends, never I/O.
public final class Room: Sendable {
    public let id: Int
    public let name: String

    struct State {
        /// This node's members and who they are (nickname, user, host).
        var members: [ConnectionID: EventSource] = [:]
        /// With a relay (`--cluster`): members on other nodes, by the cluster's member key
        /// (`node|connection`), kept from the room's presence events in the cluster's order.
        var remote: [String: EventSource] = [:]
        /// Members per loop: a message is posted only to loops that have someone to deliver to.
        var membersPerLoop: [Int]
        var history: History
        /// The last event's place in the room's order.
        var sequence: UInt64 = 0
        var topic: RoomTopic?
        /// Founder, operators, bans, modes, mutes, invites (`RoomModeration`).
        var moderation = RoomModeration()
        /// Set when the directory drops the room; a join that raced with removal retries.
        var removed = false
        /// Set once the archive's past (history, last sequence) was loaded, on the first join.
        var restored = false
        /// With a relay (`--cluster`): joins that wait for the room's past (`ChatHub.restoreRelayed`).
        var pendingJoins: [PendingJoin] = []
    }

    /// A join to a relayed room whose past is still being fetched.
    struct PendingJoin {
        let id: ConnectionID
        let source: EventSource
        let sequence: UInt32
        let wantsRoster: Bool
    }

    let state: Locked<State>

    init(id: Int, name: String, loopCount: Int, historySize: Int, historyMaxBytes: Int) {
        self.id = id
        self.name = name
        state = Locked(State(
            membersPerLoop: Array(repeating: 0, count: loopCount),
            history: History(capacity: historySize, maxBytes: historyMaxBytes)))
    }

    /// Members on every node (with `--cluster`, those on other nodes too).
    public var memberCount: Int { state.withLock { $0.members.count + $0.remote.count } }

    /// Members connected to this node.
    public var localMemberCount: Int { state.withLock { $0.members.count } }

    /// Display names on every node, sorted, for `/who`.
    public var memberNames: [String] {
        // Copied under the lock, sorted outside it: the lock orders the room's messages.
        let names = state.withLock { st in st.members.values.map(\.nick) + st.remote.values.map(\.nick) }
        return names.sorted()
    }

    /// This node's members (the cluster link re-asserts them after a reconnect).
    public var localMembers: [(id: ConnectionID, source: EventSource)] {
        state.withLock { st in st.members.map { ($0.key, $0.value) } }
    }

    /// Members on other nodes (`--cluster`), sorted by nickname (IRC WHO of a room).
    public var remoteMembers: [EventSource] {
        let sources = state.withLock { Array($0.remote.values) }
        return sources.sorted { $0.nick < $1.nick }
    }

    public var historyCount: Int { state.withLock { $0.history.count } }

    public var topic: RoomTopic? { state.withLock { $0.topic } }

    /// Up to `limit` of the history entries held in memory before sequence `before` (nil = the
    /// newest), oldest first: scroll-back when no archive keeps more.
    public func historyPage(before: UInt64?, limit: Int) -> [RoomEvent] {
        let held = state.withLock { $0.history.events }
        let older = before.map { b in held.filter { $0.sequence < b } } ?? held
        return Array(older.suffix(max(0, limit)))
    }

    /// Whether the directory dropped the room (a later join of its name makes a new one).
    public var isRemoved: Bool { state.withLock { $0.removed } }

    /// Whether `id` is a member.
    public func contains(_ id: ConnectionID) -> Bool { state.withLock { $0.members[id] != nil } }
}
