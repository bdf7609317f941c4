import Room
import Store

/// Room's archive on a history store (`--history-store`): turns room events into the store's
/// records and back. One per daemon; every method is thread-safe because the store's are.
final class StoreArchive: RoomArchive {
    let store: any HistoryStore

    init(store: any HistoryStore) {
        self.store = store
    }

    func record(_ event: RoomEvent) {
        guard let room = event.room, let kind = Self.storedKind(event.kind) else { return }
        store.append(StoredEvent(
            room: room, sequence: event.sequence, time: event.time, sender: event.source.nick, kind: kind,
            text: event.text))
    }

    func restore(room: String, limit: Int) -> RestoredRoom {
        let last = store.lastSequence(room: room)
        let events = limit > 0 ? store.latest(room: room, limit: limit).compactMap(Self.roomEvent) : []
        return RestoredRoom(lastSequence: last, events: events)
    }

    func page(room: String, before: UInt64?, limit: Int) -> [RoomEvent] {
        let stored = before.map { store.before(room: room, sequence: $0, limit: limit) } ?? store.latest(room: room, limit: limit)
        return stored.compactMap(Self.roomEvent)
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
        }
    }

    /// Stored events come back with the sender's nick only; the host says where they came from.
    static func roomEvent(_ e: StoredEvent) -> RoomEvent? {
        guard !e.isPrivate else { return nil }
        return RoomEvent.restored(
            kind: roomKind(e.kind), room: e.room, source: EventSource(nick: e.sender, user: e.sender, host: "history"),
            text: e.text, time: e.time, sequence: e.sequence)
    }
}
