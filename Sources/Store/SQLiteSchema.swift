/// The history database's schema, versioned with `PRAGMA user_version` (sqlite.org/pragma.html
/// #pragma_user_version): migration *i* takes version *i* to *i+1*, each in its own transaction,
/// so a daemon interrupted mid-upgrade retries the step it was on.
enum SQLiteSchema {
    static let migrations: [String] = [
        // 0 → 1
        """
        CREATE TABLE rooms(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            -- the highest sequence the room ever had, kept when retention deletes its events
            last_seq INTEGER NOT NULL DEFAULT 0
        );
        -- AUTOINCREMENT: sqlite_sequence remembers the highest id ever used, so ids are never
        -- reused after retention deleted the newest rows.
        CREATE TABLE events(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            room INTEGER NOT NULL REFERENCES rooms(id),
            seq INTEGER NOT NULL,
            time INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            private INTEGER NOT NULL,
            sender TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE UNIQUE INDEX events_room_seq ON events(room, seq);
        -- IRCv3 timestamp= references (CHATHISTORY): the first event of a room at or after a time
        CREATE INDEX events_room_time ON events(room, time);
        """,
        // 1 → 2: registered accounts (SQLiteAccountStore). `key` is the folded name (Room's
        // NameKey); `password_hash` an Argon2id PHC string; `created` ms since the epoch;
        // `flags` AccountRecord.Flags.
        """
        CREATE TABLE accounts(
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created INTEGER NOT NULL,
            flags INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """,
        // 2 → 3: room moderation settings and bans (SQLiteModerationStore). `room` and `scope`
        // are folded room names; `scope` '' holds server bans. Times: `topic_time` seconds,
        // `set_at`/`expires` ms since the epoch (`expires` NULL: for good).
        """
        CREATE TABLE room_settings(
            room TEXT PRIMARY KEY,
            founder TEXT,
            modes TEXT NOT NULL,
            key TEXT,
            topic TEXT,
            topic_by TEXT NOT NULL,
            topic_time INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE room_operators(
            room TEXT NOT NULL,
            account TEXT NOT NULL,
            PRIMARY KEY(room, account)
        ) WITHOUT ROWID;
        CREATE TABLE bans(
            scope TEXT NOT NULL,
            mask TEXT NOT NULL,
            reason TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at INTEGER NOT NULL,
            expires INTEGER,
            PRIMARY KEY(scope, mask)
        ) WITHOUT ROWID;
        """,
    ]

    static var version: Int64 { Int64(migrations.count) }

    /// Brings `db` to `version`. Throws `tooNew` for a file written by a newer chatd, which this
    /// one must neither change nor move aside.
    static func migrate(_ db: SQLiteDatabase) throws {
        let current = try db.integer("PRAGMA user_version") ?? 0
        if current > version { throw SchemaError.tooNew(found: current, known: version) }
        for step in Int(current)..<migrations.count {
            try db.execute("BEGIN IMMEDIATE")
            do {
                try db.execute(migrations[step])
                try db.execute("PRAGMA user_version = \(step + 1)")
                try db.execute("COMMIT")
            } catch {
                if db.inTransaction { try? db.execute("ROLLBACK") }
                throw error
            }
        }
    }

    enum SchemaError: Error, CustomStringConvertible {
        case tooNew(found: Int64, known: Int64)
        var description: String {
            switch self {
            case .tooNew(let found, let known):
                "schema version \(found) is newer than this chatd's \(known)"
            }
        }
    }
}
