import BenchCore
import EventLoop
import Glibc
import Histogram

/// Drives a traffic run through its phases, samples the server, prints progress and fills
/// the report.
struct TrafficRun {
    let generators: any TrafficGenerators
    let timing: Timing
    let server: ServerProcess?
    let progress: Bool
    let clients: Int
    /// Fraction of a generator process's loop-thread capacity at which it counts as the bottleneck.
    let busyLimit: Double

    private final class Progress {
        var last: UInt64 = 0, sent: UInt64 = 0, deliveries: UInt64 = 0, maxServerRSS = 0
    }
    private let state = Progress()

    /// Waits up to `seconds` or until `done` holds for the latest counts.
    func wait(_ seconds: Double, until done: (TrafficCounts) -> Bool = { _ in false }) {
        let end = Monotonic.now() + UInt64(seconds * 1e9)
        while true {
            let c = generators.counts()
            tick(c)
            if done(c) || Monotonic.now() >= end { return }
            usleep(20_000)
        }
    }

    private func tick(_ c: TrafficCounts) {
        let now = Monotonic.now()
        guard now - state.last >= 1_000_000_000 else { return }
        let dt = state.last == 0 ? 1 : Double(now - state.last) / 1e9
        state.last = now
        if let s = server?.sample() { state.maxServerRSS = max(state.maxServerRSS, s.rssKB) }
        let sRate = Double(c.sentAll &- state.sent) / dt, dRate = Double(c.deliveriesAll &- state.deliveries) / dt
        state.sent = c.sentAll
        state.deliveries = c.deliveriesAll
        guard progress else { return }
        let inflight = c.loss.expected &- min(c.loss.expected, c.loss.unique)
        writeStderr(
            "\r\u{1B}[K conns \(c.connected - c.closedByServer)/\(clients) sent/s \(Int(sRate))"
                + " deliveries/s \(Int(dRate)) in-flight \(inflight)")
    }

    func run(report: inout Report) throws {
        let serverBefore = server?.sample()
        report.connectSeconds = try generators.connect()
        let mustReceive = generators.mustReceive
        generators.set(.ready)
        var seen: UInt64 = 0
        wait(timing.readyTimeout) { seen = $0.seenReceivers; return seen >= mustReceive }
        report.unseenReceivers = Int(mustReceive - min(mustReceive, seen))
        generators.set(.warmup)
        wait(timing.warmup)
        generators.set(.measuring)
        let t0 = Monotonic.now()
        let s0 = server?.sample()
        let b0 = generators.cpuTicks()
        let d0 = generators.counts().deliveriesCounted
        wait(timing.duration)
        let d1 = generators.counts().deliveriesCounted
        let t1 = Monotonic.now()
        let s1 = server?.sample()
        let b1 = generators.cpuTicks()
        generators.set(.draining)
        wait(timing.drainTimeout) { $0.loss.unique >= $0.loss.expected }
        let drained = Double(Monotonic.now() - t1) / 1e9
        let (c, h) = generators.finish()
        if progress { writeStderr("\r\u{1B}[K") }
        let seconds = Double(t1 - t0) / 1e9
        report.seconds = seconds
        report.drainSeconds = drained
        report.loss = c.loss
        report.deliveriesPerSecond = Double(d1 - d0) / seconds
        report.sentPerSecond = Double(c.loss.sent - c.refusedSends) / seconds
        report.skippedSends = c.skippedSends
        report.refusedSends = c.refusedSends
        report.disconnects = c.closedByServer
        report.connectFailures = c.connectFailures
        report.protocolErrors = c.protocolErrors
        report.histogram = h
        report.generatorCPU = zip(b0, b1).map { Double($1 &- min($0, $1)) / ServerProcess.ticksPerSecond / seconds }
        report.verdict = RunVerdict(
            skippedSends: c.skippedSends, generatorCPU: report.generatorCPU, loopThreads: generators.loopThreads,
            busyLimit: busyLimit)
        for f in generators.failures { report.verdict?.add(f) }
        if let server, let s0, let s1 {
            let cpu = Double(s1.cpuTicks - s0.cpuTicks) / ServerProcess.ticksPerSecond
            report.server = ServerFigures(
                pid: Int(server.pid), cpuSeconds: cpu, cpuPercent: cpu / seconds * 100,
                rssKB: max(state.maxServerRSS, s1.rssKB), peakRSSKB: s1.peakRSSKB, rssBeforeKB: serverBefore?.rssKB ?? 0)
        }
    }
}
