/// Immutable bytes shared by reference: one encoded chat message, queued to every recipient
/// without copying (Redis replication's shared blocks rather than pub/sub's per-client copies).
/// One allocation holds the length and the bytes (ManagedBuffer tail allocation); copying a
/// `SharedBytes` is a retain.
public struct SharedBytes: @unchecked Sendable {
    // @unchecked Sendable: the bytes are written only inside `make`, before the value can reach
    // another thread, and never mutated afterwards. (ManagedBuffer itself is explicitly not
    // Sendable, hence the wrapper.)
    @usableFromInline let storage: ManagedBuffer<Int, UInt8>

    @inlinable init(storage: ManagedBuffer<Int, UInt8>) { self.storage = storage }

    /// Allocates `count` bytes and lets `fill` write them exactly once.
    @inlinable
    public static func make(count: Int, _ fill: (UnsafeMutableRawPointer) -> Void) -> SharedBytes {
        let buffer = ManagedBuffer<Int, UInt8>.create(minimumCapacity: count) { _ in count }
        buffer.withUnsafeMutablePointerToElements { fill(UnsafeMutableRawPointer($0)) }
        return SharedBytes(storage: buffer)
    }

    public static func make(_ bytes: some Collection<UInt8>) -> SharedBytes {
        make(count: bytes.count) { dst in
            var p = dst
            for b in bytes { p.storeBytes(of: b, as: UInt8.self); p += 1 }
        }
    }

    @inlinable public var count: Int { storage.header }

    /// Valid for as long as the caller holds this value (or a copy of it).
    @inlinable public var baseAddress: UnsafeRawPointer {
        storage.withUnsafeMutablePointerToElements { UnsafeRawPointer($0) }
    }

    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointerToElements { try body(UnsafeRawBufferPointer(start: $0, count: storage.header)) }
    }

    public var array: [UInt8] { withBytes { Array($0) } }

    /// Same storage (not merely equal bytes).
    @inlinable public func isSameStorage(as other: SharedBytes) -> Bool { storage === other.storage }
}
