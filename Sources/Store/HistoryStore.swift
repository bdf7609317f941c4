/// Durable (or not) room history behind one interface: `MemoryHistoryStore`, `SQLiteHistoryStore`,
/// and later the Redis store of the cluster (DESIGN.md §8). Every method is thread-safe.
///
/// Writes never wait on storage: `append` hands the record over and returns. Reads return
/// committed and not yet committed events alike, so a caller sees its own appends at once.
/// Results are always oldest first (ascending `sequence`); `limit` caps how many come back.
public protocol HistoryStore: AnyObject, Sendable {
    /// Takes `event` (its `id` is ignored) and returns the id it was given. Called under the
    /// room's ordering lock by event loops, so it must not block: at worst it takes a short mutex.
    /// Events of one room arrive in sequence order (that lock is the room's ordering point).
    @discardableResult
    func append(_ event: StoredEvent) -> Int64

    /// The newest `limit` events of `room`.
    func latest(room: String, limit: Int) -> [StoredEvent]
    /// The newest `limit` events with a sequence below `sequence` (scroll-back).
    func before(room: String, sequence: UInt64, limit: Int) -> [StoredEvent]
    /// The oldest `limit` events with a sequence above `sequence` (catch-up after a gap).
    func after(room: String, sequence: UInt64, limit: Int) -> [StoredEvent]
    /// Up to `limit` events centred on `sequence`: about half before it, the rest from it on
    /// (IRCv3 CHATHISTORY AROUND).
    func around(room: String, sequence: UInt64, limit: Int) -> [StoredEvent]
    /// Up to `limit` events strictly between `lower` and `upper`; the ones nearest `upper` when
    /// `newestFirst` (IRCv3 CHATHISTORY BETWEEN with the newer reference first), else nearest `lower`.
    func between(room: String, lower: UInt64, upper: UInt64, limit: Int, newestFirst: Bool) -> [StoredEvent]
    /// The event with this id, wherever it is (IRCv3 `msgid=` references).
    func event(id: Int64) -> StoredEvent?
    /// The first sequence of `room` whose time is at or after `time` ms (IRCv3 `timestamp=`
    /// references), nil if there is none.
    func firstSequence(room: String, atOrAfter time: Int64) -> UInt64?
    /// The highest sequence `room` ever had, also after retention removed it, 0 for a new room:
    /// a room re-created after a restart continues from here.
    func lastSequence(room: String) -> UInt64

    /// Waits until everything appended before the call is stored, or `timeout` seconds pass;
    /// true when it all was. Never called from an event loop.
    @discardableResult
    func flush(timeout: Double) -> Bool
    /// Flushes (up to `timeout`), stops the writer and releases the storage. Later appends are
    /// ignored and reads return nothing.
    func close(timeout: Double)

    /// Counters for logs, STATUS= and metrics.
    var statistics: HistoryStoreStatistics { get }
}

/// How much history is kept on disk (`--history-keep-days`, `--history-keep-per-room`); 0 means
/// no bound of that kind. Applied by the store in the background, in small batches.
public struct HistoryRetention: Sendable, Equatable {
    public var keepDays: Int
    public var keepPerRoom: Int

    public init(keepDays: Int = 0, keepPerRoom: Int = 0) {
        self.keepDays = max(0, keepDays)
        self.keepPerRoom = max(0, keepPerRoom)
    }

    /// Events older than this many ms since the epoch go; nil when there is no age bound.
    func cutoff(now: Int64) -> Int64? {
        keepDays > 0 ? now - Int64(keepDays) * 86_400_000 : nil
    }
}

public struct HistoryStoreStatistics: Sendable, Equatable {
    /// Events handed to `append`.
    public var appended: UInt64 = 0
    /// Events stored for good (committed, for SQLite).
    public var committed: UInt64 = 0
    /// Unsaved events dropped because the writer fell behind the queue bound.
    public var dropped: UInt64 = 0
    /// Events waiting for the writer.
    public var pending: Int = 0
    /// Transactions committed, and the largest number of events one of them held.
    public var batches: UInt64 = 0
    /// Time spent in those transactions, BEGIN to COMMIT returned (`batches` is their count).
    public var commitNanoseconds: UInt64 = 0
    public var largestBatch: Int = 0
    /// Commits that failed (disk full, I/O error); their events were kept for the next try.
    public var failedCommits: UInt64 = 0
    /// Events deleted by retention.
    public var pruned: UInt64 = 0

    public init() {}
}
