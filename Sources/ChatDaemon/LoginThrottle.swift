import EventLoop

/// Token buckets by key (an account or a client address), shared by every loop: refuses an
/// attempt when its key's bucket is empty and says how long until the next one is allowed.
/// Bounded: past `capacity` keys, buckets that have refilled completely (they hold nothing a
/// fresh one would not) are forgotten; if none has, the new key is refused, so a flood of
/// distinct keys costs a fixed amount of memory.
final class LoginThrottle: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private let limit: RateLimit
    private let capacity: Int
    private let buckets = Locked<[String: Bucket]>([:])

    init(_ limit: RateLimit, capacity: Int = 100_000) {
        self.limit = limit
        self.capacity = capacity
    }

    /// Takes a token for `key`: nil when the attempt may go ahead, else the nanoseconds to wait.
    func take(_ key: String, now: UInt64) -> UInt64? {
        buckets.withLock { map -> UInt64? in
            if map[key] == nil && map.count >= capacity {
                map = map.filter { refilled($0.value, now: now) < limit.burst }
                if map.count >= capacity { return UInt64(1e9 / limit.perSecond) }
            }
            var b = map[key] ?? Bucket(tokens: limit.burst, updated: now)
            b.tokens = refilled(b, now: now)
            b.updated = now
            guard b.tokens >= 1 else {
                map[key] = b
                return UInt64((1 - b.tokens) / limit.perSecond * 1e9) + 1
            }
            b.tokens -= 1
            map[key] = b
            return nil
        }
    }

    private func refilled(_ b: Bucket, now: UInt64) -> Double {
        let elapsed = now > b.updated ? Double(now - b.updated) / 1e9 : 0
        return min(limit.burst, b.tokens + elapsed * limit.perSecond)
    }

    var count: Int { buckets.withLock { $0.count } }

    /// "20 s", "10 min": when to retry, for refusals.
    static func describe(wait nanoseconds: UInt64) -> String {
        let seconds = Int((nanoseconds + 999_999_999) / 1_000_000_000)
        return seconds < 120 ? "\(seconds) s" : "\((seconds + 59) / 60) min"
    }
}
