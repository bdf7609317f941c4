#if canImport(BenchCore)
import BenchCore
#endif
import EventLoop
import Glibc

/// Timing knobs of a run.
struct Timing {
    var warmup: Double = 1
    var duration: Double = 5
    var readyTimeout: Double = 15
    var drainTimeout: Double = 3
    var hold: Double = 1
}

/// Drives the loops through the phases, prints progress, samples the server and builds the
/// report.
final class Runner {
    let config: RunConfig
    let timing: Timing
    let server: ServerProcess?
    let shared: SharedState
    var workers: [Worker] = []
    var threads: [LoopThread] = []
    let progress: Bool
    var maxServerRSS = 0
    var lastProgress: UInt64 = 0
    var lastProgressSent: UInt64 = 0
    var lastProgressDeliveries: UInt64 = 0

    init(config: RunConfig, timing: Timing, server: ServerProcess?, progress: Bool) throws {
        self.config = config
        self.timing = timing
        self.server = server
        self.progress = progress && isatty(2) == 1
        shared = SharedState(senders: config.plan.senders)
        for i in 0..<config.threads {
            workers.append(try Worker(index: i, config: config, shared: shared))
        }
    }

    func start() {
        for w in workers {
            threads.append(LoopThread.spawn(name: "bench-\(w.index)") { w.loop.run(w) })
        }
    }

    func stop() {
        shared.set(.stopping)
        for t in threads { t.join() }
        threads = []
        if progress { writeStderr("\r\u{1B}[K") }
    }

    var clientsHere: Int { workers.reduce(0) { $0 + $1.conns.count } }

    /// Waits up to `seconds` or until `done` holds, sampling the server and printing progress.
    func wait(_ seconds: Double, until done: () -> Bool = { false }) {
        let end = Monotonic.now() + UInt64(seconds * 1e9)
        while Monotonic.now() < end && !done() {
            usleep(20_000)
            tickProgress()
        }
        tickProgress()
    }

    func tickProgress() {
        let now = Monotonic.now()
        guard now - lastProgress >= 1_000_000_000 else { return }
        let dt = lastProgress == 0 ? 1 : Double(now - lastProgress) / 1e9
        lastProgress = now
        if let s = server?.sample() { maxServerRSS = max(maxServerRSS, s.rssKB) }
        let sent = shared.sentAll.load, del = shared.deliveriesAll.load
        let sRate = Double(sent - lastProgressSent) / dt, dRate = Double(del - lastProgressDeliveries) / dt
        lastProgressSent = sent
        lastProgressDeliveries = del
        guard progress else { return }
        let inflight = shared.measuredExpected.load &- min(shared.measuredExpected.load, shared.measuredReceived.load)
        let line =
            "\r\u{1B}[K[\(shared.currentPhase)] conns \(shared.connected.load - shared.closedByServer.load)/\(config.mode == .churn ? config.churnConcurrency : config.plan.clients)"
            + " sent/s \(Int(sRate)) deliveries/s \(Int(dRate)) in-flight \(inflight)"
            + (config.mode == .churn ? " cycles \(shared.churnCycles.load)" : "")
        writeStderr(line)
    }

    // MARK: Scenarios

    func connectAll() -> Double {
        let t0 = Monotonic.now()
        let n = UInt64(clientsHere)
        let limit = Double(n) / config.connectRate + 20
        wait(limit) { shared.connected.load + shared.connectFailures.load >= n }
        return Double(Monotonic.now() - t0) / 1e9
    }

    func runConnections(report: inout Report) {
        let before = server?.sample()
        start()
        let ramp = connectAll()
        report.connectSeconds = ramp
        report.connected = Int(shared.connected.load)
        report.connectFailures = shared.connectFailures.load
        // Let the server finish the handshakes, then read its memory.
        wait(timing.hold)
        let after = server?.sample()
        report.disconnects = shared.closedByServer.load
        report.protocolErrors = shared.protocolErrors.load
        stop()
        if let before, let after {
            report.server = ServerFigures(
                pid: Int(server!.pid), cpuSeconds: 0, cpuPercent: 0, rssKB: after.rssKB, peakRSSKB: after.peakRSSKB,
                rssBeforeKB: before.rssKB)
        }
    }

    func runChurn(report: inout Report) {
        let serverBefore = server?.sample()
        start()
        shared.set(.warmup)
        wait(timing.warmup)
        shared.set(.measuring)
        let t0 = Monotonic.now()
        let s0 = server?.sample()
        let c0 = shared.churnCycles.load
        let b0 = selfCPUTicks()
        wait(timing.duration)
        let t1 = Monotonic.now()
        report.generatorCPU = [Double(selfCPUTicks() - b0) / ServerProcess.ticksPerSecond / (Double(t1 - t0) / 1e9)]
        let s1 = server?.sample()
        let c1 = shared.churnCycles.load
        stop()
        let seconds = Double(t1 - t0) / 1e9
        report.seconds = seconds
        report.cyclesPerSecond = Double(c1 - c0) / seconds
        report.churnFailures = shared.churnFailures.load
        report.connectFailures = shared.connectFailures.load
        report.protocolErrors = shared.protocolErrors.load
        report.server = serverFigures(before: serverBefore, s0: s0, s1: s1, seconds: seconds)
    }

    func serverFigures(before: ProcessSample?, s0: ProcessSample?, s1: ProcessSample?, seconds: Double) -> ServerFigures? {
        guard let server, let s0, let s1 else { return nil }
        let cpu = Double(s1.cpuTicks - s0.cpuTicks) / ServerProcess.ticksPerSecond
        return ServerFigures(
            pid: Int(server.pid), cpuSeconds: cpu, cpuPercent: cpu / seconds * 100, rssKB: max(maxServerRSS, s1.rssKB),
            peakRSSKB: s1.peakRSSKB, rssBeforeKB: before?.rssKB ?? 0)
    }
}

struct ServerFigures {
    var pid: Int
    var cpuSeconds: Double
    var cpuPercent: Double
    var rssKB: Int
    var peakRSSKB: Int
    var rssBeforeKB: Int
}

func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

/// This process's utime + stime in clock ticks: shows whether the load generator itself was
/// saturated (on a 2-core machine it shares the CPUs with the server).
func selfCPUTicks() -> UInt64 {
    readText("/proc/self/stat").flatMap(ProcessSample.cpuTicks(stat:)) ?? 0
}
