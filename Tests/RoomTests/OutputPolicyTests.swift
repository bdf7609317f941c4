import Room
import Testing

@Suite("OutputPolicy")
struct OutputPolicyTests {
    let second: UInt64 = 1_000_000_000
    var limits: ChatLimits {
        var l = ChatLimits()
        l.queueSoftBytes = 1000
        l.queueHardBytes = 5000
        l.queueSoftTimeout = 30 * second
        return l
    }

    @Test func underSoftLimitIsOk() {
        var since: UInt64 = 0
        #expect(check(pending: 0, softSince: &since, now: 10, limits: limits) == .ok)
        #expect(check(pending: 1000, softSince: &since, now: 10, limits: limits) == .ok)  // at, not over
        #expect(since == 0)
    }

    @Test func overHardLimitDisconnectsAtOnce() {
        var since: UInt64 = 0
        #expect(check(pending: 5000, softSince: &since, now: 10, limits: limits)
            == .overSoftLimit(deadline: 10 + 30 * second))          // 5000 is at the hard limit: soft only
        var fresh: UInt64 = 0
        #expect(check(pending: 5001, softSince: &fresh, now: 10, limits: limits)
            == .disconnect(reason: "slow consumer: 5001 bytes queued, hard limit 5000"))
    }

    @Test func softLimitStartsATimerThenDisconnectsWhenItRunsOut() {
        var since: UInt64 = 0
        let t = 100 * second
        #expect(check(pending: 1001, softSince: &since, now: t, limits: limits)
            == .overSoftLimit(deadline: t + 30 * second))
        #expect(since == t)
        // Still over, within the period: ok, and the start time is kept (no new deadline).
        #expect(check(pending: 4000, softSince: &since, now: t + 29 * second, limits: limits) == .ok)
        #expect(since == t)
        #expect(check(pending: 1500, softSince: &since, now: t + 30 * second, limits: limits)
            == .disconnect(reason: "slow consumer: over 1000 bytes queued for 30 s"))
    }

    @Test func backUnderSoftLimitResetsThePeriod() {
        var since: UInt64 = 0
        let t = 100 * second
        _ = check(pending: 2000, softSince: &since, now: t, limits: limits)
        #expect(check(pending: 999, softSince: &since, now: t + 20 * second, limits: limits) == .ok)
        #expect(since == 0)
        // Over again: a fresh period from now, so 30 s after the first crossing is fine.
        let again = t + 25 * second
        #expect(check(pending: 2000, softSince: &since, now: again, limits: limits)
            == .overSoftLimit(deadline: again + 30 * second))
        #expect(check(pending: 2000, softSince: &since, now: t + 31 * second, limits: limits) == .ok)
        #expect(check(pending: 2000, softSince: &since, now: again + 30 * second, limits: limits)
            == .disconnect(reason: "slow consumer: over 1000 bytes queued for 30 s"))
    }

    @Test func defaultsMatchTheDesign() {
        let d = ChatLimits()
        #expect(d.queueSoftBytes == 1 << 20)
        #expect(d.queueHardBytes == 8 << 20)
        #expect(d.queueSoftTimeout == 30 * second)
        #expect(d.msgRate == 10)
        #expect(d.msgBurst == 20)
        #expect(d.maxConnsPerIP == 256)
        #expect(d.maxConns == 0)
        #expect(d.history == 50)
        #expect(d.maxMessageBytes == 65536)
        #expect(d.handshakeTimeout == 10 * second)
        #expect(d.shutdownTimeout == 5 * second)
    }
}

/// `#expect` cannot pass inout arguments; this wrapper calls the policy outside the macro.
func check(pending: Int, softSince: inout UInt64, now: UInt64, limits: ChatLimits) -> OutputVerdict {
    OutputPolicy.check(pending: pending, softSince: &softSince, now: now, limits: limits)
}
