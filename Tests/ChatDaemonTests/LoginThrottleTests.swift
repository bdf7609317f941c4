@testable import ChatDaemon
import Testing

@Suite struct LoginThrottleTests {
    @Test func burstThenOnePerInterval() {
        let t = LoginThrottle(RateLimit(burst: 3, perSecond: 0.5))
        for _ in 0..<3 { #expect(t.take("alice", now: 0) == nil) }
        let wait = t.take("alice", now: 0)
        #expect(wait == 2_000_000_001)
        #expect(t.take("bob", now: 0) == nil, "keys are independent")
        #expect(t.take("alice", now: 1_999_999_999) != nil)
        #expect(t.take("alice", now: 2_000_000_001) == nil)
    }

    @Test func distinctKeysCannotGrowItPastItsCapacity() {
        let t = LoginThrottle(RateLimit(burst: 1, perSecond: 1), capacity: 100)
        for i in 0..<100 { #expect(t.take("k\(i)", now: 0) == nil) }
        #expect(t.take("one-too-many", now: 0) != nil, "full of fresh buckets: refused")
        #expect(t.count == 100)
        // Buckets that refilled are forgotten to make room.
        #expect(t.take("later", now: 5_000_000_000) == nil)
        #expect(t.count == 1)
    }

    @Test func waitsAreShownInSecondsOrMinutes() {
        #expect(LoginThrottle.describe(wait: 1) == "1 s")
        #expect(LoginThrottle.describe(wait: 20_000_000_000) == "20 s")
        #expect(LoginThrottle.describe(wait: 600_000_000_000) == "10 min")
    }
}
