import EventLoop
import Synchronization

/// One server-wide ban (`/gban`, `chatd ctl ban`): an account or address/CIDR mask, why, who
/// set it and when, and when it ends (nil: never). Times are ms since the epoch.
public struct ServerBan: Sendable, Equatable {
    public var mask: BanMask
    public var reason: String
    public var setBy: String
    public var setAt: Int64
    public var expires: Int64?

    public init(mask: BanMask, reason: String, setBy: String, setAt: Int64, expires: Int64? = nil) {
        self.mask = mask
        self.reason = reason
        self.setBy = setBy
        self.setAt = setAt
        self.expires = expires
    }

    public func isActive(at now: Int64) -> Bool { expires.map { $0 > now } ?? true }

    /// What a refused client is told.
    public var refusal: String {
        "you are banned from this server" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

extension ChatHub {
    /// Closes the connections a new server ban matches, on every loop.
    public func enforce(_ ban: ServerBan) {
        for m in mailboxes { m.post(.serverBan(ban)) }
    }
}

/// Where server bans outlive the process (the daemon adapts the Store module to this).
public protocol ServerBanStore: AnyObject, Sendable {
    func loadServerBans() -> [ServerBan]
    func saveServerBans(_ bans: [ServerBan])
}

/// The server's bans, shared by every loop and the control thread. Checked on every accepted
/// connection: with no bans that is one atomic load, no lock.
public final class ServerBans: Sendable {
    private let bans = Locked<[ServerBan]>([])
    private let active = Atomic<Int>(0)
    public let store: (any ServerBanStore)?
    /// Server bans kept at most: a bound against a runaway script, not a policy.
    public static let maxBans = 10_000

    public init(store: (any ServerBanStore)? = nil) {
        self.store = store
        if let loaded = store?.loadServerBans() {
            let now = RoomEvent.now()
            let kept = Array(loaded.filter { $0.isActive(at: now) }.prefix(Self.maxBans))
            bans.withLock { $0 = kept }
            active.store(kept.count, ordering: .relaxed)
        }
    }

    public enum AddError: Error, Equatable, CustomStringConvertible {
        case full(limit: Int)
        case nickMask
        public var description: String {
            switch self {
            case .full(let l): "the server ban list is full (\(l) bans)"
            case .nickMask: "a server ban is for an account (~a:NAME) or an address (ADDRESS[/PREFIX])"
            }
        }
    }

    /// Adds `ban`, replacing one with the same mask. Nick masks are refused: nicknames are free
    /// for anyone to take, so a server ban on one would bite the next user of the name.
    public func add(_ ban: ServerBan) -> Result<Void, AddError> {
        if case .nick = ban.mask { return .failure(.nickMask) }
        let now = RoomEvent.now()
        let result = bans.withLock { list -> Result<[ServerBan], AddError> in
            list.removeAll { !$0.isActive(at: now) || $0.mask == ban.mask }
            guard list.count < Self.maxBans else { return .failure(.full(limit: Self.maxBans)) }
            list.append(ban)
            active.store(list.count, ordering: .relaxed)
            return .success(list)
        }
        switch result {
        case .failure(let e): return .failure(e)
        case .success(let list):
            store?.saveServerBans(list)
            return .success(())
        }
    }

    /// Removes the ban with `mask`; false when there is none.
    public func remove(_ mask: BanMask) -> Bool {
        let list = bans.withLock { list -> [ServerBan]? in
            guard let i = list.firstIndex(where: { $0.mask == mask }) else { return nil }
            list.remove(at: i)
            active.store(list.count, ordering: .relaxed)
            return list
        }
        guard let list else { return false }
        store?.saveServerBans(list)
        return true
    }

    /// Bans still in force, oldest first.
    public func list() -> [ServerBan] {
        let now = RoomEvent.now()
        return bans.withLock { $0.filter { $0.isActive(at: now) } }
    }

    /// The ban that refuses a client at `address` (connect time).
    public func match(address: String) -> ServerBan? {
        guard active.load(ordering: .relaxed) > 0, let a = IPNetwork.address(address) else { return nil }
        return first { if case .address(let n) = $0.mask { n.contains(a) } else { false } }
    }

    /// The ban that refuses the account `account` (login time).
    public func match(account: String) -> ServerBan? {
        guard active.load(ordering: .relaxed) > 0 else { return nil }
        let key = NameKey.fold(account)
        return first { $0.mask == .account(key) }
    }

    private func first(where test: (ServerBan) -> Bool) -> ServerBan? {
        let now = RoomEvent.now()
        return bans.withLock { $0.first { $0.isActive(at: now) && test($0) } }
    }
}
