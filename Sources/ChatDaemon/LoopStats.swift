import Synchronization

/// Counters one loop publishes for STATUS= and the watchdog. Only the owning loop writes (once
/// per tick, from plain local counters), so the atomics are never contended.
final class LoopStats: Sendable {
    let messagesIn = Atomic<Int>(0)
    let deliveries = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let slowConsumerDisconnects = Atomic<Int>(0)
}
