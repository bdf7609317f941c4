/// A room's flag modes, protocol-neutral. The letters are the vocabulary every protocol shares
/// (IRC MODE, framed `/mode`, chatd.v1 `command`), as IRC channel modes (Modern IRC "Channel Modes").
public struct RoomModes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `i`: only invited users (`/invite`), operators and admins may join.
    public static let inviteOnly = RoomModes(rawValue: 1)
    /// `m`: only operators and voiced members speak.
    public static let moderated = RoomModes(rawValue: 2)
    /// `s`: hidden from `/rooms` (IRC LIST) for non-members.
    public static let secret = RoomModes(rawValue: 4)
    /// `t`: only operators set the topic.
    public static let topicLock = RoomModes(rawValue: 8)

    /// Letter ↔ flag, in the order a mode string lists them.
    public static let letters: [(Character, RoomModes)] = [("i", .inviteOnly), ("m", .moderated), ("s", .secret), ("t", .topicLock)]

    public static func flag(_ letter: Character) -> RoomModes? { letters.first { $0.0 == letter }?.1 }

    /// `imst` subset, e.g. "ms" (without `+`).
    public var text: String { String(Self.letters.filter { contains($0.1) }.map(\.0)) }

    public init(text: String) {
        var m = RoomModes()
        for c in text { if let f = Self.flag(c) { m.insert(f) } }
        self = m
    }
}

/// One ban of a room: the mask, who set it and when, and when it ends (nil: never).
public struct RoomBan: Sendable, Equatable {
    public var mask: BanMask
    public var setBy: String
    /// Milliseconds since the epoch.
    public var setAt: Int64
    public var expires: Int64?

    public init(mask: BanMask, setBy: String, setAt: Int64, expires: Int64? = nil) {
        self.mask = mask
        self.setBy = setBy
        self.setAt = setAt
        self.expires = expires
    }

    public func isActive(at now: Int64) -> Bool { expires.map { $0 > now } ?? true }
}

/// What a room keeps across restarts (the settings store, `RoomSettingsStore`): who founded it,
/// who its operators are (accounts), its bans, modes, key and topic.
public struct RoomSettings: Sendable, Equatable {
    /// The folded account of the first registered user to create the room.
    public var founder: String?
    /// Folded accounts that are operators whenever they join, sorted.
    public var operators: [String] = []
    public var bans: [RoomBan] = []
    public var modes = RoomModes()
    /// The key (`+k`) a join must give.
    public var key: String?
    public var topic: RoomTopic?

    public init(
        founder: String? = nil, operators: [String] = [], bans: [RoomBan] = [], modes: RoomModes = [], key: String? = nil,
        topic: RoomTopic? = nil
    ) {
        self.founder = founder
        self.operators = operators
        self.bans = bans
        self.modes = modes
        self.key = key
        self.topic = topic
    }

    public var isEmpty: Bool { self == RoomSettings() }

    /// Persistent operators a room keeps at most (besides its founder).
    public static let maxOperators = 100
}

/// Where room settings outlive the process: the daemon adapts a store (memory or SQLite, the
/// Store module) to this, so Room stays free of storage. `load` runs under the room's lock on
/// its first join (like `RoomArchive.restore`); `save` after a change, outside the lock.
public protocol RoomSettingsStore: AnyObject, Sendable {
    func load(room: String) -> RoomSettings?
    func save(room: String, _ settings: RoomSettings)
}

/// A member's privileges in one room.
public struct MemberStatus: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let op = MemberStatus(rawValue: 1)
    public static let voice = MemberStatus(rawValue: 2)

    /// The IRC-style prefix of the highest status: `@`, `+` or nothing (ISUPPORT PREFIX=(ov)@+).
    public var prefix: String { contains(.op) ? "@" : contains(.voice) ? "+" : "" }
}

/// Who a joining or acting user is, for bans, founders and operators.
public struct MemberIdentity: Sendable, Equatable {
    public var nick: String
    /// The logged-in account, nil for guests.
    public var account: String?
    /// The client's address (`SocketAddress.host`).
    public var address: String
    /// A server admin (`admins`): acts as an operator in every room and passes every ban.
    public var isAdmin: Bool

    public init(nick: String, account: String? = nil, address: String, isAdmin: Bool = false) {
        self.nick = nick
        self.account = account
        self.address = address
        self.isAdmin = isAdmin
    }

    var nickKey: String { NameKey.fold(nick) }
    var accountKey: String? { account.map(NameKey.fold) }

    /// Whether `mask` matches this user.
    public func matched(by mask: BanMask) -> Bool {
        mask.matches(nickKey: nickKey, accountKey: accountKey, address: IPNetwork.address(address))
    }
}
