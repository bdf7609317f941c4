/// The limits the chat layer enforces (DESIGN.md §4), in the units the loops use (bytes,
/// monotonic nanoseconds). The daemon derives them from its configuration and can replace them
/// on reload; every loop then receives the new value through its mailbox.
public struct ChatLimits: Sendable, Equatable {
    public var maxMessageBytes = 65536
    public var handshakeTimeout: UInt64 = 10_000_000_000
    public var idleTimeout: UInt64 = 0
    public var queueSoftBytes = 1 << 20
    public var queueSoftTimeout: UInt64 = 30_000_000_000
    public var queueHardBytes = 8 << 20
    public var msgRate: Double = 10
    public var msgBurst = 20
    public var maxConnsPerIP = 256
    public var maxConns = 0
    public var history = 50
    public var shutdownTimeout: UInt64 = 5_000_000_000
    public var motd: String? = nil
    /// TLS handshakes in progress per loop before new TLS connections are closed at accept
    /// (`--tls-max-handshakes`; a transport limit, applied by the daemon's loops).
    public var tlsMaxHandshakes = 1024
    /// Rooms kept at most (empty rooms holding history are evicted first): bounds memory
    /// against a client that joins endless new room names.
    public var maxRooms = 10_000
    /// Join/leave/disconnect notices are broadcast only in rooms of at most this many members:
    /// in a room of N members a join costs N deliveries, so N clients arriving cost N² — 50
    /// million frames for 10,000 clients logging into the lobby. Large rooms stay quiet, as
    /// large IRC channels hide joins and parts.
    public var presenceNoticeMaxMembers = 100
    /// History bytes one room keeps (besides `history` messages).
    public var historyMaxBytesPerRoom = 1 << 20
    /// History bytes all rooms keep together, occupied or not: past it, the oldest entries are
    /// evicted (`HistoryLedger`), so clients parking 64 KiB messages in many rooms cannot grow
    /// memory beyond it. `--history-budget-bytes`.
    public var historyBudgetBytes = 64 << 20
    /// Private messages go to the archive too (`--history-private`); off by default (privacy).
    public var historyPrivate = false
    /// Bans (and nick mutes) one room keeps at most (`--max-bans-per-room`).
    public var maxBansPerRoom = 100
    /// Folded account names of the server's admins (`--admin`).
    public var admins: Set<String> = []

    public init() {}
}
