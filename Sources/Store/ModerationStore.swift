import EventLoop

/// Where room moderation settings and server bans outlive the process: `SQLiteModerationStore`
/// (tables in the history database) or `MemoryModerationStore`. Like `StoredEvent`, the records
/// are the store's own types: Store knows nothing of chat semantics (the daemon adapts Room's
/// settings to these). Every method is thread-safe; saves replace what was stored.
public protocol ModerationStore: AnyObject, Sendable {
    /// The settings of the room with the folded name `room`, nil when none were saved.
    func roomSettings(_ room: String) -> StoredRoomSettings?
    func saveRoomSettings(_ settings: StoredRoomSettings)
    func serverBans() -> [StoredBan]
    func saveServerBans(_ bans: [StoredBan])
}

/// A room's saved settings. `room` is the folded room name; `modes` the mode letters (`imst`).
public struct StoredRoomSettings: Sendable, Equatable {
    public var room: String
    public var founder: String?
    public var operators: [String]
    public var bans: [StoredBan]
    public var modes: String
    public var key: String?
    public var topic: String?
    public var topicBy: String
    /// Seconds since the epoch.
    public var topicTime: Int64

    public init(
        room: String, founder: String? = nil, operators: [String] = [], bans: [StoredBan] = [], modes: String = "",
        key: String? = nil, topic: String? = nil, topicBy: String = "", topicTime: Int64 = 0
    ) {
        self.room = room
        self.founder = founder
        self.operators = operators
        self.bans = bans
        self.modes = modes
        self.key = key
        self.topic = topic
        self.topicBy = topicBy
        self.topicTime = topicTime
    }
}

/// One ban as stored: the mask's written form, why, who and when (ms), and its end (ms; nil: never).
public struct StoredBan: Sendable, Equatable {
    public var mask: String
    public var reason: String
    public var setBy: String
    public var setAt: Int64
    public var expires: Int64?

    public init(mask: String, reason: String = "", setBy: String, setAt: Int64, expires: Int64? = nil) {
        self.mask = mask
        self.reason = reason
        self.setBy = setBy
        self.setAt = setAt
        self.expires = expires
    }
}

/// Moderation settings in memory: what `--history-store memory` and a cluster node keep; lost on
/// restart. Bounded by what it is given (the daemon bounds bans per room and rooms).
public final class MemoryModerationStore: ModerationStore {
    private let rooms = Locked<[String: StoredRoomSettings]>([:])
    private let bans = Locked<[StoredBan]>([])

    public init() {}

    public func roomSettings(_ room: String) -> StoredRoomSettings? { rooms.withLock { $0[room] } }

    public func saveRoomSettings(_ settings: StoredRoomSettings) {
        rooms.withLock { $0[settings.room] = settings }
    }

    public func serverBans() -> [StoredBan] { bans.withLock { $0 } }

    public func saveServerBans(_ list: [StoredBan]) { bans.withLock { $0 = list } }
}
