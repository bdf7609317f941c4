import CSQLite
import EventLoop

/// Moderation settings in the history database (tables `room_settings`, `room_operators`,
/// `bans`; SQLiteSchema migration 2 → 3), on a connection of its own under a lock. Saves are
/// rare (a moderator's action) and small, so they run synchronously on the caller's thread in
/// one transaction: WAL with synchronous=NORMAL makes that a page-cache write, and
/// `busy_timeout` bounds the wait for the history writer's commit (at most one commit interval).
public final class SQLiteModerationStore: ModerationStore {
    private let db: Locked<SQLiteDatabase>

    /// Opens the database at `path` (made and migrated by `SQLiteHistoryStore`; migrated here too
    /// if this opens it first).
    public init(path: String) throws {
        let database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA busy_timeout = 2000")
        try SQLiteSchema.migrate(database)
        db = Locked(database)
    }

    public func roomSettings(_ room: String) -> StoredRoomSettings? {
        try? db.withLock { db -> StoredRoomSettings? in
            let s = try db.prepare("SELECT founder, modes, key, topic, topic_by, topic_time FROM room_settings WHERE room = ?1")
            s.bindCopy(1, room)
            guard try s.step() else { return nil }
            var settings = StoredRoomSettings(
                room: room, founder: s.optionalText(0), modes: s.text(1), key: s.optionalText(2), topic: s.optionalText(3),
                topicBy: s.text(4), topicTime: s.int64(5))
            let ops = try db.prepare("SELECT account FROM room_operators WHERE room = ?1 ORDER BY account")
            ops.bindCopy(1, room)
            while try ops.step() { settings.operators.append(ops.text(0)) }
            settings.bans = try Self.bans(db, scope: room)
            return settings
        } ?? nil
    }

    public func saveRoomSettings(_ settings: StoredRoomSettings) {
        try? write { db in
            let s = try db.prepare("""
                INSERT OR REPLACE INTO room_settings(room, founder, modes, key, topic, topic_by, topic_time)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """)
            s.bindCopy(1, settings.room)
            s.bindCopy(2, settings.founder)
            s.bindCopy(3, settings.modes)
            s.bindCopy(4, settings.key)
            s.bindCopy(5, settings.topic)
            s.bindCopy(6, settings.topicBy)
            s.bind(7, settings.topicTime)
            _ = try s.step()
            let clear = try db.prepare("DELETE FROM room_operators WHERE room = ?1")
            clear.bindCopy(1, settings.room)
            _ = try clear.step()
            let op = try db.prepare("INSERT OR IGNORE INTO room_operators(room, account) VALUES (?1, ?2)")
            for account in settings.operators {
                op.reset()
                op.bindCopy(1, settings.room)
                op.bindCopy(2, account)
                _ = try op.step()
            }
            try Self.replaceBans(db, scope: settings.room, settings.bans)
        }
    }

    public func serverBans() -> [StoredBan] {
        (try? db.withLock { try Self.bans($0, scope: Self.serverScope) }) ?? []
    }

    public func saveServerBans(_ bans: [StoredBan]) {
        try? write { try Self.replaceBans($0, scope: Self.serverScope, bans) }
    }

    /// The `bans.scope` of server bans; rooms use their folded names, never empty.
    static let serverScope = ""

    private func write(_ body: (SQLiteDatabase) throws -> Void) throws {
        try db.withLock { db in
            try db.execute("BEGIN IMMEDIATE")
            do {
                try body(db)
                try db.execute("COMMIT")
            } catch {
                if db.inTransaction { try? db.execute("ROLLBACK") }
                throw error
            }
        }
    }

    private static func bans(_ db: SQLiteDatabase, scope: String) throws -> [StoredBan] {
        let s = try db.prepare("SELECT mask, reason, set_by, set_at, expires FROM bans WHERE scope = ?1 ORDER BY set_at, mask")
        s.bindCopy(1, scope)
        var out: [StoredBan] = []
        while try s.step() {
            out.append(StoredBan(mask: s.text(0), reason: s.text(1), setBy: s.text(2), setAt: s.int64(3), expires: s.isNull(4) ? nil : s.int64(4)))
        }
        return out
    }

    private static func replaceBans(_ db: SQLiteDatabase, scope: String, _ bans: [StoredBan]) throws {
        let clear = try db.prepare("DELETE FROM bans WHERE scope = ?1")
        clear.bindCopy(1, scope)
        _ = try clear.step()
        let insert = try db.prepare("""
            INSERT OR REPLACE INTO bans(scope, mask, reason, set_by, set_at, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        for ban in bans {
            insert.reset()
            insert.bindCopy(1, scope)
            insert.bindCopy(2, ban.mask)
            insert.bindCopy(3, ban.reason)
            insert.bindCopy(4, ban.setBy)
            insert.bind(5, ban.setAt)
            if let expires = ban.expires { insert.bind(6, expires) } else { insert.bindNull(6) }
            _ = try insert.step()
        }
    }
}

extension SQLiteStatement {
    /// Binds a copy of `value` (SQLITE_TRANSIENT), or NULL for nil: for the few statements of a
    /// save, where `withText`'s borrowed binding would nest one closure per column.
    func bindCopy(_ index: CInt, _ value: String?) {
        guard let value else { return bindNull(index) }
        sqlite3_bind_text(handle, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    func bindNull(_ index: CInt) { sqlite3_bind_null(handle, index) }

    func optionalText(_ column: CInt) -> String? { isNull(column) ? nil : text(column) }
}
