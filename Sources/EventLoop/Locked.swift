import Glibc

/// A value guarded by a pthread mutex. chatd uses this instead of Synchronization.Mutex because
/// ThreadSanitizer intercepts pthread_mutex_lock/unlock and so sees the happens-before edges,
/// whereas on Linux Mutex's futex-and-atomics lock lives in an uninstrumented module and every
/// access it serialises is reported as a race (scripts/sanitizers/tsan-mutex-repro.sh). An
/// uncontended pthread mutex costs about the same (one atomic each way).
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only reached through `withLock`.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    public init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    @inlinable
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
