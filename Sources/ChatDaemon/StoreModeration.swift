import Room
import Store

/// Room's settings and server bans on a moderation store (`ModerationStore`): turns Room's types
/// into the store's records and back. A mask or mode that no longer parses is dropped on load
/// (a newer chatd's), never fatal.
final class StoreModeration: RoomSettingsStore, ServerBanStore {
    let store: any ModerationStore

    init(store: any ModerationStore) {
        self.store = store
    }

    func load(room: String) -> RoomSettings? {
        guard let s = store.roomSettings(NameKey.fold(room)) else { return nil }
        let topic = s.topic.map { RoomTopic(text: $0, setBy: s.topicBy, time: s.topicTime) }
        return RoomSettings(
            founder: s.founder, operators: s.operators, bans: s.bans.compactMap(Self.roomBan), modes: RoomModes(text: s.modes),
            key: s.key, topic: topic)
    }

    func save(room: String, _ settings: RoomSettings) {
        store.saveRoomSettings(StoredRoomSettings(
            room: NameKey.fold(room), founder: settings.founder, operators: settings.operators,
            bans: settings.bans.map { StoredBan(mask: $0.mask.description, setBy: $0.setBy, setAt: $0.setAt, expires: $0.expires) },
            modes: settings.modes.text, key: settings.key, topic: settings.topic?.text, topicBy: settings.topic?.setBy ?? "",
            topicTime: settings.topic?.time ?? 0))
    }

    func loadServerBans() -> [ServerBan] {
        store.serverBans().compactMap { b in
            guard case .success(let mask) = BanMask.parse(b.mask) else { return nil }
            return ServerBan(mask: mask, reason: b.reason, setBy: b.setBy, setAt: b.setAt, expires: b.expires)
        }
    }

    func saveServerBans(_ bans: [ServerBan]) {
        store.saveServerBans(bans.map {
            StoredBan(mask: $0.mask.description, reason: $0.reason, setBy: $0.setBy, setAt: $0.setAt, expires: $0.expires)
        })
    }

    static func roomBan(_ b: StoredBan) -> RoomBan? {
        guard case .success(let mask) = BanMask.parse(b.mask) else { return nil }
        return RoomBan(mask: mask, setBy: b.setBy, setAt: b.setAt, expires: b.expires)
    }
}
