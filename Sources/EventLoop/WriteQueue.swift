import CEventLoopShims
import Glibc

/// A loop-owned array of IOV_MAX iovecs, reused by every flush on that loop: building a writev
/// batch allocates nothing (SwiftNIO's pooled iovec array).
public final class IOVecPool {
    public let capacity: Int
    @usableFromInline let vectors: UnsafeMutablePointer<iovec>
    /// Where batches of small frames are copied to go out in one write(2).
    @usableFromInline let scratch: UnsafeMutableRawBufferPointer
    /// Batches whose frames average at most this many bytes are copied into `scratch` and
    /// written with one write(2) instead of a writev(2) of many tiny iovecs (0 = never).
    public var coalesceAverageBelow: Int

    public init(capacity: Int = Posix.iovMax, scratchBytes: Int = 64 * 1024, coalesceAverageBelow: Int = 0) {
        self.capacity = capacity
        vectors = .allocate(capacity: capacity)
        scratch = .allocate(byteCount: scratchBytes, alignment: 16)
        self.coalesceAverageBelow = coalesceAverageBelow
    }

    deinit {
        vectors.deallocate()
        scratch.deallocate()
    }
}

/// How a flush ended.
public enum FlushResult: Equatable, Sendable {
    /// Everything queued was written.
    case drained
    /// The kernel's send buffer is full (EAGAIN or a short write); wait for EPOLLOUT.
    case blocked
    /// The per-call byte budget ran out with the socket still writable: re-post for fairness.
    case budgetExhausted
    /// The peer is gone (EPIPE, ECONNRESET, …).
    case failed(Errno)
}

/// One connection's pending output: references to shared immutable frames, each with the offset
/// it starts at, plus the offset already written of the first one. Queueing a frame is a retain
/// and an append into storage whose capacity is kept, so steady-state delivery allocates nothing.
/// The start offset lets recipients share one encoding that differs only by a prefix (IRC's
/// `@time=` tag, sent only to clients that negotiated server-time).
public struct WriteQueue {
    @usableFromInline struct Entry {
        @usableFromInline let bytes: SharedBytes
        @usableFromInline let start: Int
        @inlinable init(bytes: SharedBytes, start: Int) {
            self.bytes = bytes
            self.start = start
        }
        @inlinable var count: Int { bytes.count &- start }
    }
    @usableFromInline var frames: ContiguousArray<Entry> = []
    /// The first unwritten frame and the bytes of it already written. Stored as UInt32 (a
    /// queue is bounded by the slow-consumer limits, far below 4 G frames or bytes) so the
    /// queue is 24 bytes: it is in every connection.
    @usableFromInline var headIndex: UInt32 = 0
    @usableFromInline var headWritten: UInt32 = 0
    @inlinable var head: Int {
        get { Int(headIndex) }
        set { headIndex = UInt32(truncatingIfNeeded: newValue) }
    }
    @inlinable var headOffset: Int {
        get { Int(headWritten) }
        set { headWritten = UInt32(truncatingIfNeeded: newValue) }
    }
    /// Bytes queued and not yet written: what the slow-consumer limits are measured against.
    public var pendingBytes: Int { _pending }
    @usableFromInline var _pending = 0

    public init() {}

    @inlinable public var isEmpty: Bool { pendingBytes == 0 }
    @inlinable public var frameCount: Int { frames.count &- head }

    @inlinable
    public mutating func enqueue(_ frame: SharedBytes) {
        guard frame.count > 0 else { return }
        frames.append(Entry(bytes: frame, start: 0))
        _pending &+= frame.count
    }

    /// Queues the bytes of `frame` from `offset` on (`0...frame.count`).
    @inlinable
    public mutating func enqueue(_ frame: SharedBytes, from offset: Int) {
        precondition(offset >= 0 && offset <= frame.count, "offset out of range")
        guard frame.count > offset else { return }
        frames.append(Entry(bytes: frame, start: offset))
        _pending &+= frame.count &- offset
    }

    /// Drops everything (connection closing) and returns the storage.
    public mutating func removeAll() {
        frames = []
        head = 0
        headOffset = 0
        _pending = 0
    }

    /// Gives the frame array's storage back if nothing is queued, so an idle connection holds
    /// no array. The owner calls it off the delivery path (chatd: once a second for queues
    /// that drained), since a busy queue would only allocate it again on the next append.
    public mutating func releaseStorageIfEmpty() {
        guard head == frames.count, frames.capacity > 0 else { return }
        frames = []
        head = 0
        headOffset = 0
    }

    /// Writes as much as the socket takes, stopping once `budget` bytes are passed (batches are
    /// built from whole frames, so one call may exceed the budget by one frame), with writev(2) batches of at
    /// most IOV_MAX frames. Frames stay referenced until fully written, which keeps their
    /// memory alive for the kernel call.
    public mutating func flush(to fd: CInt, using pool: IOVecPool, budget: Int = .max) -> FlushResult {
        var remainingBudget = budget
        while pendingBytes > 0 {
            if remainingBudget <= 0 { return .budgetExhausted }
            var n = 0
            var batchBytes = 0
            var i = head
            while i < frames.count && n < pool.capacity && batchBytes < remainingBudget {
                let f = frames[i]
                let skip = f.start &+ (i == head ? headOffset : 0)
                pool.vectors[n] = iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: f.bytes.baseAddress + skip), iov_len: f.bytes.count &- skip)
                batchBytes &+= f.bytes.count &- skip
                n &+= 1
                i &+= 1
            }
            let written: Int
            do {
                let result: IOResult<Int>
                if n > 1 && batchBytes <= pool.scratch.count && batchBytes <= pool.coalesceAverageBelow &* n {
                    var p = pool.scratch.baseAddress!
                    for k in 0..<n {
                        p.copyMemory(from: pool.vectors[k].iov_base, byteCount: pool.vectors[k].iov_len)
                        p += pool.vectors[k].iov_len
                    }
                    result = try Posix.write(fd, UnsafeRawBufferPointer(start: pool.scratch.baseAddress, count: batchBytes))
                } else {
                    result = try Posix.writev(fd, pool.vectors, n)
                }
                switch result {
                case .processed(let w): written = w
                case .wouldBlock: return .blocked
                }
            } catch {
                return .failed(error)
            }
            advance(by: written)
            remainingBudget &-= written
            if written < batchBytes { return .blocked }
        }
        return .drained
    }

    /// The unwritten bytes of the first queued frame (empty when the queue is). Valid until the
    /// queue is next mutated.
    public var front: UnsafeRawBufferPointer {
        guard head < frames.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let f = frames[head]
        return UnsafeRawBufferPointer(start: f.bytes.baseAddress + f.start + headOffset, count: f.count &- headOffset)
    }

    /// Copies up to `buffer.count` unwritten bytes, in queue order, into `buffer` without
    /// consuming them; returns how many. For writers that cannot take iovecs (TLS: SSL_write).
    public func copyFront(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        var i = head
        while i < frames.count && copied < buffer.count {
            let f = frames[i]
            let skip = i == head ? headOffset : 0
            let n = Swift.min(f.count &- skip, buffer.count &- copied)
            (buffer.baseAddress! + copied).copyMemory(from: f.bytes.baseAddress + f.start + skip, byteCount: n)
            copied &+= n
            i &+= 1
        }
        return copied
    }

    /// Marks the first `count` queued bytes as written (by a writer other than `flush`).
    public mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= pendingBytes, "consumed more than is queued")
        advance(by: count)
    }

    @usableFromInline
    mutating func advance(by written: Int) {
        var left = written
        _pending &-= written
        while left > 0 {
            let rest = frames[head].count &- headOffset
            if left >= rest {
                left &-= rest
                head &+= 1
                headOffset = 0
            } else {
                headOffset &+= left
                left = 0
            }
        }
        if head == frames.count {
            frames.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 256 && head &* 2 >= frames.count {
            // A consumer that never catches up would otherwise keep written frames referenced.
            frames.removeFirst(head)
            head = 0
        }
    }
}
