/// What one receiver has seen of one sender's stream, by sequence number: tells a new
/// delivery from a duplicate or a late (reordered) one in O(1) time and 16 bytes.
///
/// A chat server relays each sender's messages over one TCP stream per receiver, so every
/// receiver must see that sender's sequence numbers strictly increasing; gaps are lost
/// messages (or ones still to come out of order). A 64-bit window below the highest number
/// seen remembers which of the last 64 arrived, the anti-replay window of RFC 4303 §3.4.3:
/// a repeat within it is a duplicate; an older arrival cannot be checked and counts as late
/// (out of order), which is a fault of the server either way.
public struct SenderSequence: Sendable, Equatable {
    /// Highest sequence number seen + 1; 0 until the first delivery.
    @usableFromInline var next: UInt64 = 0
    /// Bit i set: sequence number `next - 1 - i` has arrived.
    @usableFromInline var window: UInt64 = 0

    public init() {}

    public enum Arrival: Equatable, Sendable {
        /// The next number, or the first one this receiver sees (it may have joined mid-stream).
        case inOrder
        /// Beyond the next number: the ones skipped are lost or will arrive late.
        case skippedAhead
        /// Below the highest number seen and not seen before (or too old to tell).
        case late
        /// Already received.
        case duplicate
    }

    @inlinable
    public mutating func record(_ sequence: UInt64) -> Arrival {
        if sequence == next || next == 0 {
            window = next == 0 ? 1 : window << 1 | 1
            next = sequence &+ 1
            return .inOrder
        }
        if sequence > next {
            let shift = sequence &- next &+ 1
            window = shift >= 64 ? 1 : window << shift | 1
            next = sequence &+ 1
            return .skippedAhead
        }
        let behind = next &- 1 &- sequence
        guard behind < 64 else { return .late }
        let bit: UInt64 = 1 << behind
        if window & bit != 0 { return .duplicate }
        window |= bit
        return .late
    }
}
