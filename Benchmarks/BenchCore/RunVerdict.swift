/// Whether a traffic run measured the server, and if not, why. A run whose load generator
/// was itself the bottleneck, or that skipped sends because the generator fell behind its
/// schedule, measured the generator: it reports its figures but fails (exit status 1,
/// JSON `"valid": false`).
public struct RunVerdict: Sendable, Equatable {
    public private(set) var problems: [String] = []
    public var valid: Bool { problems.isEmpty }

    /// - Parameters:
    ///   - skippedSends: paced sends dropped because the generator was more than a second
    ///     behind its schedule (its loop did not run in time).
    ///   - generatorCPU: per generator process, its CPU use over the measured interval as a
    ///     fraction of one core (1.0 = one core busy).
    ///   - loopThreads: event-loop threads per generator process.
    ///   - busyLimit: the fraction of its loop threads' capacity at which a generator process
    ///     counts as saturated.
    public init(skippedSends: UInt64, generatorCPU: [Double], loopThreads: Int, busyLimit: Double) {
        if skippedSends > 0 {
            problems.append("the load generator fell behind its schedule and skipped \(skippedSends) sends")
        }
        let capacity = Double(max(1, loopThreads))
        for (i, cpu) in generatorCPU.enumerated() where cpu / capacity >= busyLimit {
            let who = generatorCPU.count == 1 ? "the load generator" : "load-generator process \(i)"
            problems.append(
                "\(who) used \(fixed(cpu * 100, 0)) % CPU with \(loopThreads) loop thread\(loopThreads == 1 ? "" : "s")"
                    + " (limit \(fixed(busyLimit * 100, 0)) %): it, not the server, was the bottleneck;"
                    + " raise --procs or --threads")
        }
    }

    /// Any other reason the run did not measure what it claims (a worker process that died).
    public mutating func add(_ problem: String) { problems.append(problem) }
}
