import ChatProtocol
import EventLoop

/// Usernames are unique daemon-wide and case-insensitively (DESIGN.md §4), across all loops:
/// one mutex-guarded map is the single point of truth, so two clients racing for a name on
/// different loops get exactly one winner.
public final class NicknameRegistry: Sendable {
    public struct Entry: Sendable, Equatable {
        public let id: ConnectionID
        public let name: String
    }

    private let names = Locked<[String: Entry]>([:])

    public init() {}

    public func claim(_ name: String, for id: ConnectionID) -> Bool {
        let key = Names.foldForUniqueness(name)
        return names.withLock { map in
            if map[key] != nil { return false }
            map[key] = Entry(id: id, name: name)
            return true
        }
    }

    /// Atomically swaps `old` for `new`; false if `new` is taken by someone else.
    public func rename(_ old: String, to new: String, for id: ConnectionID) -> Bool {
        let oldKey = Names.foldForUniqueness(old)
        let newKey = Names.foldForUniqueness(new)
        return names.withLock { map in
            if let e = map[newKey], e.id != id { return false }
            if map[oldKey]?.id == id { map[oldKey] = nil }
            map[newKey] = Entry(id: id, name: new)
            return true
        }
    }

    public func release(_ name: String, for id: ConnectionID) {
        let key = Names.foldForUniqueness(name)
        names.withLock { map in
            if map[key]?.id == id { map[key] = nil }
        }
    }

    public func lookup(_ name: String) -> Entry? {
        let key = Names.foldForUniqueness(name)
        return names.withLock { $0[key] }
    }

    public var count: Int { names.withLock { $0.count } }
}
