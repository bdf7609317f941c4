/// A timer: fires `token`/`kind` at an absolute CLOCK_MONOTONIC `deadline` (nanoseconds).
public struct Timer: Sendable, Equatable {
    public var deadline: UInt64
    public var token: UInt64
    public var kind: UInt32

    public init(deadline: UInt64, token: UInt64, kind: UInt32) {
        self.deadline = deadline
        self.token = token
        self.kind = kind
    }
}

/// A binary min-heap of timers behind one timerfd. Cancellation is lazy: the owner checks on
/// expiry whether the timer still applies (generation in the token, deadline in its own state),
/// which keeps insert O(log n) and cancel free — connections reschedule idle timers often.
public struct TimerHeap: Sendable {
    @usableFromInline var heap: [Timer] = []

    public init() {}

    @inlinable public var count: Int { heap.count }
    @inlinable public var nextDeadline: UInt64? { heap.first?.deadline }

    public mutating func schedule(_ t: Timer) {
        heap.append(t)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent].deadline <= heap[i].deadline { break }
            heap.swapAt(parent, i)
            i = parent
        }
    }

    /// Removes every timer matching `predicate` and restores the heap order (O(n)).
    public mutating func removeAll(where predicate: (Timer) -> Bool) {
        heap.removeAll(where: predicate)
        shrinkIfSparse()
        var i = heap.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    public mutating func popExpired(now: UInt64) -> Timer? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        shrinkIfSparse()
        return first
    }

    /// A burst of connections leaves a heap's capacity at its peak: once it is a quarter full,
    /// move the timers to storage twice their count, so the peak's memory goes back (O(1)
    /// amortized: each shrink follows at least 3/4 of the capacity in pops).
    private mutating func shrinkIfSparse() {
        guard heap.capacity > 1024, heap.count < heap.capacity / 4 else { return }
        var smaller: [Timer] = []
        smaller.reserveCapacity(heap.count * 2)
        smaller.append(contentsOf: heap)
        heap = smaller
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
    }
}
