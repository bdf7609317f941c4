import CSQLite

/// An SQLite result code that is not success, with the library's message.
public struct SQLiteError: Error, CustomStringConvertible, Equatable {
    public let code: CInt
    public let message: String

    /// The primary result code (the low byte of an extended code, sqlite3.h "Result Codes").
    public var primary: CInt { code & 0xff }
    /// The file is not a database or is damaged: the cases where moving it aside is the cure.
    public var isCorruption: Bool { primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB }
    public var isDiskFull: Bool { primary == SQLITE_FULL }

    public var description: String { "\(message) (SQLite code \(code))" }
}

/// One SQLite connection, used by one thread at a time (the writer, or a reader under its lock).
/// A thin layer over the C API rather than GRDB: the writer needs only a handful of prepared
/// statements reused forever, bound from borrowed string storage (docs/ARCHITECTURE.md "Store").
final class SQLiteDatabase {
    let handle: OpaquePointer

    /// Opens (creating unless `readOnly`) the file at `path`. SQLITE_OPEN_NOMUTEX: each
    /// connection is confined to one thread or lock, so SQLite's own per-call mutex is waste.
    init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    func error(_ code: CInt) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs SQL that returns no rows (schema, pragmas, BEGIN/COMMIT).
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc) }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        return SQLiteStatement(stmt, database: self)
    }

    /// The first column of the first row of `sql` as an integer (pragmas, MAX()), nil for NULL or
    /// no row.
    func integer(_ sql: String) throws -> Int64? {
        let s = try prepare(sql)
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int64(0)
    }

    /// Every row's first column as text (PRAGMA quick_check).
    func texts(_ sql: String) throws -> [String] {
        let s = try prepare(sql)
        var rows: [String] = []
        while try s.step() { rows.append(s.text(0)) }
        return rows
    }

    /// True when a transaction is open (after a failed statement SQLite may have rolled back
    /// on its own: sqlite3_get_autocommit).
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A NUL byte that lives forever: what an empty string binds to.
nonisolated(unsafe) private let emptyText: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()

/// A prepared statement, kept for the connection's life and reset after each use.
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase

    init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Steps once: true when a row is ready, false when done.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw database.error(rc)
        }
    }

    /// Resets for the next use and drops the bindings (so no pointer into a caller's string is
    /// left behind).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: CInt, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds the string's UTF-8 bytes without copying them (SQLITE_STATIC, a nil destructor):
    /// valid only inside `body`, which must step the statement.
    func withText<R>(_ index: CInt, _ value: String, _ body: () throws -> R) throws -> R {
        var s = value
        return try s.withUTF8 { (bytes: UnsafeBufferPointer<UInt8>) throws -> R in
            // An empty buffer may have a nil base; SQLite reads NULL for a nil pointer, so bind "".
            let base = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            sqlite3_bind_text(handle, index, base ?? emptyText, CInt(bytes.count), nil)
            return try body()
        }
    }

    func isNull(_ column: CInt) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: CInt) -> Int64 { sqlite3_column_int64(handle, column) }

    func text(_ column: CInt) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
}
