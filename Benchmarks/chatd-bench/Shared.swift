import BenchCore
import Synchronization

/// A counter shared by the loops and the coordinator.
final class Counter: Sendable {
    let value = Atomic<UInt64>(0)
    @inline(__always) func add(_ n: UInt64) { if n != 0 { value.wrappingAdd(n, ordering: .relaxed) } }
    @inline(__always) var load: UInt64 { value.load(ordering: .relaxed) }
}

/// Run phases, published by the coordinator and read by every loop once per tick.
enum Phase: Int {
    case connecting = 0, ready = 1, warmup = 2, measuring = 3, draining = 4, stopping = 5
}

/// State shared between the coordinator thread and the loop threads. Loops add their local
/// counts once per tick, so the atomics see a few updates per millisecond, not one per message.
final class SharedState: Sendable {
    let phase = Atomic<Int>(Phase.connecting.rawValue)
    let connected = Counter()
    let connectFailures = Counter()
    let closedByServer = Counter()
    let protocolErrors = Counter()
    let seenReceivers = Counter()
    /// Messages sent in any phase and deliveries received in any phase (progress line).
    let sentAll = Counter()
    let deliveriesAll = Counter()
    /// Warm-up + measured: deliveries received (for windowed throughput).
    let deliveriesCounted = Counter()
    let measuredSent = Counter()
    let measuredExpected = Counter()
    let measuredReceived = Counter()
    let missedSends = Counter()
    let churnCycles = Counter()
    let churnFailures = Counter()
    /// Per sender: deliveries expected from its warm-up/measured sends and received so far,
    /// which bounds its messages in flight when no rate is set.
    let expectedBySender: [Counter]
    let receivedBySender: [Counter]
    let stoppedLoops = Counter()

    init(senders: Int) {
        expectedBySender = (0..<senders).map { _ in Counter() }
        receivedBySender = (0..<senders).map { _ in Counter() }
    }

    var currentPhase: Phase { Phase(rawValue: phase.load(ordering: .acquiring)) ?? .stopping }
    func set(_ p: Phase) { phase.store(p.rawValue, ordering: .releasing) }
}
