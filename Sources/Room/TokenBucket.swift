/// Per-connection message rate limit (DESIGN.md §4: `--msg-rate`, `--msg-burst`). A client
/// that runs out of tokens is paused — the loop stops reading its socket and TCP flow control
/// pushes back on the sender — never dropped.
public struct TokenBucket: Sendable {
    /// Rate and burst are stored as Float (24 bits of precision: a rate or burst is a small
    /// configured number): the bucket is in every connection, and 24 bytes beat 32.
    public var ratePerSecond: Double {
        get { Double(rate) }
        set { rate = Float(newValue) }
    }
    public var burst: Double {
        get { Double(burstSize) }
        set { burstSize = Float(newValue) }
    }
    private var rate: Float
    private var burstSize: Float
    private var tokens: Double
    private var updated: UInt64

    public init(ratePerSecond: Double, burst: Int, now: UInt64) {
        rate = Float(ratePerSecond)
        burstSize = Float(max(1, burst))
        tokens = Double(burstSize)
        updated = now
    }

    public var isUnlimited: Bool { ratePerSecond <= 0 }

    /// Takes one token if available.
    public mutating func take(now: UInt64) -> Bool {
        if isUnlimited { return true }
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return true
        }
        return false
    }

    /// When the next token will be available (absolute monotonic ns).
    public func nextTokenTime(now: UInt64) -> UInt64 {
        let missing = max(0, 1 - tokens)
        // Capped at an hour so a tiny configured rate cannot overflow the conversion.
        let wait = min((missing / ratePerSecond) * 1e9, 3.6e12)
        return now &+ UInt64(wait) &+ 1
    }

    private mutating func refill(now: UInt64) {
        if now > updated {
            tokens = min(burst, tokens + Double(now - updated) / 1e9 * ratePerSecond)
        }
        updated = now
    }
}
