/// Names one connection daemon-wide: the loop that owns it, its slot there, and the slot's
/// generation, so a message addressed to a connection that has since closed (and whose slot
/// was reused) is recognised and dropped rather than delivered to a stranger.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Loops a connection ID can name: the top 8 bits hold the loop index (`LoopSet` has as
    /// many bits), so `--threads` is capped here.
    public static let maxLoops = 256

    @inlinable public init(loop: Int, slot: Int, generation: UInt32) {
        rawValue = UInt64(truncatingIfNeeded: loop) << 56
            | UInt64(generation & 0xFF_FFFF) << 32
            | UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: slot))
    }

    @inlinable public var loop: Int { Int(truncatingIfNeeded: rawValue >> 56) }
    @inlinable public var slot: Int { Int(truncatingIfNeeded: rawValue & 0xFFFF_FFFF) }
    @inlinable public var generation: UInt32 { UInt32(truncatingIfNeeded: (rawValue >> 32) & 0xFF_FFFF) }

    /// Names no connection: generations start at 1 and skip 0 when they wrap.
    public static let none = ConnectionID(rawValue: 0)

    public var description: String { "\(loop)/\(slot)#\(generation)" }
}
