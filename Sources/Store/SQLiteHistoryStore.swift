import CSQLite
import EventLoop
import Logging

/// The embedded default store: one SQLite file in the state directory.
///
/// Durability: WAL with `synchronous=NORMAL` (sqlite.org/pragma.html#pragma_synchronous). A
/// commit is in the WAL file, i.e. in the kernel's page cache, when COMMIT returns; only
/// checkpoints fsync. So a killed or crashed daemon loses nothing committed — what it loses is
/// what was still queued, at most one commit interval — and only a power loss or kernel crash
/// can lose the last commits too (never corrupting the file). FULL would add one fsync per
/// commit to that and protect only against the power loss case.
///
/// Writes go through `WriterQueue` to the writer thread (`HistoryWriter`); reads use a second
/// connection under a lock (WAL readers never wait for the writer) and merge in whatever is
/// still unsaved, so a read always sees every append made before it.
public final class SQLiteHistoryStore: HistoryStore {
    public struct Options: Sendable {
        /// Group commit interval (`--history-commit-ms`): the most a SIGKILL can lose.
        public var commitMilliseconds: Int = 50
        /// Unsaved events held before the oldest are dropped.
        public var queueCapacity: Int = 65_536
        /// …and their bytes (text, names, record), whichever bound is reached first.
        public var queueBytes: Int = 8 << 20
        public var retention = HistoryRetention()
        /// Back-off after a failed commit (disk full, I/O error).
        public var retryMilliseconds: Int = 1_000
        /// How often retention runs, and the most rows one statement of it deletes.
        public var pruneMilliseconds: Int = 1_000
        public var pruneBatch: Int = 500
        public var clock: @Sendable () -> Int64 = RealtimeClock.milliseconds
        /// Files up to this size get `PRAGMA quick_check` before the store opens; larger ones are
        /// checked in the background (`IntegrityCheck`) so a big database does not delay READY=1.
        /// 4 MiB checks in a few ms; at 32 MiB (the first bound) a 26 MiB file held READY=1 back
        /// by ~100 ms (BENCHMARKS.md, "Start-up"), over issue 17's 20 ms goal.
        public var synchronousCheckBytes: Int = 4 << 20

        public init() {}
    }

    /// The outcome of opening, for the start-up log.
    public enum Opened: Equatable, Sendable {
        case existing
        case created
        /// The file at `path` was damaged or unreadable and now lives at `movedTo`.
        case replaced(movedTo: String, reason: String)
    }

    public let path: String
    public let opened: Opened
    private let queue: WriterQueue
    private let reader: Locked<HistoryReader?>
    private let counters = Locked(HistoryStoreStatistics())
    private let thread: LoopThread
    private let closedFlag = Locked(false)
    private let check: IntegrityCheck?

    /// Opens or creates the database at `path`, checking it first (`PRAGMA quick_check`, in the
    /// background for files over `synchronousCheckBytes`). A damaged or unreadable file, or one a
    /// background check marked (`<file>.damaged`), is moved aside (`<file>.broken-<ms>`, with its
    /// -wal) and a fresh one started. Throws only when even a fresh file cannot be made
    /// (directory unwritable, disk full) or the file is from a newer chatd; `openOrFallBack`
    /// turns that into a memory store.
    public init(path: String, options: Options = Options(), logger: Logger) throws {
        self.path = path
        let marker = path + ".damaged"
        let size = try Posix.fileSize(path)
        var opened: Opened = size == nil ? .created : .existing
        let checkNow = (size ?? 0) <= options.synchronousCheckBytes
        let writeDB: SQLiteDatabase
        do {
            if Posix.exists(marker) { throw IntegrityError(report: ["marked damaged by an earlier check (\(marker))"]) }
            writeDB = try Self.openChecked(path, fullCheck: checkNow)
        } catch let error where Self.movableAside(error) {
            let aside = "\(path).broken-\(options.clock())"
            logger.error("history database unusable; moving it aside and starting a fresh one", metadata: [
                "path": "\(path)", "moved_to": "\(aside)", "error": "\(error)",
            ])
            try Posix.rename(path, aside)
            if Posix.exists(path + "-wal") { try Posix.rename(path + "-wal", aside + "-wal") }
            try Posix.unlinkIfPresent(path + "-shm")
            try Posix.unlinkIfPresent(marker)
            writeDB = try Self.openChecked(path, fullCheck: true)
            opened = .replaced(movedTo: aside, reason: "\(error)")
        }
        let nextID = try (writeDB.integer("SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0) + 1
        queue = WriterQueue(capacity: options.queueCapacity, maxBytes: options.queueBytes, nextID: nextID)
        let writer = try HistoryWriter(database: writeDB, queue: queue, options: options, logger: logger, counters: counters)
        reader = Locked(try HistoryReader(path: path))
        self.opened = opened
        check = checkNow || opened != .existing ? nil : IntegrityCheck.start(path: path, marker: marker, logger: logger)
        thread = LoopThread.spawn(name: "chatd-history") { writer.run() }
    }

    /// `SQLiteHistoryStore` at `path`, or, if that cannot be had, a `MemoryHistoryStore` with
    /// the reason logged: the daemon never refuses to start because of history.
    public static func openOrFallBack(path: String, options: Options = Options(), logger: Logger) -> any HistoryStore {
        do {
            return try SQLiteHistoryStore(path: path, options: options, logger: logger)
        } catch {
            logger.error("history database cannot be used; history is kept in memory only until restart", metadata: [
                "path": "\(path)", "error": "\(error)",
            ])
            return MemoryHistoryStore(retention: options.retention, clock: options.clock)
        }
    }

    /// Damage (corruption, not a database, failed check) or an unreadable file is cured by a
    /// fresh file; a newer schema or a lock held by someone else is not ours to destroy.
    private static func movableAside(_ error: any Error) -> Bool {
        if error is SQLiteSchema.SchemaError { return false }
        if let e = error as? SQLiteError {
            let busy = e.primary == SQLITE_BUSY || e.primary == SQLITE_LOCKED
            let full = e.primary == SQLITE_FULL
            return !busy && !full
        }
        return error is IntegrityError
    }

    struct IntegrityError: Error, CustomStringConvertible {
        let report: [String]
        var description: String { "quick_check: " + report.prefix(3).joined(separator: "; ") }
    }

    private static func openChecked(_ path: String, fullCheck: Bool) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA busy_timeout = 2000")
        let mode = try db.texts("PRAGMA journal_mode = WAL")
        guard mode == ["wal"] else {
            throw SQLiteError(code: SQLITE_ERROR, message: "journal_mode WAL refused (got \(mode))")
        }
        try db.execute("PRAGMA synchronous = NORMAL")
        // quick_check: O(N) like integrity_check but skips index-content cross-checks
        // (sqlite.org/pragma.html#pragma_quick_check); a damaged page or header fails it.
        // Without it, reading the schema still rejects a file that is not a database.
        let report = try db.texts(fullCheck ? "PRAGMA quick_check" : "SELECT 'ok' FROM sqlite_master LIMIT 0")
        guard report == ["ok"] || (!fullCheck && report.isEmpty) else { throw IntegrityError(report: report) }
        try SQLiteSchema.migrate(db)
        return db
    }

    // MARK: writes

    @discardableResult
    public func append(_ event: StoredEvent) -> Int64 {
        queue.append(event)
    }

    @discardableResult
    public func flush(timeout: Double) -> Bool {
        queue.waitResolved(deadline: Monotonic.now() + Monotonic.nanoseconds(seconds: timeout))
    }

    public func close(timeout: Double) {
        let first = closedFlag.withLock { c in
            defer { c = true }
            return !c
        }
        guard first else { return }
        let stored = flush(timeout: timeout)
        queue.close(abandon: !stored)
        check?.stop()
        thread.join()
        reader.withLock { $0 = nil }
    }

    deinit { close(timeout: 5) }

    public var statistics: HistoryStoreStatistics {
        var s = counters.withLock { $0 }
        s.appended = queue.appended
        s.dropped = queue.dropped
        s.pending = queue.pendingCount
        return s
    }

    // MARK: reads

    /// Runs `query` on the reader connection, then merges in the room's unsaved events that
    /// `include` accepts and keeps the `limit` nearest the query's anchor (`newest`: the end).
    private func read(
        room: String, limit: Int, newest: Bool,
        _ query: (HistoryReader) throws -> [StoredEvent], include: (StoredEvent) -> Bool
    ) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        // Unsaved first: the writer drops an event from the unsaved set only after its COMMIT,
        // so an event missing from this snapshot is in the database read that follows.
        let unsaved = queue.unsaved(room: room).filter(include)
        let stored = (try? reader.withLock { r in try r.map(query) }) ?? nil ?? []
        guard !unsaved.isEmpty else { return stored }
        let merged = Self.merge(stored, unsaved)
        return Array(newest ? merged.suffix(limit) : merged.prefix(limit))
    }

    /// Merges two lists ascending by sequence, keeping one of each sequence.
    static func merge(_ a: [StoredEvent], _ b: [StoredEvent]) -> [StoredEvent] {
        var out: [StoredEvent] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].sequence < b[j].sequence) {
                out.append(a[i]); i += 1
            } else if i == a.count || b[j].sequence < a[i].sequence {
                out.append(b[j]); j += 1
            } else {
                out.append(a[i]); i += 1; j += 1
            }
        }
        return out
    }

    public func latest(room: String, limit: Int) -> [StoredEvent] {
        read(room: room, limit: limit, newest: true, { try $0.latest(room: room, limit: limit) }, include: { _ in true })
    }

    public func before(room: String, sequence: UInt64, limit: Int) -> [StoredEvent] {
        read(room: room, limit: limit, newest: true, { try $0.before(room: room, sequence: sequence, limit: limit) },
             include: { $0.sequence < sequence })
    }

    public func after(room: String, sequence: UInt64, limit: Int) -> [StoredEvent] {
        read(room: room, limit: limit, newest: false, { try $0.after(room: room, sequence: sequence, limit: limit) },
             include: { $0.sequence > sequence })
    }

    public func around(room: String, sequence: UInt64, limit: Int) -> [StoredEvent] {
        let half = max(0, limit) / 2
        return before(room: room, sequence: sequence, limit: half)
            + after(room: room, sequence: sequence == 0 ? 0 : sequence - 1, limit: max(0, limit) - half)
    }

    public func between(room: String, lower: UInt64, upper: UInt64, limit: Int, newestFirst: Bool) -> [StoredEvent] {
        guard lower < upper else { return [] }
        return read(room: room, limit: limit, newest: newestFirst, {
            try $0.between(room: room, lower: lower, upper: upper, limit: limit, newestFirst: newestFirst)
        }, include: { $0.sequence > lower && $0.sequence < upper })
    }

    public func event(id: Int64) -> StoredEvent? {
        let unsaved = queue.unsaved(id: id)
        return unsaved ?? (try? reader.withLock { r in try r?.event(id: id) }) ?? nil
    }

    public func firstSequence(room: String, atOrAfter time: Int64) -> UInt64? {
        let unsaved = queue.unsaved(room: room).first { $0.time >= time }?.sequence
        let stored = (try? reader.withLock { r in try r?.firstSequence(room: room, atOrAfter: time) }) ?? nil
        return stored ?? unsaved
    }

    public func lastSequence(room: String) -> UInt64 {
        let unsaved = queue.unsaved(room: room).last?.sequence ?? 0
        let stored = (try? reader.withLock { r in try r?.lastSequence(room: room) }) ?? nil
        return max(stored ?? 0, unsaved)
    }
}
