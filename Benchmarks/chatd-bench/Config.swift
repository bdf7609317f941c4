#if canImport(BenchCore)
import BenchCore
#endif
import EventLoop
import TLS

/// What a worker process runs; fixed before the loops start.
struct RunConfig: Sendable {
    enum Mode: Sendable { case fanout, connections, churn }

    var mode: Mode
    var adapter: Adapter
    var target: SocketAddress
    var plan: RoomPlan
    /// Messages/s in total over all senders; 0 = as fast as the window allows.
    var rate: Double
    var size: Int
    /// Messages in flight per sender when `rate` is 0.
    var window: Int
    var threads: Int
    /// New connections per second and connects in progress at once (per process).
    var connectRate: Double
    var maxPendingConnects: Int
    /// Bind client sockets to sources spread over 127.0.0.0/8.
    var spreadSources: Bool
    /// This process's share of the clients: i in 0..<plan.clients with i % procs == procIndex.
    var procIndex: Int
    var procs: Int
    /// churn: concurrent connect/send/close cycles.
    var churnConcurrency: Int
    /// Every connection speaks TLS (client side, no verification: a loopback benchmark).
    var tls: TLSClientContext? = nil

    /// Whether client `i` belongs to this process (clients are dealt round robin to the loop
    /// threads of all processes, see `Worker.init`).
    func isLocal(_ client: Int) -> Bool { (client % (threads * procs)) / threads == procIndex }

    /// Per sender: how many of its room's receivers are in this process.
    func localExpectedDeliveries() -> [Int] {
        var members = [Int](repeating: 0, count: plan.rooms), senders = members
        for j in 0..<plan.clients where isLocal(j) {
            members[plan.room(of: j)] += 1
            if plan.isSender(j) { senders[plan.room(of: j)] += 1 }
        }
        return (0..<plan.senders).map { s in
            let r = plan.room(of: s)
            return adapter.senderReceives ? members[r] - (isLocal(s) ? 1 : 0) : members[r] - senders[r]
        }
    }

    func roomName(_ room: Int) -> String? {
        plan.rooms <= 1 ? nil : "r\(room)"
    }

    func clientName(_ client: Int) -> String { "b\(client)" }

    /// Spreads client sockets over 127.0.0.0/8 (excluding 127.0.0.0 and broadcast-like ends):
    /// each source address has its own 28,000 ephemeral ports towards the target.
    func sourceAddress(_ n: Int) -> SocketAddress? {
        guard spreadSources, target.family == 2 /* AF_INET */ else { return nil }
        let a = 1 + (n / 64516) % 250
        let b = (n / 254) % 254 + 1
        let c = n % 254 + 1
        return try? SocketAddress(host: "127.\(a).\(b).\(c)", port: 0)
    }
}
