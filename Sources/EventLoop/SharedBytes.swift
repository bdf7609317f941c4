/// Immutable bytes shared by reference: one encoded chat message, queued to every recipient
/// without copying (Redis replication's shared blocks rather than pub/sub's per-client copies).
/// One allocation holds the header and the bytes (ManagedBuffer tail allocation).
public final class SharedBytes: ManagedBuffer<Int, UInt8>, @unchecked Sendable {
    // @unchecked Sendable: contents are written only inside `make`, before the object is
    // published to any other thread, and never mutated afterwards.

    /// Allocates `count` bytes and lets `fill` write them exactly once.
    @inlinable
    public static func make(count: Int, _ fill: (UnsafeMutableRawPointer) -> Void) -> SharedBytes {
        let buffer = SharedBytes.create(minimumCapacity: count) { _ in count }
        buffer.withUnsafeMutablePointerToElements { fill(UnsafeMutableRawPointer($0)) }
        return unsafeDowncast(buffer, to: SharedBytes.self)
    }

    public static func make(_ bytes: some Collection<UInt8>) -> SharedBytes {
        make(count: bytes.count) { dst in
            var p = dst
            for b in bytes { p.storeBytes(of: b, as: UInt8.self); p += 1 }
        }
    }

    @inlinable public var count: Int { header }

    /// The pointer stays valid for as long as the caller holds a reference to `self`.
    @inlinable public var baseAddress: UnsafeRawPointer {
        withUnsafeMutablePointerToElements { UnsafeRawPointer($0) }
    }

    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeMutablePointerToElements { try body(UnsafeRawBufferPointer(start: $0, count: header)) }
    }

    public var array: [UInt8] { withBytes { Array($0) } }
}
