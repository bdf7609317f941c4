import EventLoop

/// Accounts in memory only: lost on restart (`--history-store memory`, cluster mode, tests).
public final class MemoryAccountStore: AccountStore {
    private let accounts = Locked<[String: AccountRecord]>([:])

    public init() {}

    public func account(key: String) -> AccountRecord? {
        accounts.withLock { $0[key] }
    }

    public func create(_ record: AccountRecord) throws -> Bool {
        accounts.withLock { a in
            guard a[record.key] == nil else { return false }
            a[record.key] = record
            return true
        }
    }

    public func delete(key: String) throws -> Bool {
        accounts.withLock { $0.removeValue(forKey: key) != nil }
    }

    public var count: Int { accounts.withLock { $0.count } }
}
