import EventLoop

/// Accounts in the `accounts` table of the history database (`SQLiteSchema` migration 1 → 2),
/// so they persist across restarts. Every row is also held in memory, which is what lookups read:
/// an event loop asking "is this nickname registered?" never waits on SQLite. The table holds one
/// row per registration (bounded by the registration rate limits), small enough to keep whole.
///
/// Its own connection to the file, separate from the history writer's: WAL lets both work, and
/// `busy_timeout` covers the moments the writer holds the write lock for a group commit.
public final class SQLiteAccountStore: AccountStore {
    private let cache: Locked<[String: AccountRecord]>
    private let database: Locked<Connection>

    /// The write connection and its statements, used only under `database`'s lock.
    private final class Connection {
        let db: SQLiteDatabase
        let insert: SQLiteStatement
        let remove: SQLiteStatement

        init(_ db: SQLiteDatabase) throws {
            self.db = db
            insert = try db.prepare(
                "INSERT OR IGNORE INTO accounts(key, name, password_hash, created, flags) VALUES(?1, ?2, ?3, ?4, ?5)")
            remove = try db.prepare("DELETE FROM accounts WHERE key = ?1")
        }
    }

    /// Opens the database at `path` (normally after `SQLiteHistoryStore` opened and checked it),
    /// brings its schema up to date and loads every account.
    public init(path: String) throws {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        try SQLiteSchema.migrate(db)
        var all: [String: AccountRecord] = [:]
        let rows = try db.prepare("SELECT key, name, password_hash, created, flags FROM accounts")
        while try rows.step() {
            let r = AccountRecord(
                key: rows.text(0), name: rows.text(1), passwordHash: rows.text(2), created: rows.int64(3),
                flags: AccountRecord.Flags(rawValue: rows.int64(4)))
            all[r.key] = r
        }
        cache = Locked(all)
        database = Locked(try Connection(db))
    }

    public func account(key: String) -> AccountRecord? {
        cache.withLock { $0[key] }
    }

    public func create(_ record: AccountRecord) throws -> Bool {
        // The database lock serialises changes, so the cache and the table agree.
        try database.withLock { c in
            guard account(key: record.key) == nil else { return false }
            let s = c.insert
            defer { s.reset() }
            s.bind(4, record.created)
            s.bind(5, record.flags.rawValue)
            _ = try s.withText(1, record.key) {
                try s.withText(2, record.name) { try s.withText(3, record.passwordHash) { try s.step() } }
            }
            guard c.db.changes == 1 else { return false }
            cache.withLock { $0[record.key] = record }
            return true
        }
    }

    public func delete(key: String) throws -> Bool {
        try database.withLock { c in
            let s = c.remove
            defer { s.reset() }
            _ = try s.withText(1, key) { try s.step() }
            let removed = c.db.changes == 1
            cache.withLock { _ = $0.removeValue(forKey: key) }
            return removed
        }
    }

    public var count: Int { cache.withLock { $0.count } }
}
