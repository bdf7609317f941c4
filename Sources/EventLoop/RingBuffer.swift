/// A byte ring with power-of-two capacity: indices are free-running and wrapped with a mask, so
/// `&+` never needs a bounds branch. chatd allocates one only while a connection has a partial
/// frame pending and drops it when drained: an idle connection carries no input buffer at all.
public final class RingBuffer {
    @usableFromInline var storage: UnsafeMutableRawPointer
    @usableFromInline var mask: Int
    @usableFromInline var readIndex = 0
    @usableFromInline var writeIndex = 0

    public init(minimumCapacity: Int) {
        var cap = 64
        while cap < minimumCapacity { cap <<= 1 }
        storage = .allocate(byteCount: cap, alignment: 16)
        mask = cap - 1
    }

    deinit { storage.deallocate() }

    @inlinable public var capacity: Int { mask &+ 1 }
    @inlinable public var readableCount: Int { writeIndex &- readIndex }
    @inlinable public var writableCount: Int { capacity &- readableCount }
    @inlinable public var isEmpty: Bool { readIndex == writeIndex }

    /// Grows (doubling, contents kept in order) until `count` more bytes fit.
    public func reserve(_ count: Int) {
        guard count > writableCount else { return }
        var cap = capacity
        while cap - readableCount < count { cap <<= 1 }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        let n = readableCount
        copyOut(to: fresh, count: n)
        storage.deallocate()
        storage = fresh
        mask = cap - 1
        readIndex = 0
        writeIndex = n
    }

    /// Appends bytes, growing if needed.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        let start = writeIndex & mask
        let first = min(bytes.count, capacity - start)
        (storage + start).copyMemory(from: src, byteCount: first)
        if first < bytes.count {
            storage.copyMemory(from: src + first, byteCount: bytes.count - first)
        }
        writeIndex &+= bytes.count
    }

    /// The contiguous free region after the write index, to `read(2)` into directly.
    @inlinable public var writableRegion: UnsafeMutableRawBufferPointer {
        let start = writeIndex & mask
        let n = min(writableCount, capacity &- start)
        return UnsafeMutableRawBufferPointer(start: storage + start, count: n)
    }

    @inlinable public func commitWrite(_ n: Int) { writeIndex &+= n }

    @inlinable public func consume(_ n: Int) {
        precondition(n <= readableCount)
        readIndex &+= n
        if readIndex == writeIndex { readIndex = 0; writeIndex = 0 }
    }

    /// All readable bytes as one contiguous region, rotating the contents to the start of the
    /// storage first if they wrap (a memmove, only when a frame straddles the end).
    public func withContiguousReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = readIndex & mask
        if start &+ readableCount > capacity { linearize() }
        let s = readIndex & mask
        return try body(UnsafeRawBufferPointer(start: storage + s, count: readableCount))
    }

    private func linearize() {
        let n = readableCount
        let tmp = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 1)
        copyOut(to: tmp, count: n)
        storage.copyMemory(from: tmp, byteCount: n)
        tmp.deallocate()
        readIndex = 0
        writeIndex = n
    }

    private func copyOut(to dst: UnsafeMutableRawPointer, count n: Int) {
        let start = readIndex & mask
        let first = min(n, capacity - start)
        dst.copyMemory(from: storage + start, byteCount: first)
        if first < n { (dst + first).copyMemory(from: storage, byteCount: n - first) }
    }
}
