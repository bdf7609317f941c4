import CSQLite
import EventLoop
import Logging

/// The SQLite writer thread: takes the queued events in batches and stores each batch in one
/// transaction (group commit), and applies retention in small transactions between batches.
/// It owns the write connection and its prepared statements for the store's whole life, so the
/// write path binds and steps statements and allocates nothing per event.
final class HistoryWriter: @unchecked Sendable {
    // @unchecked Sendable: built by the opening thread, then handed to the writer thread, the
    // only one that touches it from then on.
    let database: SQLiteDatabase
    let queue: WriterQueue
    let options: SQLiteHistoryStore.Options
    let logger: Logger
    let counters: Locked<HistoryStoreStatistics>

    private let insertEvent: SQLiteStatement
    private let findRoom: SQLiteStatement
    private let insertRoom: SQLiteStatement
    private let raiseLastSequence: SQLiteStatement
    private let pruneByAge: SQLiteStatement
    private let keepBoundary: SQLiteStatement
    private let pruneRoom: SQLiteStatement
    private let allRooms: SQLiteStatement

    /// Room name → row id. Cleared after a failed transaction (its new rows were rolled back)
    /// and when it grows past `roomCacheLimit`, so it stays bounded however many rooms there were.
    private var roomIDs: [String: Int64] = [:]
    private static let roomCacheLimit = 100_000
    /// The highest sequence per room id in the batch being written; capacity kept.
    private var batchLast: [Int64: UInt64] = [:]
    /// Rooms to check against `keepPerRoom` at the next retention pass.
    private var roomsToPrune = Set<Int64>()
    private var failing = false
    private var loggedDrops: UInt64 = 0
    private var lastDropLog: UInt64 = 0

    init(database: SQLiteDatabase, queue: WriterQueue, options: SQLiteHistoryStore.Options,
         logger: Logger, counters: Locked<HistoryStoreStatistics>) throws {
        self.database = database
        self.queue = queue
        self.options = options
        self.logger = logger
        self.counters = counters
        insertEvent = try database.prepare(
            "INSERT OR IGNORE INTO events(id, room, seq, time, kind, private, sender, text) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        findRoom = try database.prepare("SELECT id FROM rooms WHERE name = ?1")
        insertRoom = try database.prepare("INSERT INTO rooms(name) VALUES(?1)")
        raiseLastSequence = try database.prepare("UPDATE rooms SET last_seq = max(last_seq, ?2) WHERE id = ?1")
        // Looks at the `batch` oldest rows only (ids grow with time), so a pass costs the same
        // however large the table is, and needs no index on time.
        pruneByAge = try database.prepare(
            "DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id, time FROM events ORDER BY id LIMIT ?2) WHERE time < ?1)")
        keepBoundary = try database.prepare("SELECT seq FROM events WHERE room = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2")
        pruneRoom = try database.prepare(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE room = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3)")
        allRooms = try database.prepare("SELECT id FROM rooms")
        // Rooms may be over a lowered --history-keep-per-room since the last run: check them all once.
        if options.retention.keepPerRoom > 0 {
            while try allRooms.step() { roomsToPrune.insert(allRooms.int64(0)) }
            allRooms.reset()
        }
    }

    /// The thread's body: returns when the store closes.
    func run() {
        var batch = ContiguousArray<StoredEvent>()
        batch.reserveCapacity(min(queue.capacity, 4096))
        let interval = UInt64(options.commitMilliseconds) * 1_000_000
        let pruneEvery = UInt64(options.pruneMilliseconds) * 1_000_000
        var nextPrune = Monotonic.now()
        while true {
            switch queue.take(into: &batch, interval: interval, idleDeadline: nextPrune) {
            case .stop:
                let lost = queue.pendingCount
                if lost > 0 {
                    logger.error("history writer stopped with unsaved events", metadata: ["events": "\(lost)"])
                }
                return
            case .idle:
                break
            case .batch:
                store(batch)
                batch.removeAll(keepingCapacity: true)
            }
            reportDrops()
            if !failing && Monotonic.now() >= nextPrune {
                let more = prune()
                nextPrune = Monotonic.now() + (more ? pruneEvery / 10 : pruneEvery)
            }
        }
    }

    // MARK: group commit

    private func store(_ batch: ContiguousArray<StoredEvent>) {
        let started = Monotonic.now()
        do {
            try database.execute("BEGIN IMMEDIATE")
            batchLast.removeAll(keepingCapacity: true)
            for e in batch {
                let room = try roomID(e.room)
                insertEvent.bind(1, e.id)
                insertEvent.bind(2, room)
                insertEvent.bind(3, Int64(bitPattern: e.sequence))
                insertEvent.bind(4, e.time)
                insertEvent.bind(5, Int64(e.kind.rawValue))
                insertEvent.bind(6, e.isPrivate ? 1 : 0)
                defer { insertEvent.reset() }
                _ = try insertEvent.withText(7, e.sender) {
                    try insertEvent.withText(8, e.text) { try insertEvent.step() }
                }
                if batchLast[room, default: 0] < e.sequence { batchLast[room] = e.sequence }
            }
            for (room, last) in batchLast {
                raiseLastSequence.bind(1, room)
                raiseLastSequence.bind(2, Int64(bitPattern: last))
                defer { raiseLastSequence.reset() }
                _ = try raiseLastSequence.step()
                if options.retention.keepPerRoom > 0 { roomsToPrune.insert(room) }
            }
            try database.execute("COMMIT")
        } catch {
            fail(batch, error)
            return
        }
        counters.withLock {
            $0.committed += UInt64(batch.count)
            $0.batches += 1
            $0.commitNanoseconds &+= Monotonic.now() &- started
            $0.largestBatch = max($0.largestBatch, batch.count)
        }
        if failing {
            failing = false
            logger.notice("history writes recovered", metadata: ["events": "\(batch.count)"])
        }
        // Last: a flush waiting on this batch returns with the statistics and log already done.
        queue.committed(batch.count)
    }

    /// Rolls back, keeps the batch for the next try, logs the first failure of a streak, and
    /// backs off so a full disk is not hammered (the queue bound still applies meanwhile).
    private func fail(_ batch: ContiguousArray<StoredEvent>, _ error: any Error) {
        if database.inTransaction { try? database.execute("ROLLBACK") }
        roomIDs.removeAll()
        queue.requeue(batch)
        counters.withLock { $0.failedCommits += 1 }
        if !failing {
            failing = true
            logger.error("history write failed; keeping events in memory and retrying", metadata: [
                "error": "\(error)", "events": "\(batch.count)",
                "retry_ms": "\(options.retryMilliseconds)",
            ])
        }
        queue.pause(until: Monotonic.now() + UInt64(options.retryMilliseconds) * 1_000_000)
    }

    private func roomID(_ name: String) throws -> Int64 {
        if let id = roomIDs[name] { return id }
        if roomIDs.count >= Self.roomCacheLimit { roomIDs.removeAll() }
        let id: Int64
        defer { findRoom.reset(); insertRoom.reset() }
        if try findRoom.withText(1, name, { try findRoom.step() }) {
            id = findRoom.int64(0)
        } else {
            _ = try insertRoom.withText(1, name) { try insertRoom.step() }
            id = sqlite3_last_insert_rowid(database.handle)
        }
        roomIDs[name] = id
        return id
    }

    private func reportDrops() {
        let dropped = queue.dropped
        guard dropped > loggedDrops else { return }
        let now = Monotonic.now()
        // At most one warning per 10 s while the writer stays behind.
        guard lastDropLog == 0 || now - lastDropLog >= 10_000_000_000 else { return }
        logger.warning("history writer fell behind: dropped the oldest unsaved events", metadata: [
            "dropped": "\(dropped - loggedDrops)", "dropped_total": "\(dropped)", "queue_bound": "\(queue.capacity)",
        ])
        loggedDrops = dropped
        lastDropLog = now
    }

    // MARK: retention

    /// One retention pass: at most `pruneBatch` rows by age and per room, each in its own
    /// short transaction so the loops' writes never wait long behind it. True if more is due.
    private func prune() -> Bool {
        var more = false
        var deleted = 0
        let batch = Int64(options.pruneBatch)
        do {
            if let cutoff = options.retention.cutoff(now: options.clock()) {
                pruneByAge.bind(1, cutoff)
                pruneByAge.bind(2, batch)
                defer { pruneByAge.reset() }
                _ = try pruneByAge.step()
                let n = database.changes
                deleted += n
                more = n == options.pruneBatch
            }
            let keep = options.retention.keepPerRoom
            if keep > 0 {
                var done: [Int64] = []
                for room in roomsToPrune {
                    keepBoundary.bind(1, room)
                    keepBoundary.bind(2, Int64(keep))
                    let boundary = try keepBoundary.step() ? keepBoundary.int64(0) : nil
                    keepBoundary.reset()
                    guard let boundary else { done.append(room); continue }
                    pruneRoom.bind(1, room)
                    pruneRoom.bind(2, boundary)
                    pruneRoom.bind(3, batch)
                    defer { pruneRoom.reset() }
                    _ = try pruneRoom.step()
                    let n = database.changes
                    deleted += n
                    if n < options.pruneBatch { done.append(room) } else { more = true }
                    if deleted >= options.pruneBatch * 4 { more = true; break }
                }
                for r in done { roomsToPrune.remove(r) }
            }
        } catch {
            logger.warning("history retention pass failed", metadata: ["error": "\(error)"])
            return false
        }
        if deleted > 0 { counters.withLock { $0.pruned += UInt64(deleted) } }
        return more
    }
}
