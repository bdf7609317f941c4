import Synchronization

/// A write-once, lock-free slot for `SharedBytes`: several threads may race to fill it, exactly
/// one value wins and every reader sees that one (compare-exchange on the storage pointer,
/// Synchronization's `AtomicLazyReference`). A room event keeps one per wire protocol so that the
/// first loop needing a protocol's bytes encodes them and every other loop reuses them.
public struct SharedBytesSlot: ~Copyable, @unchecked Sendable {
    // @unchecked Sendable: the referenced storage is immutable once published (see SharedBytes).
    @usableFromInline let reference = AtomicLazyReference<ManagedBuffer<Int, UInt8>>()

    @inlinable public init() {}

    /// The stored bytes, if any (an acquiring load).
    @inlinable public var value: SharedBytes? {
        reference.load().map(SharedBytes.init(storage:))
    }

    /// Stores `bytes` unless the slot is already filled; returns what the slot holds afterwards
    /// (the loser of a race gets the winner's bytes, so all recipients share one encoding).
    @inlinable public func storeIfEmpty(_ bytes: SharedBytes) -> SharedBytes {
        SharedBytes(storage: reference.storeIfNil(bytes.storage))
    }
}
