import EventLoop

/// Nicknames are unique daemon-wide, case-insensitively (`NameKey`), across all loops and all
/// protocols: one mutex-guarded map is the single point of truth, so two clients racing for a
/// name on different loops (or listeners) get exactly one winner. Each entry also carries what
/// other users may look up about its owner (IRC WHOIS, WHO, USERHOST, ISON, AWAY).
public final class NicknameRegistry: Sendable {
    public struct Entry: Sendable, Equatable {
        public let id: ConnectionID
        public let name: String
        /// `user@host` as shown to others, and the real name (IRC `USER`; the nick for framed).
        public var user: String
        public var host: String
        public var realName: String
        /// Away message, nil while present.
        public var away: String?
        /// Wall-clock seconds of the login.
        public var signOn: Int64

        public var source: EventSource { EventSource(nick: name, user: user, host: host) }

        /// A user this node does not hold, maybe on another node (`--cluster`): `id` is
        /// `.none`, and the relay finds the holder when sending (`RoomRelay.sendPrivate`).
        public static func elsewhere(_ name: String) -> Entry {
            Entry(id: .none, name: name, user: name, host: "cluster", realName: name, away: nil, signOn: 0)
        }
    }

    /// An entry as held in the map: 40 bytes beside its 16-byte key, since every logged-in
    /// connection has one (docs/ARCHITECTURE.md, "Memory per connection"). What is nearly always
    /// the default — user and real name equal to the nick, the protocol's host name, not away —
    /// is not stored; anything else goes in one shared `Details`.
    struct Stored: Sendable {
        let id: ConnectionID
        let name: String
        /// Wall-clock seconds of the login (UInt32: until 2106).
        let signOn: UInt32
        /// Index in `protocolHosts`, when the host is one of them and `details` has no other.
        let hostIndex: UInt8
        let details: Details?

        init(_ e: Entry) {
            id = e.id
            name = e.name
            signOn = UInt32(clamping: e.signOn)
            let known = Self.protocolHosts.firstIndex(of: e.host)
            hostIndex = UInt8(known ?? 0)
            let plain = e.user == e.name && e.realName == e.name && e.away == nil && known != nil
            details = plain ? nil : Details(user: e.user, host: e.host, realName: e.realName, away: e.away)
        }

        var entry: Entry {
            Entry(
                id: id, name: name, user: details?.user ?? name, host: details?.host ?? Self.protocolHosts[Int(hostIndex)],
                realName: details?.realName ?? name, away: details?.away, signOn: Int64(signOn))
        }

        /// The hosts chatd's protocols give their users (`host` of `user@host`).
        static let protocolHosts = ["framed", "irc", "web"]
    }

    final class Details: Sendable {
        let user: String
        let host: String
        let realName: String
        let away: String?

        init(user: String, host: String, realName: String, away: String?) {
            self.user = user
            self.host = host
            self.realName = realName
            self.away = away
        }
    }

    private let names = Locked<[String: Stored]>([:])
    /// With `--cluster`: told of every name taken and given up, to hold it cluster-wide.
    private let relay: (any RoomRelay)?

    public init(relay: (any RoomRelay)? = nil) {
        self.relay = relay
    }

    /// Claims `name` for `id`; false if someone has it.
    public func claim(_ name: String, for id: ConnectionID, user: String? = nil, host: String = "framed", realName: String? = nil) -> Bool {
        let key = NameKey.fold(name)
        let entry = Entry(
            id: id, name: name, user: user ?? name, host: host, realName: realName ?? name, away: nil,
            signOn: WallClock.milliseconds() / 1000)
        let claimed = names.withLock { map in
            if map[key] != nil { return false }
            map[key] = Stored(entry)
            return true
        }
        if claimed { relay?.claimed(name, by: id) }
        return claimed
    }

    /// Atomically swaps `old` for `new`; false if `new` is taken by someone else.
    public func rename(_ old: String, to new: String, for id: ConnectionID) -> Bool {
        let oldKey = NameKey.fold(old)
        let newKey = NameKey.fold(new)
        let renamed = names.withLock { map in
            if let e = map[newKey], e.id != id { return false }
            var entry = map[oldKey]?.entry
            if entry?.id == id { map[oldKey] = nil } else { entry = nil }
            let base = entry ?? Entry(
                id: id, name: new, user: new, host: "framed", realName: new, away: nil, signOn: WallClock.milliseconds() / 1000)
            map[newKey] = Stored(Entry(
                id: id, name: new, user: base.user, host: base.host, realName: base.realName, away: base.away, signOn: base.signOn))
            return true
        }
        if renamed, oldKey != newKey {
            relay?.released(old, by: id)
            relay?.claimed(new, by: id)
        }
        return renamed
    }

    /// Sets or clears (nil) the away message of `name` if `id` owns it.
    public func setAway(_ name: String, for id: ConnectionID, message: String?) {
        let key = NameKey.fold(name)
        names.withLock { map in
            guard var entry = map[key]?.entry, entry.id == id else { return }
            entry.away = message
            map[key] = Stored(entry)
        }
    }

    public func release(_ name: String, for id: ConnectionID) {
        let key = NameKey.fold(name)
        let released = names.withLock { map in
            if map[key]?.id == id {
                map[key] = nil
                return true
            }
            return false
        }
        if released { relay?.released(name, by: id) }
    }

    public func lookup(_ name: String) -> Entry? {
        let key = NameKey.fold(name)
        return names.withLock { $0[key]?.entry }
    }

    public var count: Int { names.withLock { $0.count } }
}
