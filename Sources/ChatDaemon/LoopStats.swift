import Synchronization

/// Counters one loop publishes for STATUS=, the watchdog and `/metrics` (docs/METRICS.md).
///
/// Only the owning loop writes, so nothing here is a contended atomic: the hottest counters
/// (messages in, deliveries) are plain locals of `LoopWorker` published once per tick, and the
/// rest are written in place with a relaxed load and store (`add`), which compile to plain moves,
/// never a locked read-modify-write. The control thread reads them with relaxed loads and sums
/// the loops at scrape time; a scrape may see one loop a tick behind another, never a torn value.
/// Public for the micro-benchmark (Benchmarks/), which counts the way `LoopWorker` does.
public final class LoopStats: @unchecked Sendable {
    // @unchecked Sendable: `slots` is written by one thread and read by others through atomics
    // only; the pointer itself never changes.
    let messagesIn = Atomic<Int>(0)
    public let deliveries = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let slowConsumerDisconnects = Atomic<Int>(0)

    /// Every other counter, indexed by `Slot`: one allocation at start, none afterwards.
    private let slots: UnsafeMutablePointer<Atomic<Int>>

    public init() {
        slots = .allocate(capacity: Slot.count)
        for i in 0..<Slot.count { (slots + i).initialize(to: Atomic(0)) }
    }

    deinit {
        slots.deinitialize(count: Slot.count)
        slots.deallocate()
    }

    /// Owning loop only: adds `n` to a counter (single writer, so load + store is exact).
    @inline(__always)
    public func add(_ slot: Int, _ n: Int) {
        slots[slot].store(slots[slot].load(ordering: .relaxed) &+ n, ordering: .relaxed)
    }

    /// Any thread.
    @inline(__always)
    public func load(_ slot: Int) -> Int { slots[slot].load(ordering: .relaxed) }

    /// Where each counter lives in `slots`. Labels are bounded by construction: protocols (the
    /// served schemes and their TLS twins), close causes and handshake-failure kinds are enums.
    public enum Slot {
        static let protocols = MetricProtocol.all.count
        static let rateLimitPauses = 0
        public static let tickNanoseconds = 1
        static func accepted(_ p: Int) -> Int { 2 + p }
        static func bytesIn(_ p: Int) -> Int { 2 + protocols + p }
        public static func bytesOut(_ p: Int) -> Int { 2 + 2 * protocols + p }
        static func closed(_ p: Int, _ cause: CloseCause) -> Int {
            2 + 3 * protocols + p * CloseCause.allCases.count + cause.rawValue
        }
        static func handshakeFailures(_ kind: HandshakeFailure) -> Int {
            2 + 3 * protocols + protocols * CloseCause.allCases.count + kind.rawValue
        }
        /// Tick durations: one non-cumulative count per `TickHistogram.bounds` entry, then +Inf.
        public static func tickBucket(_ b: Int) -> Int {
            2 + 3 * protocols + protocols * CloseCause.allCases.count + HandshakeFailure.allCases.count + b
        }
        /// Publish-to-flush latencies of sampled messages, the same buckets as the ticks.
        public static func publishFlushBucket(_ b: Int) -> Int { tickBucket(TickHistogram.bounds.count + 1 + b) }
        public static let publishFlushNanoseconds = publishFlushBucket(TickHistogram.bounds.count + 1)
        static let count = publishFlushNanoseconds + 1
    }
}

/// A chat protocol as the `protocol` label: a scheme, or its TLS twin ("framed", "ircs").
enum MetricProtocol {
    static let all: [(scheme: ListenScheme, tls: Bool)] = ListenScheme.allCases.filter { $0 != .metrics }.flatMap {
        scheme in [(scheme, false)] + (scheme.tlsName == nil ? [] : [(scheme, true)])
    }

    static func index(_ scheme: ListenScheme, tls: Bool) -> Int {
        all.firstIndex { $0.scheme == scheme && $0.tls == tls } ?? 0
    }

    static func label(_ index: Int) -> String {
        let p = all[index]
        return p.tls ? p.scheme.tlsName ?? p.scheme.rawValue : p.scheme.rawValue
    }
}

/// Why a connection ended, as the `reason` label of `chatd_connections_closed_total`.
enum CloseCause: Int, CaseIterable {
    /// The client said goodbye (`/quit`, IRC `QUIT`, a WebSocket close 1000/1001), or an HTTP
    /// exchange ended normally (`Connection: close`).
    case quit
    /// EOF from the client (or TLS close_notify).
    case peerClosed
    /// A socket error: reset, a failed write.
    case networkError
    /// Bytes the protocol cannot accept (framing lost, an invalid username).
    case protocolError
    /// Admission limits, a taken name, too many TLS handshakes, an IRC registration or a
    /// WebSocket handshake refused.
    case refused
    case handshakeTimeout
    case idleTimeout
    /// IRC or WebSocket: no pong in time.
    case pingTimeout
    case slowConsumer
    /// The TLS handshake or session failed.
    case tlsError
    /// Stopping (SIGTERM) or draining (`chatd ctl drain`).
    case shutdown
    /// The operator disconnected it (`chatd ctl kick`).
    case kicked
    /// Closed with no other cause recorded.
    case other

    var label: String {
        switch self {
        case .quit: "quit"
        case .peerClosed: "peer_closed"
        case .networkError: "network_error"
        case .protocolError: "protocol_error"
        case .refused: "refused"
        case .handshakeTimeout: "handshake_timeout"
        case .idleTimeout: "idle_timeout"
        case .pingTimeout: "ping_timeout"
        case .slowConsumer: "slow_consumer"
        case .tlsError: "tls_error"
        case .shutdown: "shutdown"
        case .kicked: "kicked"
        case .other: "other"
        }
    }

    /// A close during the handshake (before a name was taken) for this cause is a failed
    /// handshake of this kind; nil = not a failure (the client left, the server is stopping).
    var handshakeFailure: HandshakeFailure? {
        switch self {
        case .tlsError: .tls
        case .handshakeTimeout: .timeout
        case .protocolError, .refused: .protocol
        default: nil
        }
    }
}

/// The `kind` label of `chatd_handshake_failures_total`.
enum HandshakeFailure: Int, CaseIterable {
    case tls, timeout, `protocol`

    var label: String {
        switch self {
        case .tls: "tls"
        case .timeout: "timeout"
        case .protocol: "protocol"
        }
    }
}

/// The buckets of `chatd_loop_tick_seconds`: from a quiet tick (a few µs) to a stalled one
/// (a second), roughly ×2.5 apart so p99 reads to within one bucket.
public enum TickHistogram {
    static let bounds: [UInt64] = [
        10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000,
        50_000_000, 100_000_000, 250_000_000, 1_000_000_000,
    ]

    /// The bucket of a tick that took `nanoseconds` (bounds.count = +Inf).
    @inline(__always)
    public static func bucket(_ nanoseconds: UInt64) -> Int {
        var b = 0
        while b < bounds.count && nanoseconds > bounds[b] { b &+= 1 }
        return b
    }
}
