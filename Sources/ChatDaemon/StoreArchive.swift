import EventLoop
import Room
import Store

/// Room's archive on a history store (`--history-store`): turns room events into the store's
/// records and back. One per daemon; every method is thread-safe because the store's are.
final class StoreArchive: RoomArchive {
    let store: any HistoryStore
    /// The last sequence of each private conversation written since start (`recordPrivate`):
    /// a conversation has no room lock to order it, so this lock does. Bounded: past
    /// `maxConversations` it is emptied and refilled from the store as conversations go on.
    private let conversations = Locked<[String: UInt64]>([:])
    static let maxConversations = 50_000

    init(store: any HistoryStore) {
        self.store = store
    }

    func record(_ event: RoomEvent) -> Int64 {
        guard let room = event.room, let kind = Self.storedKind(event.kind) else { return 0 }
        return store.append(StoredEvent(
            room: room, sequence: event.sequence, time: event.time, sender: event.source.nick, kind: kind,
            text: event.text))
    }

    func recordPrivate(_ event: RoomEvent, sender: String, recipient: String) -> Int64 {
        guard let kind = Self.storedKind(event.kind) else { return 0 }
        let key = PrivateConversation.key(sender, recipient)
        let text = event.text
        return conversations.withLock { last -> Int64 in
            if last.count >= Self.maxConversations { last.removeAll(keepingCapacity: true) }
            // The first message of a conversation since start continues from the store's
            // number: one indexed read, once per conversation (or after the map was emptied).
            let sequence = (last[key] ?? store.lastSequence(room: key)) &+ 1
            last[key] = sequence
            return store.append(StoredEvent(
                room: key, sequence: sequence, time: event.time, sender: event.source.nick, kind: kind, text: text,
                isPrivate: true))
        }
    }

    func restore(room: String, limit: Int) -> RestoredRoom {
        let last = store.lastSequence(room: room)
        let events = limit > 0 ? store.latest(room: room, limit: limit).map(Self.roomEvent) : []
        return RestoredRoom(lastSequence: last, events: events)
    }

    func select(room: String, _ selection: ArchiveSelection, limit: Int) -> [RoomEvent] {
        let stored: [StoredEvent]
        switch selection {
        case .latest: stored = store.latest(room: room, limit: limit)
        case .before(let s): stored = store.before(room: room, sequence: s, limit: limit)
        case .after(let s): stored = store.after(room: room, sequence: s, limit: limit)
        case .around(let s): stored = store.around(room: room, sequence: s, limit: limit)
        case .between(let lower, let upper, let newestFirst):
            stored = store.between(room: room, lower: lower, upper: upper, limit: limit, newestFirst: newestFirst)
        }
        return stored.map(Self.roomEvent)
    }

    func locate(id: Int64) -> (room: String, sequence: UInt64)? {
        store.event(id: id).map { ($0.room, $0.sequence) }
    }

    func firstSequence(room: String, atOrAfter time: Int64) -> UInt64? {
        store.firstSequence(room: room, atOrAfter: time)
    }

    /// The stored kinds are the store's own on-disk numbers, so both directions are spelled out.
    static func storedKind(_ kind: RoomEventKind) -> StoredEventKind? {
        switch kind {
        case .message: .message
        case .action: .action
        case .notice: .notice
        case .topic: .topic
        case .join: .join
        case .part: .part
        case .quit: .quit
        case .nick: .nick
        case .away: .away
        case .mode: .mode
        case .kick: .kick
        case .moderation: .moderation
        }
    }

    static func roomKind(_ kind: StoredEventKind) -> RoomEventKind {
        switch kind {
        case .message: .message
        case .action: .action
        case .notice: .notice
        case .topic: .topic
        case .join: .join
        case .part: .part
        case .quit: .quit
        case .nick: .nick
        case .away: .away
        case .mode: .mode
        case .kick: .kick
        case .moderation: .moderation
        }
    }

    /// Stored events come back with the sender's nick only; the host says where they came from.
    /// A private message comes back with no room, as it was delivered.
    static func roomEvent(_ e: StoredEvent) -> RoomEvent {
        RoomEvent.restored(
            kind: roomKind(e.kind), room: e.isPrivate ? nil : e.room,
            source: EventSource(nick: e.sender, user: e.sender, host: "history"), text: e.text, time: e.time,
            sequence: e.sequence, archiveID: e.id)
    }
}
