/// Where rooms' events go to outlive the process: the daemon adapts a history store (memory or
/// SQLite, the Store module) to this, so Room stays free of storage. `record` is called under
/// the room's lock, right after the event is sequenced, so events of a room arrive in order; it
/// must not block (the SQLite store only queues). `restore` and `page` may read storage and are
/// called only on a room's first join since it was created and for explicit scroll-back.
public protocol RoomArchive: AnyObject, Sendable {
    /// A message, action, notice or topic was sequenced in its room; returns the id the archive
    /// gave it (IRCv3 `msgid`), unique and never reused, 0 if it has none.
    func record(_ event: RoomEvent) -> Int64
    /// What a room created anew continues from: its highest stored sequence and its newest
    /// `limit` archived messages (oldest first).
    func restore(room: String, limit: Int) -> RestoredRoom
    /// Up to `limit` archived events of `room` (a room's name or a `PrivateConversation` key)
    /// that `selection` picks, oldest first.
    func select(room: String, _ selection: ArchiveSelection, limit: Int) -> [RoomEvent]
    /// The room and sequence of the archived event with this id, if it is still kept.
    func locate(id: Int64) -> (room: String, sequence: UInt64)?
    /// The first sequence of `room` whose time is at or after `time` (ms since the epoch).
    func firstSequence(room: String, atOrAfter time: Int64) -> UInt64?
    /// Keeps a private message between `sender` and `recipient` under their
    /// `PrivateConversation` key (`--history-private`) and returns its id. Called by the
    /// sender's loop; must not block.
    func recordPrivate(_ event: RoomEvent, sender: String, recipient: String) -> Int64
}

extension RoomArchive {
    /// Up to `limit` archived events of `room` before sequence `before` (nil = the newest),
    /// oldest first: the `/history` page.
    public func page(room: String, before: UInt64?, limit: Int) -> [RoomEvent] {
        select(room: room, before.map(ArchiveSelection.before) ?? .latest, limit: limit)
    }
}

/// Which archived events a scroll-back asks for (`/history`, IRCv3 CHATHISTORY). Sequences
/// are exclusive bounds.
public enum ArchiveSelection: Sendable, Equatable {
    /// The newest.
    case latest
    /// The newest below a sequence.
    case before(UInt64)
    /// The oldest above a sequence.
    case after(UInt64)
    /// About half before a sequence, the rest from it on.
    case around(UInt64)
    /// Strictly between two sequences: the ones nearest `upper` when `newestFirst`, else nearest `lower`.
    case between(lower: UInt64, upper: UInt64, newestFirst: Bool)
}

/// The archive key of the private conversation of two nicknames: the same whoever writes
/// first, case-insensitive like nicknames, and starting with `*`, which no room name can.
public enum PrivateConversation {
    public static func key(_ a: String, _ b: String) -> String {
        let x = NameKey.fold(a), y = NameKey.fold(b)
        return x <= y ? "*\(x) \(y)" : "*\(y) \(x)"
    }
}

public struct RestoredRoom: Sendable {
    public var lastSequence: UInt64
    public var events: [RoomEvent]

    public init(lastSequence: UInt64, events: [RoomEvent]) {
        self.lastSequence = lastSequence
        self.events = events
    }
}

extension RoomEventKind {
    /// Kinds that are archived: what people said and the topic, not presence.
    @inlinable public var isArchived: Bool {
        switch self {
        case .message, .action, .notice, .topic, .mode, .kick, .moderation: true
        default: false
        }
    }
}

extension RoomEvent {
    /// An event read back from an archive, with the sequence it had when it was published.
    public static func restored(
        kind: RoomEventKind, room: String?, source: EventSource, text: String, time: Int64, sequence: UInt64,
        archiveID: Int64 = 0
    ) -> RoomEvent {
        let e = RoomEvent(kind: kind, room: room, source: source, text: text, time: time)
        e.sequence = sequence
        e.archiveID = archiveID
        return e
    }
}
