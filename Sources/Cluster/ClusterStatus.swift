import Synchronization

/// The link's state and counters, readable from any thread (STATUS=, logs, tests).
public final class ClusterStatus: Sendable {
    public enum LinkState: UInt8, Sendable, CustomStringConvertible {
        case connecting, up, down
        public var description: String {
            switch self {
            case .connecting: "connecting"
            case .up: "up"
            case .down: "down"
            }
        }
    }

    let stateValue = Atomic<UInt8>(LinkState.connecting.rawValue)
    /// Messages this node handed to Redis and Redis numbered.
    public let published = Atomic<Int>(0)
    /// Messages delivered to this node's rooms from the cluster (any origin).
    public let delivered = Atomic<Int>(0)
    /// Sends refused because the link was down (or its queue full), and joins refused because
    /// a room's past could not be read in time; each was told.
    public let refused = Atomic<Int>(0)
    /// Numbers recovered from a room's stream after a gap.
    public let recovered = Atomic<Int>(0)
    /// Numbers lost for good (trimmed before this node fetched them); members were told.
    public let lost = Atomic<Int>(0)
    /// Payloads from Redis that did not decode (logged, skipped).
    public let malformed = Atomic<Int>(0)
    /// Connections to Redis lost since start.
    public let disconnects = Atomic<Int>(0)

    public init() {}

    public var state: LinkState { LinkState(rawValue: stateValue.load(ordering: .relaxed)) ?? .down }

    func set(_ s: LinkState) { stateValue.store(s.rawValue, ordering: .relaxed) }
}
