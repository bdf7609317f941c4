/// Where rooms' events go to outlive the process: the daemon adapts a history store (memory or
/// SQLite, the Store module) to this, so Room stays free of storage. `record` is called under
/// the room's lock, right after the event is sequenced, so events of a room arrive in order; it
/// must not block (the SQLite store only queues). `restore` and `page` may read storage and are
/// called only on a room's first join since it was created and for explicit scroll-back.
public protocol RoomArchive: AnyObject, Sendable {
    /// A message, action, notice or topic was sequenced in its room.
    func record(_ event: RoomEvent)
    /// What a room created anew continues from: its highest stored sequence and its newest
    /// `limit` archived messages (oldest first).
    func restore(room: String, limit: Int) -> RestoredRoom
    /// Up to `limit` archived messages of `room` before sequence `before` (nil = the newest),
    /// oldest first.
    func page(room: String, before: UInt64?, limit: Int) -> [RoomEvent]
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
        case .message, .action, .notice, .topic: true
        default: false
        }
    }
}

extension RoomEvent {
    /// An event read back from an archive, with the sequence it had when it was published.
    public static func restored(
        kind: RoomEventKind, room: String, source: EventSource, text: String, time: Int64, sequence: UInt64
    ) -> RoomEvent {
        let e = RoomEvent(kind: kind, room: room, source: source, text: text, time: time)
        e.sequence = sequence
        return e
    }
}
