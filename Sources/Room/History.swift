import EventLoop

/// A room's last N messages, as the very events that were delivered live: replay reuses the
/// encodings they already carry, and each entry is shared with the loops still delivering it. Bounded both
/// by count (`--history`) and by bytes, so N huge messages cannot pin N × 64 KiB per room.
///
/// Every entry ever appended has a sequence number (0, 1, 2, … per room); the entries held are
/// always the newest `count` of them. The daemon-wide budget (`HistoryLedger`) names entries by
/// sequence, so it can tell an entry this history already evicted from one it still holds.
public struct History: Sendable {
    private var ring: [RoomEvent?]
    private var next = 0
    public private(set) var count = 0
    public private(set) var bytes = 0
    public let maxBytes: Int
    /// Entries ever appended: the sequence number the next entry gets.
    public private(set) var appended: UInt64 = 0

    public init(capacity: Int, maxBytes: Int = 1 << 20) {
        ring = Array(repeating: nil, count: max(0, capacity))
        self.maxBytes = maxBytes
    }

    public var capacity: Int { ring.count }

    /// Sequence number of the oldest entry held (`appended` when empty).
    public var oldestSequence: UInt64 { appended - UInt64(count) }

    /// Whether the entry numbered `sequence` is still held.
    public func holds(_ sequence: UInt64) -> Bool { sequence >= oldestSequence && sequence < appended }

    /// Appends, evicting the oldest entries beyond the count or byte bound; returns the change
    /// in bytes held (for the daemon-wide history budget). The entry's sequence number is
    /// `appended - 1` afterwards.
    @discardableResult
    public mutating func append(_ event: RoomEvent) -> Int {
        guard !ring.isEmpty else { return 0 }
        let before = bytes
        if count == ring.count { evictOldest() }
        ring[next] = event
        next = next + 1 == ring.count ? 0 : next + 1
        count += 1
        appended += 1
        bytes += event.historyBytes
        while bytes > maxBytes && count > 1 { evictOldest() }
        return bytes - before
    }

    /// Evicts every entry numbered `sequence` or older; returns the bytes freed.
    public mutating func evict(through sequence: UInt64) -> Int {
        let before = bytes
        while count > 0 && oldestSequence <= sequence { evictOldest() }
        return before - bytes
    }

    /// Evicts everything (the room is being dropped); returns the bytes freed.
    public mutating func removeAll() -> Int {
        guard count > 0 else { return 0 }
        return evict(through: appended - 1)
    }

    private mutating func evictOldest() {
        let oldest = (next - count + ring.count) % ring.count
        bytes -= ring[oldest]?.historyBytes ?? 0
        ring[oldest] = nil
        count -= 1
    }

    /// Oldest first.
    public var events: [RoomEvent] {
        guard count > 0 else { return [] }
        let start = (next - count + ring.count) % ring.count
        return (0..<count).map { ring[(start + $0) % ring.count]! }
    }

    /// Keeps the newest entries when the configured size changes (reload). Sequence numbers
    /// carry over, so the budget's ledger still names the kept entries correctly.
    public mutating func resize(to capacity: Int) {
        guard capacity != ring.count else { return }
        let kept = events.suffix(max(0, capacity))
        let appended = self.appended
        self = History(capacity: capacity, maxBytes: maxBytes)
        for f in kept { append(f) }
        self.appended = appended
    }
}
