import Glibc

/// CLOCK_REALTIME in ms since the epoch: event times and the age cutoff of retention. Injected
/// as a closure into the stores so tests can age history without waiting days.
public enum RealtimeClock {
    @Sendable public static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1000 &+ Int64(ts.tv_nsec / 1_000_000)
    }
}
