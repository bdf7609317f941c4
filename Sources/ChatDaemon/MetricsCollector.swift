import Cluster
import EventLoop
import Room
import Store
import Synchronization

/// Gathers everything `/metrics` shows (docs/METRICS.md) at scrape time on the control thread:
/// the loops' counters summed, the hub's and the store's state, the process. The chat loops do
/// nothing for a scrape.
final class MetricsCollector {
    unowned let server: ChatServer
    private(set) var exposition = MetricsExposition()

    init(server: ChatServer) {
        self.server = server
    }

    /// Renders a fresh exposition into `exposition` (its storage is reused).
    func collect() {
        var out = exposition
        exposition = MetricsExposition(capacity: 0)  // hand the storage over uniquely
        out.reset()
        let stats = server.workers.map(\.stats)
        func sum(_ slot: Int) -> Int { stats.reduce(0) { $0 &+ $1.load(slot) } }
        let protocols = MetricProtocol.all.indices
        typealias Slot = LoopStats.Slot

        out.family("chatd_build_info", .gauge, "Always 1; the version and git commit of the running binary.")
        out.sample("chatd_build_info", ["version": ChatDaemonVersion.string, "commit": ChatDaemonVersion.commit], 1)

        // One snapshot for the three connection families, so open = accepted − closed holds
        // within a scrape. Closed is read before accepted: both only grow, so the difference is
        // never negative.
        let closed = protocols.map { p in CloseCause.allCases.map { sum(Slot.closed(p, $0)) } }
        let accepted = protocols.map { sum(Slot.accepted($0)) }
        out.family("chatd_connections_open", .gauge, "Client connections open now, by protocol.")
        for p in protocols {
            out.sample("chatd_connections_open", ["protocol": MetricProtocol.label(p)], accepted[p] &- closed[p].reduce(0, &+))
        }
        out.family("chatd_connections_accepted_total", .counter, "Client connections accepted, by protocol.")
        for p in protocols {
            out.sample("chatd_connections_accepted_total", ["protocol": MetricProtocol.label(p)], accepted[p])
        }
        out.family("chatd_connections_closed_total", .counter, "Client connections closed, by protocol and reason.")
        for p in protocols {
            for cause in CloseCause.allCases {
                out.sample(
                    "chatd_connections_closed_total", ["protocol": MetricProtocol.label(p), "reason": cause.label],
                    closed[p][cause.rawValue])
            }
        }
        out.family("chatd_handshake_failures_total", .counter, "Connections closed before completing their handshake, by kind.")
        for kind in HandshakeFailure.allCases {
            out.sample("chatd_handshake_failures_total", ["kind": kind.label], sum(Slot.handshakeFailures(kind)))
        }

        let totals = server.stats
        out.family("chatd_messages_received_total", .counter, "Chat messages and commands received from clients.")
        out.sample("chatd_messages_received_total", totals.messagesIn)
        out.family("chatd_deliveries_total", .counter, "Messages queued to recipients (one per recipient).")
        out.sample("chatd_deliveries_total", totals.deliveries)
        out.family("chatd_received_bytes_total", .counter, "Bytes read from clients (after TLS decryption), by protocol.")
        for p in protocols { out.sample("chatd_received_bytes_total", ["protocol": MetricProtocol.label(p)], sum(Slot.bytesIn(p))) }
        out.family("chatd_sent_bytes_total", .counter, "Bytes written to clients (before TLS encryption), by protocol.")
        for p in protocols { out.sample("chatd_sent_bytes_total", ["protocol": MetricProtocol.label(p)], sum(Slot.bytesOut(p))) }
        out.family("chatd_rate_limit_pauses_total", .counter, "Times a client's reading was paused by --msg-rate.")
        out.sample("chatd_rate_limit_pauses_total", sum(Slot.rateLimitPauses))
        out.family("chatd_slow_consumer_disconnects_total", .counter, "Clients disconnected for not reading their output.")
        out.sample("chatd_slow_consumer_disconnects_total", totals.slowConsumerDisconnects)

        if let hub = server.hub {
            let rooms = hub.rooms.localList()
            out.family("chatd_rooms", .gauge, "Rooms that exist now.")
            out.sample("chatd_rooms", rooms.count)
            out.family("chatd_room_members", .gauge, "Room memberships now (a client in three rooms counts three times).")
            out.sample("chatd_room_members", rooms.reduce(0) { $0 + $1.members })
            out.family("chatd_users", .gauge, "Clients logged in with a name now.")
            out.sample("chatd_users", hub.nicknames.count)
            out.family("chatd_history_bytes", .gauge, "Bytes of recent history kept in memory, all rooms.")
            out.sample("chatd_history_bytes", hub.rooms.historyBytes.load(ordering: .relaxed))
            out.family("chatd_history_budget_bytes", .gauge, "The --history-budget-bytes limit of chatd_history_bytes.")
            out.sample("chatd_history_budget_bytes", hub.limits.historyBudgetBytes)
        }

        if let store = server.historyStore {
            let s = store.statistics
            out.family("chatd_store_queue_events", .gauge, "History events waiting for the store's writer.")
            out.sample("chatd_store_queue_events", s.pending)
            out.family("chatd_store_events_committed_total", .counter, "History events stored for good.")
            out.sample("chatd_store_events_committed_total", Int(truncatingIfNeeded: s.committed))
            out.family("chatd_store_events_dropped_total", .counter, "Unsaved history events dropped because the writer fell behind.")
            out.sample("chatd_store_events_dropped_total", Int(truncatingIfNeeded: s.dropped))
            out.family("chatd_store_commit_failures_total", .counter, "Store transactions that failed (disk full, I/O error).")
            out.sample("chatd_store_commit_failures_total", Int(truncatingIfNeeded: s.failedCommits))
            out.family("chatd_store_commit_seconds", .summary, "Time of the store's group commits, BEGIN to COMMIT.")
            out.sample("chatd_store_commit_seconds_sum", Double(s.commitNanoseconds) / 1e9)
            out.sample("chatd_store_commit_seconds_count", Int(truncatingIfNeeded: s.batches))
        }

        if let cluster = server.cluster {
            let s = cluster.status
            out.family("chatd_cluster_link_up", .gauge, "1 while the link to the cluster's Redis is up, else 0.")
            out.sample("chatd_cluster_link_up", s.state == .up ? 1 : 0)
            func counter(_ name: String, _ value: Int, _ help: String) {
                out.family(name, .counter, help)
                out.sample(name, value)
            }
            counter("chatd_cluster_published_total", s.published.load(ordering: .relaxed),
                    "Messages this node handed to Redis and Redis numbered.")
            counter("chatd_cluster_delivered_total", s.delivered.load(ordering: .relaxed),
                    "Messages delivered to this node's rooms from the cluster.")
            counter("chatd_cluster_refused_total", s.refused.load(ordering: .relaxed),
                    "Sends refused because the cluster link was down or its queue full.")
            counter("chatd_cluster_recovered_total", s.recovered.load(ordering: .relaxed),
                    "Messages recovered from a room's stream after a gap.")
            counter("chatd_cluster_lost_total", s.lost.load(ordering: .relaxed),
                    "Messages lost for good: trimmed from the stream before this node fetched them.")
            counter("chatd_cluster_malformed_total", s.malformed.load(ordering: .relaxed),
                    "Payloads from Redis that did not decode (skipped).")
            counter("chatd_cluster_disconnects_total", s.disconnects.load(ordering: .relaxed),
                    "Connections to Redis lost (each followed by a reconnect).")
        }

        out.family("chatd_loop_tick_seconds", .histogram, "Event-loop tick duration (events, timers and flush), by loop.")
        let bounds = TickHistogram.bounds.map { Double($0) / 1e9 }
        for (i, loopStats) in stats.enumerated() {
            let counts = (0...TickHistogram.bounds.count).map { loopStats.load(Slot.tickBucket($0)) }
            out.histogram(
                "chatd_loop_tick_seconds", ["loop": String(i)], bounds: bounds, counts: counts,
                sum: Double(loopStats.load(Slot.tickNanoseconds)) / 1e9)
        }

        out.family(
            "chatd_publish_flush_seconds", .histogram,
            "From a message's sequencing to the end of the tick that wrote it to its recipients (sampled: 1 message in 8 per room, 1 per loop per tick).")
        let flushCounts = (0...TickHistogram.bounds.count).map { b in stats.reduce(0) { $0 + $1.load(Slot.publishFlushBucket(b)) } }
        out.histogram(
            "chatd_publish_flush_seconds", [:], bounds: bounds, counts: flushCounts,
            sum: Double(stats.reduce(0) { $0 + $1.load(Slot.publishFlushNanoseconds) }) / 1e9)

        let process = ProcessMetrics.sample()
        out.family("process_cpu_seconds_total", .counter, "User and system CPU time spent, in seconds.")
        out.sample("process_cpu_seconds_total", process.cpuSeconds)
        out.family("process_resident_memory_bytes", .gauge, "Resident memory size in bytes.")
        out.sample("process_resident_memory_bytes", process.residentBytes)
        out.family("process_virtual_memory_bytes", .gauge, "Virtual memory size in bytes.")
        out.sample("process_virtual_memory_bytes", process.virtualBytes)
        out.family("process_open_fds", .gauge, "Open file descriptors.")
        out.sample("process_open_fds", process.openFDs)
        out.family("process_max_fds", .gauge, "The open file descriptor limit (RLIMIT_NOFILE).")
        out.sample("process_max_fds", process.maxFDs)
        out.family("process_start_time_seconds", .gauge, "Start time of the process since the Unix epoch, in seconds.")
        out.sample("process_start_time_seconds", process.startTimeSeconds)
        exposition = out
    }
}
