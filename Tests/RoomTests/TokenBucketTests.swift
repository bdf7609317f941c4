import Room
import Testing

@Suite("TokenBucket")
struct TokenBucketTests {
    let second: UInt64 = 1_000_000_000
    let t0: UInt64 = 5_000_000_000

    @Test func burstThenRate() {
        var b = TokenBucket(ratePerSecond: 2, burst: 3, now: t0)
        #expect(!b.isUnlimited)
        #expect(take(&b, t0))
        #expect(take(&b, t0))
        #expect(take(&b, t0))
        #expect(!take(&b, t0))                             // burst spent
        #expect(b.nextTokenTime(now: t0) == t0 + second / 2 + 1)
        #expect(!take(&b, t0 + second / 2 - 1_000))         // not quite refilled
        #expect(take(&b, t0 + second / 2))                  // 2/s: one token every 500 ms
        #expect(!take(&b, t0 + second / 2))
        #expect(take(&b, t0 + second))
        #expect(!take(&b, t0 + second))
    }

    @Test func sustainedRateOverTenSeconds() {
        var b = TokenBucket(ratePerSecond: 10, burst: 20, now: t0)
        var granted = 0
        // Try every millisecond for 10 s: burst (20) plus 10/s × 10 s.
        for ms in 0...10_000 where take(&b, t0 + UInt64(ms) * 1_000_000) { granted += 1 }
        #expect(granted == 20 + 100)
    }

    @Test func idleTimeRefillsOnlyUpToBurst() {
        var b = TokenBucket(ratePerSecond: 100, burst: 5, now: t0)
        for _ in 0..<5 { #expect(take(&b, t0)) }
        let later = t0 + 3600 * second
        var n = 0
        while take(&b, later) { n += 1 }
        #expect(n == 5)
    }

    @Test func nextTokenTimeIsWhenTakeSucceeds() {
        var b = TokenBucket(ratePerSecond: 3, burst: 1, now: t0)
        #expect(take(&b, t0))
        #expect(!take(&b, t0))
        let next = b.nextTokenTime(now: t0)
        #expect(next > t0)
        #expect(next - t0 >= second / 3 && next - t0 <= second / 3 + 2)
        #expect(take(&b, next))
    }

    @Test func zeroRateIsUnlimited() {
        var b = TokenBucket(ratePerSecond: 0, burst: 1, now: t0)
        #expect(b.isUnlimited)
        for _ in 0..<10_000 { #expect(take(&b, t0)) }
    }

    /// A vanishingly small rate must not overflow the wait computation (it is capped at an hour).
    @Test func tinyRateWaitIsCappedAndDoesNotTrap() {
        var b = TokenBucket(ratePerSecond: 1e-12, burst: 1, now: t0)
        #expect(take(&b, t0))
        #expect(!take(&b, t0))
        #expect(b.nextTokenTime(now: t0) == t0 + 3_600_000_000_000 + 1)
    }

    @Test func burstIsAtLeastOne() {
        var b = TokenBucket(ratePerSecond: 1, burst: 0, now: t0)
        #expect(b.burst == 1)
        #expect(take(&b, t0))
        #expect(!take(&b, t0))
    }
}

/// `#expect` cannot call mutating methods; this wrapper takes the token outside the macro.
func take(_ b: inout TokenBucket, _ now: UInt64) -> Bool { b.take(now: now) }
