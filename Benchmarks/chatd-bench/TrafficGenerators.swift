import BenchCore
import Histogram

/// The load generators of a traffic run (fanout, latency): the loops of this process, or
/// several worker processes so that the generator is not the bottleneck.
protocol TrafficGenerators: AnyObject {
    /// Starts the clients and connects them all; the ramp's seconds.
    func connect() throws -> Double
    /// Receivers that must be seen receiving before the warm-up starts.
    var mustReceive: UInt64 { get }
    func set(_ phase: Phase)
    func counts() -> TrafficCounts
    /// CPU ticks (utime + stime) each generator process has used so far.
    func cpuTicks() -> [UInt64]
    /// Stops every client; the final counts and the merged latency histogram.
    func finish() -> (TrafficCounts, Histogram<UInt64>)
    /// Loop threads per generator process.
    var loopThreads: Int { get }
    /// Why some of the generators' counts are missing (worker processes that exited).
    var failures: [String] { get }
}

extension Runner: TrafficGenerators {
    func connect() -> Double {
        start()
        return connectAll()
    }

    var mustReceive: UInt64 { UInt64(workers.reduce(0) { $0 + $1.mustReceiveCount }) }
    func set(_ phase: Phase) { shared.set(phase) }
    func counts() -> TrafficCounts { shared.counts }
    func cpuTicks() -> [UInt64] { [selfCPUTicks()] }
    var loopThreads: Int { config.threads }
    var failures: [String] { [] }

    func finish() -> (TrafficCounts, Histogram<UInt64>) {
        stop()
        var h = LatencySummary.makeHistogram()
        for w in workers { h.add(w.histogram) }
        return (shared.counts, h)
    }
}
