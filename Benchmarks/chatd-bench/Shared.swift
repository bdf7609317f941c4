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

/// The counts of a traffic run at one instant: read from one process's `SharedState`, or
/// summed over worker processes (which send them to the coordinator as one line of numbers).
struct TrafficCounts: Equatable {
    var connected: UInt64 = 0
    var connectFailures: UInt64 = 0
    var closedByServer: UInt64 = 0
    var protocolErrors: UInt64 = 0
    var seenReceivers: UInt64 = 0
    /// Messages sent in any phase and benchmark deliveries received in any phase (progress).
    var sentAll: UInt64 = 0
    var deliveriesAll: UInt64 = 0
    /// Warm-up + measured deliveries, duplicates excluded (throughput).
    var deliveriesCounted: UInt64 = 0
    /// The measured messages: offered, expected, received, duplicated, reordered.
    var loss = LossAccounting()
    /// Paced sends dropped because the generator was more than a second behind its schedule.
    var skippedSends: UInt64 = 0
    /// Measured paced sends the server did not take: the sender's socket was closed or had
    /// more than `Worker.outLimit` bytes unsent. Their deliveries count as expected (and lost).
    var refusedSends: UInt64 = 0

    private var fields: [UInt64] {
        [
            connected, connectFailures, closedByServer, protocolErrors, seenReceivers, sentAll, deliveriesAll,
            deliveriesCounted, loss.sent, loss.expected, loss.received, loss.duplicates, loss.outOfOrder, skippedSends,
            refusedSends,
        ]
    }

    /// Space-separated numbers in a fixed order.
    var line: String { fields.map(String.init).joined(separator: " ") }

    init() {}

    init?<S: Sequence>(line words: S) where S.Element: StringProtocol {
        let v = words.compactMap { UInt64($0) }
        guard v.count == 15 else { return nil }
        connected = v[0]; connectFailures = v[1]; closedByServer = v[2]; protocolErrors = v[3]; seenReceivers = v[4]
        sentAll = v[5]; deliveriesAll = v[6]; deliveriesCounted = v[7]
        loss.sent = v[8]; loss.expected = v[9]; loss.received = v[10]; loss.duplicates = v[11]; loss.outOfOrder = v[12]
        skippedSends = v[13]; refusedSends = v[14]
    }

    mutating func add(_ o: TrafficCounts) {
        connected &+= o.connected; connectFailures &+= o.connectFailures; closedByServer &+= o.closedByServer
        protocolErrors &+= o.protocolErrors; seenReceivers &+= o.seenReceivers; sentAll &+= o.sentAll
        deliveriesAll &+= o.deliveriesAll; deliveriesCounted &+= o.deliveriesCounted; loss.add(o.loss)
        skippedSends &+= o.skippedSends; refusedSends &+= o.refusedSends
    }
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
    let sentAll = Counter()
    let deliveriesAll = Counter()
    let deliveriesCounted = Counter()
    let measuredSent = Counter()
    let measuredExpected = Counter()
    let measuredReceived = Counter()
    let measuredDuplicates = Counter()
    let measuredOutOfOrder = Counter()
    let skippedSends = Counter()
    let refusedSends = Counter()
    let churnCycles = Counter()
    let churnFailures = Counter()
    /// Per sender: deliveries to this process's receivers expected from its warm-up/measured
    /// sends and received so far (duplicates excluded), which bounds its messages in flight
    /// when no rate is set.
    let expectedBySender: [Counter]
    let receivedBySender: [Counter]
    let stoppedLoops = Counter()

    init(senders: Int) {
        expectedBySender = (0..<senders).map { _ in Counter() }
        receivedBySender = (0..<senders).map { _ in Counter() }
    }

    var currentPhase: Phase { Phase(rawValue: phase.load(ordering: .acquiring)) ?? .stopping }
    func set(_ p: Phase) { phase.store(p.rawValue, ordering: .releasing) }

    var counts: TrafficCounts {
        var c = TrafficCounts()
        c.connected = connected.load
        c.connectFailures = connectFailures.load
        c.closedByServer = closedByServer.load
        c.protocolErrors = protocolErrors.load
        c.seenReceivers = seenReceivers.load
        c.sentAll = sentAll.load
        c.deliveriesAll = deliveriesAll.load
        c.deliveriesCounted = deliveriesCounted.load
        c.loss.sent = measuredSent.load
        c.loss.expected = measuredExpected.load
        c.loss.received = measuredReceived.load
        c.loss.duplicates = measuredDuplicates.load
        c.loss.outOfOrder = measuredOutOfOrder.load
        c.skippedSends = skippedSends.load
        c.refusedSends = refusedSends.load
        return c
    }
}
