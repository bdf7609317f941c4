/// A set of loop indices (at most 256, the `--threads` maximum) in four words on the stack:
/// which doorbells a producer must ring once it has released the room lock.
public struct LoopSet: Sendable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    @inlinable public init() {}

    @inlinable public mutating func insert(_ i: Int) {
        let bit = UInt64(1) << UInt64(i & 63)
        switch i >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    @inlinable public func forEach(_ body: (Int) -> Void) {
        for w in 0..<4 {
            var rest: UInt64
            switch w {
            case 0: rest = words.0
            case 1: rest = words.1
            case 2: rest = words.2
            default: rest = words.3
            }
            while rest != 0 {
                let b = rest.trailingZeroBitCount
                body(w << 6 | b)
                rest &= rest &- 1
            }
        }
    }
}
