import EventLoop

/// A room's last N messages, as the very frames that were sent live, so replay costs no
/// encoding and each entry is shared with the write queues that still hold it. Bounded both
/// by count (`--history`) and by bytes, so N huge messages cannot pin N × 64 KiB per room.
public struct History: Sendable {
    private var ring: [SharedBytes?]
    private var next = 0
    public private(set) var count = 0
    public private(set) var bytes = 0
    public let maxBytes: Int

    public init(capacity: Int, maxBytes: Int = 1 << 20) {
        ring = Array(repeating: nil, count: max(0, capacity))
        self.maxBytes = maxBytes
    }

    public var capacity: Int { ring.count }

    /// Appends, evicting the oldest entries beyond the count or byte bound; returns the change
    /// in bytes held (for the daemon-wide history budget).
    @discardableResult
    public mutating func append(_ frame: SharedBytes) -> Int {
        guard !ring.isEmpty else { return 0 }
        let before = bytes
        if count == ring.count { evictOldest() }
        ring[next] = frame
        next = next + 1 == ring.count ? 0 : next + 1
        count += 1
        bytes += frame.count
        while bytes > maxBytes && count > 1 { evictOldest() }
        return bytes - before
    }

    private mutating func evictOldest() {
        let oldest = (next - count + ring.count) % ring.count
        bytes -= ring[oldest]?.count ?? 0
        ring[oldest] = nil
        count -= 1
    }

    /// Oldest first.
    public var frames: [SharedBytes] {
        guard count > 0 else { return [] }
        let start = (next - count + ring.count) % ring.count
        return (0..<count).map { ring[(start + $0) % ring.count]! }
    }

    /// Keeps the newest entries when the configured size changes (reload).
    public mutating func resize(to capacity: Int) {
        guard capacity != ring.count else { return }
        let kept = frames.suffix(max(0, capacity))
        self = History(capacity: capacity, maxBytes: maxBytes)
        for f in kept { append(f) }
    }
}
