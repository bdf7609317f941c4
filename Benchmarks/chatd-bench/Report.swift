#if canImport(BenchCore)
import BenchCore
#endif
import Histogram

/// Everything a run measured, rendered as a human table or as JSON.
struct Report {
    var scenario: String
    var adapter: String
    var target: String
    var label: String
    var tls = false
    var clients = 0
    var rooms = 0
    var senders = 0
    var rate = 0.0
    var size = 0
    var threads = 0
    var procs = 1
    var seconds = 0.0
    var drainSeconds = 0.0
    var connectSeconds = 0.0
    var connected = 0
    var unseenReceivers = 0
    var loss = LossAccounting()
    var sentPerSecond = 0.0
    var deliveriesPerSecond = 0.0
    var skippedSends: UInt64 = 0
    var refusedSends: UInt64 = 0
    var disconnects: UInt64 = 0
    var connectFailures: UInt64 = 0
    var protocolErrors: UInt64 = 0
    var cyclesPerSecond = 0.0
    var churnFailures: UInt64 = 0
    /// Per load-generator process: CPU used over the measured interval, in cores (1.0 = one).
    var generatorCPU: [Double] = []
    /// Traffic runs: whether the run measured the server (see `RunVerdict`).
    var verdict: RunVerdict?
    var histogram: Histogram<UInt64>?
    var server: ServerFigures?

    var connectRate: Double { connectSeconds > 0 ? Double(connected) / connectSeconds : 0 }

    var generatorCPUPercent: Double { generatorCPU.reduce(0, +) * 100 }

    /// "48 %" or "48 % + 47 % (2 processes)", each process over `threads` loop threads.
    var generatorCPUText: String {
        let each = generatorCPU.map { "\(fixed($0 * 100, 0)) %" }.joined(separator: " + ")
        let loops = "\(threads) loop thread\(threads == 1 ? "" : "s")"
        return generatorCPU.count > 1 ? "\(each) (\(generatorCPU.count) processes × \(loops))" : "\(each) (\(loops))"
    }

    var serverCPUText: String { server.map { "\(fixed($0.cpuPercent, 0)) %" } ?? "not sampled (no --server-pid)" }

    /// Server memory per connection in kB (connections scenario).
    var kBPerConnection: Double? {
        guard let s = server, connected > 0 else { return nil }
        return Double(s.rssKB - s.rssBeforeKB) / Double(connected)
    }

    /// RSS the server would need for 1,000,000 such connections, in GiB.
    var projectedGiBPerMillion: Double? {
        guard let k = kBPerConnection, let s = server else { return nil }
        return (Double(s.rssBeforeKB) + k * 1_000_000) / 1024 / 1024
    }

    var json: JSONObject {
        var o = JSONObject()
        o.set("scenario", scenario)
        o.set("adapter", adapter)
        o.set("target", target)
        if !label.isEmpty { o.set("label", label) }
        if tls { o.set("tls", true) }
        switch scenario {
        case "connections":
            o.set("clients", clients)
            o.set("procs", procs)
            o.set("connected", connected)
            o.set("connect_failures", connectFailures)
            o.set("connect_seconds", connectSeconds)
            o.set("connects_per_s", connectRate, digits: 1)
            o.set("disconnects", disconnects)
            if let k = kBPerConnection { o.set("kb_per_connection", k, digits: 2) }
            if let p = projectedGiBPerMillion { o.set("projected_gib_per_million", p, digits: 2) }
        case "churn":
            o.set("clients", clients)
            o.set("seconds", seconds)
            o.set("cycles_per_s", cyclesPerSecond, digits: 1)
            o.set("failures", churnFailures)
            o.set("connect_failures", connectFailures)
        default:
            o.set("clients", clients)
            o.set("rooms", rooms)
            o.set("senders", senders)
            o.set("rate", rate, digits: 1)
            o.set("size", size)
            o.set("threads", threads)
            o.set("procs", procs)
            o.set("seconds", seconds)
            if let verdict {
                o.set("valid", verdict.valid)
                o.set("problems", verdict.problems)
            }
            o.set("sent", loss.sent)
            o.set("sent_per_s", sentPerSecond, digits: 1)
            o.set("deliveries_per_s", deliveriesPerSecond, digits: 1)
            o.set("expected", loss.expected)
            o.set("received", loss.received)
            o.set("unique", loss.unique)
            o.set("lost", loss.lost)
            o.set("loss_rate", loss.lossRate, digits: 6)
            o.set("duplicates", loss.duplicates)
            o.set("out_of_order", loss.outOfOrder)
            o.set("surplus", loss.surplus)
            o.set("skipped_sends", skippedSends)
            o.set("refused_sends", refusedSends)
            o.set("unseen_receivers", unseenReceivers)
            o.set("disconnects", disconnects)
            o.set("connect_failures", connectFailures)
            o.set("protocol_errors", protocolErrors)
            if let h = histogram {
                let l = LatencySummary(h)
                var lo = JSONObject()
                lo.set("count", l.count)
                lo.set("p50", l.p50, digits: 1)
                lo.set("p90", l.p90, digits: 1)
                lo.set("p99", l.p99, digits: 1)
                lo.set("p999", l.p999, digits: 1)
                lo.set("max", l.max, digits: 1)
                lo.set("mean", l.mean, digits: 1)
                o.set("latency_us", lo)
            }
        }
        if scenario != "connections" {
            o.set("bench_cpu_percent", generatorCPUPercent, digits: 1)
            o.set("bench_cpu_percent_per_proc", generatorCPU.map { $0 * 100 }, digits: 1)
        }
        if let s = server {
            var so = JSONObject()
            so.set("pid", s.pid)
            so.set("cpu_seconds", s.cpuSeconds, digits: 2)
            so.set("cpu_percent", s.cpuPercent, digits: 1)
            so.set("rss_kb", s.rssKB)
            so.set("peak_rss_kb", s.peakRSSKB)
            so.set("rss_before_kb", s.rssBeforeKB)
            o.set("server", so)
        } else {
            o.setNull("server")
        }
        return o
    }

    var human: String {
        var rows: [(String, String)] = [("scenario", "\(scenario) (\(adapter) → \(target))")]
        switch scenario {
        case "connections":
            rows += [
                ("connections", "\(connected) of \(clients) (\(procs) process\(procs == 1 ? "" : "es"))"),
                ("connect rate", "\(fixed(connectRate, 0))/s over \(fixed(connectSeconds, 2)) s"),
                ("failures", "\(connectFailures) connect, \(disconnects) closed by server"),
            ]
            if let k = kBPerConnection { rows.append(("server memory", "\(fixed(k, 2)) kB per connection")) }
            if let p = projectedGiBPerMillion { rows.append(("1,000,000 conns", "≈ \(fixed(p, 2)) GiB RSS (projected)")) }
        case "churn":
            rows += [
                ("concurrency", "\(clients)"),
                ("cycles", "\(fixed(cyclesPerSecond, 0))/s (connect, greet, send, delivered, close) over \(fixed(seconds, 1)) s"),
                ("failures", "\(churnFailures) cycles, \(connectFailures) connects"),
            ]
        default:
            rows += [
                ("clients", "\(clients) in \(rooms) room\(rooms == 1 ? "" : "s"), \(senders) sender\(senders == 1 ? "" : "s"), \(size)-byte messages"),
                ("offered", rate > 0 ? "\(fixed(rate, 0)) msg/s" : "as fast as the server takes them"),
                ("sent", "\(fixed(sentPerSecond, 0)) msg/s (\(loss.sent - refusedSends) in \(fixed(seconds, 1)) s)"),
                ("not sent", "\(skippedSends) skipped (load generator behind schedule), \(refusedSends) refused (server not reading)"),
                ("deliveries", "\(fixed(deliveriesPerSecond, 0))/s  (server CPU \(serverCPUText), load generator CPU \(generatorCPUText))"),
                ("loss", "\(loss.lost) of \(loss.expected) expected (\(fixed(loss.lossRate * 100, 4)) %)\(loss.surplus > 0 ? ", \(loss.surplus) surplus" : "")"),
                ("order", "\(loss.duplicates) duplicates, \(loss.outOfOrder) out of order (of \(loss.received) received)"),
                ("disconnects", "\(disconnects) by server, \(connectFailures) failed connects, \(unseenReceivers) receivers never seen"),
            ]
            if let h = histogram {
                let l = LatencySummary(h)
                rows.append(("latency µs", "p50 \(fixed(l.p50, 0))  p90 \(fixed(l.p90, 0))  p99 \(fixed(l.p99, 0))  p99.9 \(fixed(l.p999, 0))  max \(fixed(l.max, 0))"))
            }
        }
        if scenario != "connections" { rows.append(("load generator", "CPU \(generatorCPUText)")) }
        if let s = server {
            rows.append(("server", "pid \(s.pid): CPU \(fixed(s.cpuPercent, 0)) %, RSS \(s.rssKB / 1024) MiB (peak \(s.peakRSSKB / 1024) MiB)"))
        }
        if let verdict {
            rows.append(("verdict", verdict.valid ? "valid: no sends skipped, no load-generator process saturated" : "INVALID"))
            rows += verdict.problems.map { ("", "- " + $0) }
        }
        let w = rows.map { $0.0.count }.max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: w - $0.0.count) + "  " + $0.1 }.joined(separator: "\n")
    }
}
