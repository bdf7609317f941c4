import EventLoop
import Glibc

/// The standard Prometheus process metrics (the names every client library's process
/// collector uses: `process_cpu_seconds_total`, `process_resident_memory_bytes`, …), read from
/// procfs at scrape time (proc(5): /proc/self/stat, /proc/self/fd).
struct ProcessMetrics {
    var cpuSeconds: Double = 0
    var residentBytes = 0
    var virtualBytes = 0
    var startTimeSeconds: Double = 0
    var openFDs = 0
    var maxFDs = 0

    /// Fields stay 0 when procfs cannot be read (a chroot without /proc): the scrape
    /// still answers, and the zero is visible rather than a missing series.
    static func sample() -> ProcessMetrics {
        var m = ProcessMetrics()
        let ticks = Double(Posix.clockTicksPerSecond)
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 1) { buffer in
            guard let n = try? Posix.readFile("/proc/self/stat", into: buffer) else { return }
            let fields = statFields(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            // Field numbers of proc(5) minus 3: the list starts after "(comm) ", at `state`.
            guard fields.count > 21 else { return }
            m.cpuSeconds = Double(fields[11] + fields[12]) / ticks
            m.virtualBytes = fields[20]
            m.residentBytes = fields[21] * Posix.pageSize
            if let boot = bootTime {
                // To the tick: the boot time computed per scrape wobbles by microseconds.
                m.startTimeSeconds = ((boot + Double(fields[19]) / ticks) * ticks).rounded() / ticks
            }
        }
        // Minus one: the descriptor of the directory being listed.
        if let n = try? Posix.directoryEntryCount("/proc/self/fd") { m.openFDs = max(0, n - 1) }
        m.maxFDs = (try? Posix.fileLimit()) ?? 0
        return m
    }

    /// The numeric fields after the command name, which is in parentheses and may itself contain
    /// spaces and parentheses: the list starts after the last ')'. Non-numeric fields are 0.
    static func statFields(_ text: UnsafeRawBufferPointer) -> [Int] {
        guard let close = text.lastIndex(of: 0x29) else { return [] }
        var fields: [Int] = []
        var value = 0
        var inField = false
        for byte in text[(close + 1)...] {
            if byte == 0x20 || byte == 0x0A {
                if inField { fields.append(value) }
                value = 0
                inField = false
            } else {
                inField = true
                if byte >= 0x30 && byte <= 0x39 { value = value &* 10 &+ Int(byte - 0x30) }
            }
        }
        if inField { fields.append(value) }
        return fields
    }

    /// The boot time in seconds since the epoch: CLOCK_REALTIME minus CLOCK_BOOTTIME
    /// (clock_gettime(2)), since /proc/stat is hidden from the packaged service (ProcSubset=pid).
    static var bootTime: Double? {
        var real = timespec()
        var boot = timespec()
        guard clock_gettime(CLOCK_REALTIME, &real) == 0, clock_gettime(CLOCK_BOOTTIME, &boot) == 0 else { return nil }
        return Double(real.tv_sec - boot.tv_sec) + Double(real.tv_nsec - boot.tv_nsec) / 1e9
    }
}
