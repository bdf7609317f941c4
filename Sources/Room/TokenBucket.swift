/// Per-connection message rate limit (DESIGN.md §4: `--msg-rate`, `--msg-burst`). A client
/// that runs out of tokens is paused — the loop stops reading its socket and TCP flow control
/// pushes back on the sender — never dropped.
public struct TokenBucket: Sendable {
    public var ratePerSecond: Double
    public var burst: Double
    private var tokens: Double
    private var updated: UInt64

    public init(ratePerSecond: Double, burst: Int, now: UInt64) {
        self.ratePerSecond = ratePerSecond
        self.burst = Double(max(1, burst))
        tokens = self.burst
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
