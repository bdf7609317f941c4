import BenchCore
import Glibc
import Histogram

/// Worker processes, each running `Runner` on its share of the clients (`runTrafficWorker`).
final class GeneratorProcesses: TrafficGenerators {
    let workers: [WorkerProcess]
    let loopThreads: Int
    private(set) var mustReceive: UInt64 = 0
    /// Indices of the workers that stopped answering: their counts are missing.
    private var exited = Set<Int>()
    var failures: [String] {
        exited.sorted().map { "load-generator process \($0) exited during the run: its clients' counts are missing" }
    }

    /// `arguments`: this run's command line (argv[1...]); each worker gets it plus its index.
    init(arguments: [String], procs: Int, loopThreads: Int) throws {
        var started: [WorkerProcess] = []
        do {
            for i in 0..<procs { started.append(try WorkerProcess(arguments: arguments + ["--proc-index", "\(i)"])) }
        } catch {
            for w in started { w.wait() }
            throw error
        }
        workers = started
        self.loopThreads = loopThreads
    }

    func connect() throws -> Double {
        var seconds = 0.0
        for (i, w) in workers.enumerated() {
            // "connected SECONDS MUST_RECEIVE" once the worker's ramp is over.
            guard let f = w.readLine(), f.count == 3, f[0] == "connected" else {
                _ = finish()
                throw BenchError("worker process \(i) failed before connecting (its error is above)")
            }
            seconds = max(seconds, Double(f[1]) ?? 0)
            mustReceive += UInt64(f[2]) ?? 0
        }
        return seconds
    }

    func set(_ phase: Phase) { for w in workers { w.send("phase \(phase.rawValue)") } }

    func counts() -> TrafficCounts {
        var total = TrafficCounts()
        for (i, w) in workers.enumerated() where !exited.contains(i) { w.send("counts") }
        for (i, w) in workers.enumerated() where !exited.contains(i) {
            if let f = w.readLine(), f.first == "counts", let c = TrafficCounts(line: f.dropFirst()) {
                total.add(c)
            } else {
                exited.insert(i)
            }
        }
        return total
    }

    func cpuTicks() -> [UInt64] { workers.map(\.cpuTicks) }

    func finish() -> (TrafficCounts, Histogram<UInt64>) {
        var total = TrafficCounts()
        var h = LatencySummary.makeHistogram()
        for w in workers { w.send("finish") }
        for (i, w) in workers.enumerated() {
            // "final COUNTS… HISTOGRAM"
            if let f = w.readLine(), f.first == "final", f.count == 17, let c = TrafficCounts(line: f[1...15]),
                LatencySummary.decode(f[16] == "-" ? "" : f[16], into: &h)
            {
                total.add(c)
            } else {
                exited.insert(i)
            }
            w.wait()
        }
        return (total, h)
    }
}

/// One worker process of a traffic run: connects its share, reports, then obeys the
/// coordinator's commands on standard input until "finish" (or the end of its input).
func runTrafficWorker(_ config: RunConfig) throws {
    let runner = try Runner(config: config, timing: Timing(), server: nil, progress: false)
    let seconds = runner.connect()
    print("connected \(seconds) \(runner.mustReceive)")
    fflush(nil)
    while let line = readLine() {
        let f = line.split(separator: " ")
        switch f.first {
        case "phase":
            if f.count == 2, let n = Int(f[1]), let p = Phase(rawValue: n) { runner.set(p) }
        case "counts":
            print("counts \(runner.counts().line)")
        case "finish":
            let (c, h) = runner.finish()
            let hist = LatencySummary.encode(h)
            print("final \(c.line) \(hist.isEmpty ? "-" : hist)")
            fflush(nil)
            return
        default:
            break
        }
        fflush(nil)
    }
    _ = runner.finish()
}
