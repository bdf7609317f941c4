/// Writes the Prometheus text exposition format, version 0.0.4
/// (prometheus.io/docs/instrumenting/exposition_formats/, "Text-based format"): per family one
/// `# HELP` and one `# TYPE` line, then its samples `name{label="value",...} value`, lines ending
/// in `\n`, histograms as cumulative `_bucket{le="…"}` samples ending in `le="+Inf"`, then `_sum`
/// and `_count`.
///
/// Written by hand rather than through swift-prometheus's `PrometheusCollectorRegistry` (its
/// 2.4.1 is in the package mirror): that registry keeps one object per series that the counting
/// code increments (a shared atomic per `Counter.increment`, a lock per `Histogram.record`), so
/// using it means either contended atomics on the chat loops' hot path or copying per-loop sums
/// into it at scrape time, which its API cannot do (a `Counter` only increments, a `Histogram`
/// only records single observations: buckets summed over loops cannot be set). chatd's counters
/// are per loop and summed here (`MetricsCollector`); this type only formats, into one buffer
/// that keeps its capacity from scrape to scrape.
struct MetricsExposition {
    /// The content type of this format (the spec's "HTTP Content-Type" line).
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 32 * 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// Starts the next scrape in the same storage.
    mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    enum Kind: String { case counter, gauge, histogram, summary }

    /// `# HELP` and `# TYPE` of a family. Help texts are the daemon's own: no escaping needed
    /// beyond what `append(escaped:)` does for backslashes and newlines.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        append("# HELP ")
        append(name)
        append(" ")
        append(escaped: help, quotes: false)
        append("\n# TYPE ")
        append(name)
        append(" ")
        append(kind.rawValue)
        append("\n")
    }

    mutating func sample(_ name: String, _ value: Int) { sample(name, [:], value) }

    mutating func sample(_ name: String, _ value: Double) { sample(name, [:], value) }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Int) {
        series(name, labels)
        append(value)
        append("\n")
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double) {
        series(name, labels)
        append(value)
        append("\n")
    }

    /// A histogram's samples from non-cumulative bucket counts (`counts.count == bounds.count + 1`,
    /// the last being +Inf) and the sum of observations.
    mutating func histogram(
        _ name: String, _ labels: KeyValuePairs<String, String>, bounds: [Double], counts: [Int], sum: Double
    ) {
        var cumulative = 0
        for (i, count) in counts.enumerated() {
            cumulative += count
            append(name)
            append("_bucket{")
            for (key, value) in labels { label(key, value); append(",") }
            append("le=\"")
            if i < bounds.count { append(bounds[i]) } else { append("+Inf") }
            append("\"} ")
            append(cumulative)
            append("\n")
        }
        sample(name + "_sum", labels, sum)
        sample(name + "_count", labels, cumulative)
    }

    private mutating func series(_ name: String, _ labels: KeyValuePairs<String, String>) {
        append(name)
        if !labels.isEmpty {
            append("{")
            var first = true
            for (key, value) in labels {
                if !first { append(",") }
                first = false
                label(key, value)
            }
            append("}")
        }
        append(" ")
    }

    private mutating func label(_ key: String, _ value: String) {
        append(key)
        append("=\"")
        append(escaped: value, quotes: true)
        append("\"")
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Label values escape `\`, `"` and newline; HELP text escapes `\` and newline (the spec).
    private mutating func append(escaped text: String, quotes: Bool) {
        for byte in text.utf8 {
            switch byte {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x22 where quotes: bytes.append(0x5C); bytes.append(0x22)
            default: bytes.append(byte)
            }
        }
    }

    /// Decimal digits straight into the buffer (no String per sample).
    private mutating func append(_ value: Int) {
        if value < 0 { bytes.append(0x2D) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(0x30 + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Go's ParseFloat syntax, which the spec names: integers print without a fraction,
    /// the rest in Swift's shortest round-trip form (`0.001`, `2.5e-05`).
    private mutating func append(_ value: Double) {
        if value.isNaN { return append("NaN") }
        if value.isInfinite { return append(value < 0 ? "-Inf" : "+Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return append(Int(value)) }
        append(value.description)
    }
}
