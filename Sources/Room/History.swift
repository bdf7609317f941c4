import EventLoop

/// A room's last N messages, as the very frames that were sent live, so replay costs no
/// encoding and each entry is shared with the write queues that still hold it.
public struct History: Sendable {
    private var ring: [SharedBytes?]
    private var next = 0
    public private(set) var count = 0

    public init(capacity: Int) {
        ring = Array(repeating: nil, count: max(0, capacity))
    }

    public var capacity: Int { ring.count }

    public mutating func append(_ frame: SharedBytes) {
        guard !ring.isEmpty else { return }
        ring[next] = frame
        next = next + 1 == ring.count ? 0 : next + 1
        count = min(count + 1, ring.count)
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
        self = History(capacity: capacity)
        for f in kept { append(f) }
    }
}
