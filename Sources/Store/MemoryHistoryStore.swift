import EventLoop

/// History in memory only (`--history-store memory`, tests): lost on restart. Bounded like the
/// disk store by `retention`, and per room by `maxPerRoom` when no count bound is configured,
/// so it cannot grow without limit.
public final class MemoryHistoryStore: HistoryStore {
    struct RoomLog {
        /// Oldest first; `events[start...]` are live, the prefix is compacted away lazily.
        var events: ContiguousArray<StoredEvent> = []
        var start = 0
        var lastSequence: UInt64 = 0

        var live: ArraySlice<StoredEvent> { events[start...] }

        mutating func dropOldest(_ n: Int) {
            start += n
            if start > 1024 && start * 2 > events.count {
                events.removeFirst(start)
                start = 0
            }
        }
    }

    struct State {
        var rooms: [String: RoomLog] = [:]
        var nextID: Int64 = 1
        var statistics = HistoryStoreStatistics()
        var closed = false
    }

    private let state = Locked(State())
    private let keepPerRoom: Int
    private let retention: HistoryRetention
    private let clock: @Sendable () -> Int64

    public static let defaultMaxPerRoom = 10_000

    public init(
        retention: HistoryRetention = HistoryRetention(), maxPerRoom: Int = defaultMaxPerRoom,
        clock: @escaping @Sendable () -> Int64 = RealtimeClock.milliseconds
    ) {
        self.retention = retention
        keepPerRoom = retention.keepPerRoom > 0 ? retention.keepPerRoom : max(1, maxPerRoom)
        self.clock = clock
    }

    @discardableResult
    public func append(_ event: StoredEvent) -> Int64 {
        state.withLock { st -> Int64 in
            guard !st.closed else { return 0 }
            var e = event
            e.id = st.nextID
            st.nextID += 1
            st.statistics.appended += 1
            st.statistics.committed += 1
            var log = st.rooms.removeValue(forKey: e.room) ?? RoomLog()
            log.lastSequence = max(log.lastSequence, e.sequence)
            log.events.append(e)
            var excess = log.events.count - log.start - keepPerRoom
            if let cutoff = retention.cutoff(now: clock()) {
                var i = log.start + max(0, excess)
                while i < log.events.count && log.events[i].time < cutoff { i += 1 }
                excess = i - log.start
            }
            if excess > 0 {
                log.dropOldest(excess)
                st.statistics.pruned += UInt64(excess)
            }
            st.rooms[e.room] = log
            return e.id
        }
    }

    private func read<R>(_ room: String, _ body: (ArraySlice<StoredEvent>) -> R) -> R {
        state.withLock { st in
            body(st.rooms[room]?.live ?? [])
        }
    }

    /// Index of the first event with a sequence ≥ `sequence` (binary search: sequences ascend).
    private static func lowerBound(_ events: ArraySlice<StoredEvent>, _ sequence: UInt64) -> Int {
        var lo = events.startIndex, hi = events.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if events[mid].sequence < sequence { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func latest(room: String, limit: Int) -> [StoredEvent] {
        read(room) { Array($0.suffix(max(0, limit))) }
    }

    public func before(room: String, sequence: UInt64, limit: Int) -> [StoredEvent] {
        read(room) { ev in Array(ev[..<Self.lowerBound(ev, sequence)].suffix(max(0, limit))) }
    }

    public func after(room: String, sequence: UInt64, limit: Int) -> [StoredEvent] {
        read(room) { ev in
            sequence == .max ? [] : Array(ev[Self.lowerBound(ev, sequence + 1)...].prefix(max(0, limit)))
        }
    }

    public func around(room: String, sequence: UInt64, limit: Int) -> [StoredEvent] {
        let half = max(0, limit) / 2
        return before(room: room, sequence: sequence, limit: half)
            + after(room: room, sequence: sequence == 0 ? 0 : sequence - 1, limit: max(0, limit) - half)
    }

    public func between(room: String, lower: UInt64, upper: UInt64, limit: Int, newestFirst: Bool) -> [StoredEvent] {
        guard lower < upper, lower != .max else { return [] }
        return read(room) { ev in
            let slice = ev[Self.lowerBound(ev, lower + 1)..<Self.lowerBound(ev, upper)]
            return Array(newestFirst ? slice.suffix(max(0, limit)) : slice.prefix(max(0, limit)))
        }
    }

    public func event(id: Int64) -> StoredEvent? {
        state.withLock { st in
            for log in st.rooms.values {
                let ev = log.live
                guard let first = ev.first, let last = ev.last, first.id <= id, id <= last.id else { continue }
                // Ids ascend within a room (assigned in append order under this lock).
                var lo = ev.startIndex, hi = ev.endIndex
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if ev[mid].id < id { lo = mid + 1 } else { hi = mid }
                }
                if lo < ev.endIndex && ev[lo].id == id { return ev[lo] }
            }
            return nil
        }
    }

    public func firstSequence(room: String, atOrAfter time: Int64) -> UInt64? {
        read(room) { ev in ev.first(where: { $0.time >= time })?.sequence }
    }

    public func lastSequence(room: String) -> UInt64 {
        state.withLock { $0.rooms[room]?.lastSequence ?? 0 }
    }

    @discardableResult
    public func flush(timeout: Double) -> Bool { true }

    public func close(timeout: Double) {
        state.withLock { st in
            st.closed = true
            st.rooms = [:]
        }
    }

    public var statistics: HistoryStoreStatistics { state.withLock { $0.statistics } }
}
