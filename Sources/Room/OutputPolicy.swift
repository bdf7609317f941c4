/// The slow-consumer policy (DESIGN.md §3/§4, after Redis's client-output-buffer-limit): a
/// connection's queued output may exceed the soft limit for at most the soft period, and may
/// never exceed the hard limit. Breaking either disconnects the client with a logged reason;
/// nothing is ever skipped silently for a connection that stays.
public enum OutputVerdict: Equatable, Sendable {
    case ok
    /// Just went over the soft limit: the caller arms a timer for `deadline`.
    case overSoftLimit(deadline: UInt64)
    case disconnect(reason: String)
}

public enum OutputPolicy {
    /// `softSince` is the connection's "over soft limit since" timestamp (0 = not over).
    @inlinable
    public static func check(pending: Int, softSince: inout UInt64, now: UInt64, limits: ChatLimits) -> OutputVerdict {
        if pending > limits.queueHardBytes {
            return .disconnect(reason: "slow consumer: \(pending) bytes queued, hard limit \(limits.queueHardBytes)")
        }
        if pending > limits.queueSoftBytes {
            if softSince == 0 {
                softSince = now
                return .overSoftLimit(deadline: now &+ limits.queueSoftTimeout)
            }
            if now &- softSince >= limits.queueSoftTimeout {
                return .disconnect(
                    reason: "slow consumer: over \(limits.queueSoftBytes) bytes queued for \(limits.queueSoftTimeout / 1_000_000_000) s")
            }
            return .ok
        }
        softSince = 0
        return .ok
    }
}
