import EventLoop
import Glibc

/// The bounded hand-off from the event loops to the SQLite writer thread. Appends take one
/// pthread mutex and never wait for storage; when `capacity` events are unsaved, the OLDEST
/// unsaved one is dropped (and counted) to make room, because live chat must never wait on the
/// disk and the newest history is what a joiner wants to see. A pthread condition variable
/// (not Locked) because the writer sleeps until work arrives or its commit interval ends,
/// and flushers sleep until the writer has stored what they wait for.
final class WriterQueue: @unchecked Sendable {
    // @unchecked Sendable: every field below the mutex is touched only with the mutex held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// The writer waits on `work`; flushers wait on `done`. Both use CLOCK_MONOTONIC.
    private let work = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    let capacity: Int
    /// Bytes of unsaved events (`StoredEvent.queuedBytes`) held before the oldest are dropped:
    /// a count bound alone would let 64 KiB messages pin gigabytes.
    let maxBytes: Int
    private var pendingBytes = 0
    /// Unsaved events, oldest first, from `head` on (the prefix holds dropped, vacated slots
    /// until the writer takes the array or it is compacted).
    private var pending: ContiguousArray<StoredEvent> = []
    private var head = 0
    /// The batch the writer is storing right now: still readable (`unsaved(room:)`) until done.
    private var inFlight: ContiguousArray<StoredEvent> = []
    private var nextID: Int64
    /// Monotonic time the oldest pending event arrived: the group commit is due a commit
    /// interval later.
    private var firstArrival: UInt64 = 0
    private(set) var appended: UInt64 = 0
    /// Events that left for good: committed or dropped. `flush` waits on this.
    private var resolved: UInt64 = 0
    private(set) var dropped: UInt64 = 0
    private var flushWanted = false
    private var closing = false
    private var abandon = false

    init(capacity: Int, maxBytes: Int, nextID: Int64) {
        self.capacity = max(1, capacity)
        self.maxBytes = max(1, maxBytes)
        self.nextID = nextID
        pending.reserveCapacity(min(self.capacity, 4096))
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(work, &attr)
        pthread_cond_init(done, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(work)
        pthread_cond_destroy(done)
        pthread_mutex_destroy(mutex)
        work.deallocate()
        done.deallocate()
        mutex.deallocate()
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on `cond` until `deadline` (monotonic ns; 0 = no deadline). The mutex must be held.
    private func wait(_ cond: UnsafeMutablePointer<pthread_cond_t>, until deadline: UInt64) {
        if deadline == 0 {
            pthread_cond_wait(cond, mutex)
            return
        }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_cond_timedwait(cond, mutex, &ts)
    }

    private var live: Int { pending.count - head }

    // MARK: producers (event loops)

    /// Queues `event` and returns its id; 0 once the store is closing.
    func append(_ event: StoredEvent) -> Int64 {
        locked {
            guard !closing else { return 0 }
            var e = event
            e.id = nextID
            nextID += 1
            appended += 1
            let size = e.queuedBytes
            while live > 0 && (live == capacity || pendingBytes + size > maxBytes) {
                pendingBytes -= pending[head].queuedBytes
                pending[head] = .vacant
                head += 1
                dropped += 1
                resolved += 1
                if head >= capacity {
                    pending.removeFirst(head)
                    head = 0
                }
            }
            pending.append(e)
            pendingBytes += size
            if live == 1 {
                firstArrival = Monotonic.now()
                pthread_cond_signal(work)
            }
            return e.id
        }
    }

    /// The events of `room` not yet committed (queued or being written), by sequence.
    func unsaved(room: String) -> [StoredEvent] {
        var out: [StoredEvent] = []
        locked {
            for e in inFlight where e.room == room { out.append(e) }
            for e in pending[head...] where e.room == room { out.append(e) }
        }
        // Callers append in sequence order per room, but nothing here depends on it.
        out.sort { $0.sequence < $1.sequence }
        return out
    }

    func unsaved(id: Int64) -> StoredEvent? {
        locked { inFlight.first { $0.id == id } ?? pending[head...].first { $0.id == id } }
    }

    var pendingCount: Int { locked { live + inFlight.count } }

    /// Waits until every event appended before the call is resolved or `deadline` passes.
    func waitResolved(deadline: UInt64) -> Bool {
        locked {
            let target = appended
            flushWanted = true
            pthread_cond_signal(work)
            while resolved < target {
                if Monotonic.now() >= deadline { return false }
                wait(done, until: deadline)
            }
            return true
        }
    }

    /// Asks the writer to stop: after storing everything, or at once when `abandon`.
    func close(abandon: Bool) {
        locked {
            closing = true
            self.abandon = self.abandon || abandon
            pthread_cond_signal(work)
        }
    }

    // MARK: the writer thread

    enum Take {
        /// Store these (`batch` is the writer's spare array, now holding the events).
        case batch
        /// Nothing to store; run periodic work (retention) and come back.
        case idle
        /// Closed and drained (or abandoned): the writer exits.
        case stop
    }

    /// Waits for a batch: until the commit interval since the oldest pending event has passed,
    /// a flush is wanted, or the store closes; or until `idleDeadline` when nothing is pending.
    /// Swaps the pending events into `batch` (which must be empty; its capacity is reused).
    func take(into batch: inout ContiguousArray<StoredEvent>, interval: UInt64, idleDeadline: UInt64) -> Take {
        locked {
            while true {
                if abandon { return .stop }
                if live == 0 {
                    if closing { return .stop }
                    if Monotonic.now() >= idleDeadline { return .idle }
                    wait(work, until: idleDeadline)
                    continue
                }
                let due = firstArrival &+ interval
                if closing || flushWanted || Monotonic.now() >= due { break }
                wait(work, until: due)
            }
            flushWanted = false
            if head > 0 {
                pending.removeFirst(head)
                head = 0
            }
            swap(&pending, &batch)
            pendingBytes = 0
            inFlight = batch
            return .batch
        }
    }

    /// The writer stored `count` events of the batch it took.
    func committed(_ count: Int) {
        locked {
            resolved += UInt64(count)
            inFlight = []
            pthread_cond_broadcast(done)
        }
    }

    /// The writer could not store `batch`: its events go back in front of the queue (the oldest
    /// beyond the bound are dropped, counted).
    func requeue(_ batch: ContiguousArray<StoredEvent>) {
        locked {
            var merged = batch
            merged.append(contentsOf: pending[head...])
            var bytes = merged.reduce(0) { $0 + $1.queuedBytes }
            var excess = max(0, merged.count - capacity)
            for e in merged[..<excess] { bytes -= e.queuedBytes }
            while excess < merged.count - 1 && bytes > maxBytes {
                bytes -= merged[excess].queuedBytes
                excess += 1
            }
            pendingBytes = bytes
            if excess > 0 {
                merged.removeFirst(excess)
                dropped += UInt64(excess)
                resolved += UInt64(excess)
                pthread_cond_broadcast(done)
            }
            pending = merged
            head = 0
            inFlight = []
            if live > 0 { firstArrival = Monotonic.now() }
        }
    }

    /// Sleeps up to `deadline` unless the store is closing (used to back off after a failure).
    func pause(until deadline: UInt64) {
        locked {
            while !closing && !abandon && Monotonic.now() < deadline { wait(work, until: deadline) }
        }
    }

    var isAbandoned: Bool { locked { abandon } }
}
