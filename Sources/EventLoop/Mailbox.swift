
/// A multi-producer, single-consumer queue into one event loop. Producers append under a mutex;
/// only the append that finds the queue empty rings the loop's eventfd, so a burst of posts
/// costs one wake-up, and the consumer takes the whole batch with one swap.
public final class Mailbox<Message: Sendable>: Sendable {
    @usableFromInline let queue = Locked<ContiguousArray<Message>>([])
    @usableFromInline let doorbell: @Sendable () -> Void

    /// `doorbell` wakes the consuming loop (its eventfd); it is called outside the lock.
    public init(doorbell: @escaping @Sendable () -> Void) {
        self.doorbell = doorbell
    }

    @inlinable
    public func post(_ message: Message) {
        let wasEmpty = queue.withLock { q -> Bool in
            q.append(message)
            return q.count == 1
        }
        if wasEmpty { doorbell() }
    }

    /// Appends without ringing and says whether the caller must ring (`ring()`): lets a
    /// producer holding another lock ring after releasing it.
    @inlinable
    public func append(_ message: Message) -> Bool {
        queue.withLock { q -> Bool in
            q.append(message)
            return q.count == 1
        }
    }

    @inlinable
    public func ring() { doorbell() }

    /// Posts without ringing: for a loop posting to itself, which drains at the end of the tick.
    @inlinable
    public func postQuietly(_ message: Message) {
        queue.withLock { $0.append(message) }
    }

    /// True if messages are waiting (a loop that posted to itself late in a tick checks this
    /// so it does not sleep on work no doorbell announced).
    @inlinable
    public var hasPending: Bool { queue.withLock { !$0.isEmpty } }

    /// Moves every queued message into `batch` (which should be empty; its capacity is reused
    /// by the producers next time round, so steady state allocates nothing).
    @inlinable
    public func take(into batch: inout ContiguousArray<Message>) {
        queue.withLock { q in swap(&q, &batch) }
    }
}
