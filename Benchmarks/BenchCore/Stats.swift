import Histogram

/// Expected versus received deliveries of the measured messages. A message sent to a room of
/// `members` clients is expected `members - 1` times (never back to its sender) when senders
/// are members, `members - senders` times when they are not (Redis publishers).
///
/// `received` counts every measured delivery; duplicates (by sender and sequence number, see
/// `SenderSequence`) are not new messages, so loss = expected − (received − duplicates).
public struct LossAccounting: Sendable, Equatable {
    public var sent: UInt64 = 0
    public var expected: UInt64 = 0
    public var received: UInt64 = 0
    /// Deliveries a receiver had already received from that sender.
    public var duplicates: UInt64 = 0
    /// Deliveries that arrived after a later one of the same sender (a reordering server).
    public var outOfOrder: UInt64 = 0
    public var unique: UInt64 { received > duplicates ? received - duplicates : 0 }
    /// Unique deliveries beyond what was expected (a wrong membership model, or a server that
    /// delivers to clients outside the room).
    public var surplus: UInt64 { unique > expected ? unique - expected : 0 }
    public var lost: UInt64 { expected > unique ? expected - unique : 0 }
    /// Lost deliveries as a fraction of those expected (0 when nothing was expected).
    public var lossRate: Double { expected == 0 ? 0 : Double(lost) / Double(expected) }
    /// Whether the server delivered exactly what it should have: nothing lost, repeated,
    /// reordered or surplus.
    public var isExact: Bool { lost == 0 && duplicates == 0 && outOfOrder == 0 && surplus == 0 }

    public init() {}

    /// Deliveries one message should produce in a room.
    public static func expectedDeliveries(members: Int, sendersInRoom: Int, senderReceives: Bool) -> Int {
        max(0, senderReceives ? members - 1 : members - sendersInRoom)
    }

    public mutating func recordSend(expectedDeliveries: Int) {
        sent &+= 1
        expected &+= UInt64(expectedDeliveries)
    }

    /// Counts one measured delivery by how it arrived.
    public mutating func recordDelivery(_ arrival: SenderSequence.Arrival) {
        received &+= 1
        switch arrival {
        case .inOrder, .skippedAhead: break
        case .late: outOfOrder &+= 1
        case .duplicate: duplicates &+= 1
        }
    }

    public mutating func add(_ o: LossAccounting) {
        sent &+= o.sent
        expected &+= o.expected
        received &+= o.received
        duplicates &+= o.duplicates
        outOfOrder &+= o.outOfOrder
    }
}

/// Room membership for a scenario: client `i` is in room `i % rooms`; the first `senders`
/// clients send (so senders spread over the rooms round robin).
public struct RoomPlan: Sendable, Equatable {
    public let clients: Int
    public let rooms: Int
    public let senders: Int

    public init(clients: Int, rooms: Int, senders: Int) {
        self.clients = clients
        self.rooms = max(1, rooms)
        self.senders = min(senders, clients)
    }

    public func room(of client: Int) -> Int { client % rooms }
    public func isSender(_ client: Int) -> Bool { client < senders }
    public func members(of room: Int) -> Int { clients / rooms + (room < clients % rooms ? 1 : 0) }
    public func senders(in room: Int) -> Int { senders / rooms + (room < senders % rooms ? 1 : 0) }

    public func expectedDeliveries(room: Int, senderReceives: Bool) -> Int {
        LossAccounting.expectedDeliveries(
            members: members(of: room), sendersInRoom: senders(in: room), senderReceives: senderReceives)
    }

    /// Whether a client must be seen receiving before measurement starts: every client that
    /// some other client sends to.
    public func mustReceive(_ client: Int, senderReceives: Bool) -> Bool {
        if !isSender(client) { return true }
        return senderReceives && senders(in: room(of: client)) > 1
    }
}

/// Latency percentiles in microseconds from a histogram recorded in nanoseconds.
public struct LatencySummary: Sendable, Equatable {
    public var count: UInt64
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    public var mean: Double

    public init(_ h: Histogram<UInt64>) {
        count = h.totalCount
        func us(_ v: UInt64) -> Double { Double(v) / 1000 }
        p50 = count == 0 ? 0 : us(h.valueAtPercentile(50))
        p90 = count == 0 ? 0 : us(h.valueAtPercentile(90))
        p99 = count == 0 ? 0 : us(h.valueAtPercentile(99))
        p999 = count == 0 ? 0 : us(h.valueAtPercentile(99.9))
        max = count == 0 ? 0 : us(h.max)
        mean = count == 0 ? 0 : h.mean / 1000
    }

    /// A histogram for end-to-end latencies in nanoseconds: 1 µs resolution at three
    /// significant digits, up to 100 s.
    public static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    }

    /// The recorded buckets as "value:count,value:count,…", for a worker process to hand its
    /// histogram to the coordinator (each value is its bucket's representative, so merging the
    /// decoded histogram loses nothing beyond the histogram's own precision).
    public static func encode(_ h: Histogram<UInt64>) -> String {
        h.recordedValues().map { "\($0.value):\($0.count)" }.joined(separator: ",")
    }

    /// Adds what `encode` wrote to `h`; false (and `h` unchanged) if the text is malformed.
    public static func decode(_ text: Substring, into h: inout Histogram<UInt64>) -> Bool {
        var pairs: [(UInt64, UInt64)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":")
            guard parts.count == 2, let v = UInt64(parts[0]), let c = UInt64(parts[1]) else { return false }
            pairs.append((v, c))
        }
        for (v, c) in pairs { _ = h.record(v, count: c) }
        return true
    }

    /// The standard `.hgrm` percentile distribution in milliseconds, as HdrHistogram's
    /// plotter reads it.
    public static func hgrm(_ h: Histogram<UInt64>) -> String {
        var s = ""
        h.outputPercentileDistribution(to: &s, outputValueUnitScalingRatio: 1_000_000)
        return s
    }
}

/// CPU time and memory of a process from /proc (proc(5)).
public struct ProcessSample: Sendable, Equatable {
    /// utime + stime in clock ticks.
    public var cpuTicks: UInt64
    /// Resident set now and its peak (VmRSS, VmHWM), in kB.
    public var rssKB: Int
    public var peakRSSKB: Int

    public init(cpuTicks: UInt64, rssKB: Int, peakRSSKB: Int) {
        self.cpuTicks = cpuTicks
        self.rssKB = rssKB
        self.peakRSSKB = peakRSSKB
    }

    /// utime + stime from /proc/PID/stat: fields 14 and 15, counted after the ")" that ends
    /// the command name (which may itself contain spaces and parentheses).
    public static func cpuTicks(stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime is field 14 → index 11, stime → 12.
        guard fields.count > 12, let u = UInt64(fields[11]), let s = UInt64(fields[12]) else { return nil }
        return u + s
    }

    /// A "Key:   123 kB" line of /proc/PID/status.
    public static func statusKB(_ status: String, key: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let v = Int(parts[1]) { return v }
        }
        return nil
    }
}

/// Ratios for the side-by-side tables: "1.00×", "12.3×", "0.42×".
public func formatRatio(_ value: Double, baseline: Double) -> String {
    guard baseline > 0, value.isFinite else { return "–" }
    let r = value / baseline
    if r >= 100 { return "\(Int(r.rounded()))×" }
    if r >= 10 { return "\(fixed(r, 1))×" }
    return "\(fixed(r, 2))×"
}

/// Fixed-point formatting without Foundation.
public func fixed(_ v: Double, _ digits: Int) -> String {
    guard v.isFinite else { return "nan" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = (abs(v) * scale).rounded()
    let whole = Int(n / scale)
    var frac = String(Int(n.truncatingRemainder(dividingBy: scale)))
    while frac.count < digits { frac = "0" + frac }
    let sign = v < 0 && n > 0 ? "-" : ""
    return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
}
