// The watchdog contract (DESIGN.md §6): WATCHDOG=1 is sent only while every event loop makes
// progress. One loop is wedged for real — blocked on a room's lock that the test holds, as a
// deadlock or a stuck syscall would block it — while the other loop stays idle and healthy.

@testable import ChatDaemon
import EventLoop
import Glibc
import Logging
@testable import Room
import Synchronization
import Systemd
import Testing

@Suite("E2E watchdog")
struct E2EWatchdogTests {
    /// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
    final class NotifySocket {
        let fd: CInt
        let path: String

        init() throws {
            path = "/tmp/chatd-wd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { dst in
                for (i, b) in path.utf8.enumerated() { dst[i] = b }
            }
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(r == 0)
            var tv = timeval(tv_sec: 0, tv_usec: 50_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(fd)
            unlink(path)
        }

        /// Times (e2eNow) of the WATCHDOG=1 datagrams received during the next `seconds`.
        func pings(for seconds: Double) -> [Double] {
            var times: [Double] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            let end = e2eNow() + seconds
            while e2eNow() < end {
                let n = recv(fd, &buf, buf.count, 0)
                if n > 0, String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n").contains("WATCHDOG=1") {
                    times.append(e2eNow())
                }
            }
            return times
        }
    }

    @Test func pingsStopWhileOneLoopIsWedgedAndResumeAfterwards() throws {
        signal(SIGPIPE, SIG_IGN)
        let notify = try NotifySocket()
        var c = ChatConfig()
        c.listen = [ListenAddress(host: "127.0.0.1", port: 0)]
        c.threads = 2
        c.msgRate = 0
        c.maxConnsPerIP = 0
        c.history = 0
        // WatchdogSec=1s: pings every 0.5 s; a loop is stale after max(0.5 s, 2 s) without a tick.
        let notifier = SystemdNotifier(socketPath: notify.path, watchdogMicroseconds: 1_000_000)
        var logger = Logger(label: "chatd-watchdog-test")
        logger.logLevel = .critical
        let server = try ChatServer(config: c, loader: nil, logger: logger, handleSignals: false, notifier: notifier)
        try server.start()
        let runner = UnsafeTransfer(server)
        let thread = LoopThread.spawn(name: "wd-control") { _ = runner.value.run() }
        defer {
            server.requestShutdown()
            thread.join()
        }

        let client = try E2EClient.login(port: server.listeningPorts[0], name: "wedger")
        try client.sync()
        #expect(notify.pings(for: 1.6).count >= 2, "no watchdog pings from a healthy daemon")

        let lobby = try server.hub.rooms.room(named: "lobby", limits: server.hub.limits).get()
        var duringStall: [Double] = []
        var stallStart = 0.0
        try lobby.state.withLock { _ in
            // The client's loop reads this message and blocks in publish() on the lock we hold.
            try client.send(frame: "this wedges my loop")
            stallStart = e2eNow()
            duringStall = notify.pings(for: 4.5)
        }
        let lateInStall = duringStall.filter { $0 > stallStart + 2.7 }
        #expect(lateInStall.isEmpty, "watchdog kept pinging \(lateInStall.count) times while a loop was wedged for > 2.7 s")
        #expect(notify.pings(for: 2.5).count >= 2, "watchdog pings did not resume after the loop recovered")
    }
}
