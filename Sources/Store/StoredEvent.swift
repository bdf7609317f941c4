/// What kind of room event a stored record is. The raw values are written to disk (the `kind`
/// column), so they never change meaning; new kinds get new numbers.
public enum StoredEventKind: UInt8, Sendable, CaseIterable {
    case message = 0
    case action = 1
    case notice = 2
    case join = 3
    case part = 4
    case quit = 5
    case nick = 6
    case topic = 7
    case away = 8
    case mode = 9
    case kick = 10
    case moderation = 11
}

/// One room event as the history stores keep it. Deliberately its own type, not Room's event:
/// Store imports nothing of chat semantics, and the Redis store (issue 15) keeps the same record.
public struct StoredEvent: Sendable, Equatable {
    /// The room's name; for a private message, a conversation key chosen by the daemon that no
    /// room name can take (room names never start with `*`).
    public var room: String
    /// Position in the room's total order (1, 2, 3, …), assigned by the room's ordering point.
    public var sequence: UInt64
    /// Unique across the whole store and never reused, also after retention deleted rows
    /// (IRCv3 `msgid`); assigned by `HistoryStore.append`, 0 before that.
    public var id: Int64
    /// Wall-clock milliseconds since the Unix epoch (IRCv3 server-time).
    public var time: Int64
    public var sender: String
    public var kind: StoredEventKind
    public var text: String
    /// A private message rather than a room event (stored only with `--history-private`).
    public var isPrivate: Bool

    public init(
        room: String, sequence: UInt64, id: Int64 = 0, time: Int64, sender: String,
        kind: StoredEventKind, text: String, isPrivate: Bool = false
    ) {
        self.room = room
        self.sequence = sequence
        self.id = id
        self.time = time
        self.sender = sender
        self.kind = kind
        self.text = text
        self.isPrivate = isPrivate
    }

    /// What the record costs while it waits for the writer (strings plus the record itself).
    var queuedBytes: Int { text.utf8.count &+ sender.utf8.count &+ room.utf8.count &+ 64 }

    /// A record holding no heap storage: what a dropped queue slot is overwritten with.
    static let vacant = StoredEvent(room: "", sequence: 0, time: 0, sender: "", kind: .message, text: "")
}
