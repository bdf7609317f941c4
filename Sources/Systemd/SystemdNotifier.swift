// The service-manager notification protocol (sd_notify(3)): readiness, status text, reload,
// stop and watchdog keep-alives, sent as single AF_UNIX datagrams to $NOTIFY_SOCKET.
//
// Why not call libsystemd's sd_notify(): it re-reads the environment on every call (getenv
// racing any setenv elsewhere in a multi-threaded process), and we want the socket address
// captured once at start-up, as systemd intends — NOTIFY_SOCKET is set by the manager for
// the main process and never changes while it runs. The wire format is trivial and stable
// (sd_notify(3), "NOTES"): newline-separated KEY=VALUE assignments in one datagram, the
// address a filesystem path or, with a leading '@', a name in the abstract namespace.
// The watchdog interval still comes from libsystemd's sd_watchdog_enabled(3), because it
// also checks WATCHDOG_PID against our PID.

import CSystemd
import EventLoop
import Glibc

public struct SystemdNotifier: Sendable {
    /// The notification socket address as systemd passed it ($NOTIFY_SOCKET), or nil when the
    /// process was not started by a service manager that wants notifications (Type=notify).
    public let socketPath: String?
    private let watchdogMicroseconds: UInt64?

    /// Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID once. The environment is left as
    /// it is (unset_environment=0): chatd spawns no children that could mistake it for theirs.
    public init() {
        self.init(socketPath: Self.environment("NOTIFY_SOCKET"), watchdogMicroseconds: Self.watchdogFromEnvironment())
    }

    /// Testing and embedding: notify an explicit socket (path or "@abstract") instead of the
    /// one from the environment.
    public init(socketPath: String?, watchdogMicroseconds: UInt64? = nil) {
        self.socketPath = (socketPath?.isEmpty ?? true) ? nil : socketPath
        self.watchdogMicroseconds = watchdogMicroseconds.flatMap { $0 == 0 ? nil : $0 }
    }

    /// True when a service manager listens for notifications (NOTIFY_SOCKET was set).
    public var isEnabled: Bool { socketPath != nil }

    /// The interval after which systemd kills the service when no WATCHDOG=1 arrived
    /// (WatchdogSec= in the unit, passed as WATCHDOG_USEC). nil when the watchdog is off or the
    /// variables are meant for another process (WATCHDOG_PID ≠ getpid()). sd_watchdog_enabled(3)
    /// recommends pinging at half this interval.
    public var watchdogInterval: Duration? {
        watchdogMicroseconds.map { Duration.microseconds(Int64(clamping: $0)) }
    }

    /// READY=1: start-up is finished (every listener accepts). For Type=notify units this is
    /// what turns "activating" into "active" and lets `systemctl start` return.
    /// Also used after a reload to end the RELOADING=1 state.
    public func ready(status: String? = nil) {
        var message = "READY=1"
        if let status { message += "\nSTATUS=" + Self.singleLine(status) }
        send(message)
    }

    /// STATUS=…: free-form one-line text shown by `systemctl status` and `systemctl show -p StatusText`.
    public func status(_ text: String) {
        send("STATUS=" + Self.singleLine(text))
    }

    /// STOPPING=1: shutdown has begun; systemd shows "deactivating" and stops sending clients
    /// to an activation socket's service until it has exited.
    public func stopping() {
        send("STOPPING=1")
    }

    /// RELOADING=1 with MONOTONIC_USEC=: a configuration reload has begun; READY=1 must follow
    /// when it is done. systemd ≥ 253 requires MONOTONIC_USEC (CLOCK_MONOTONIC in µs, taken
    /// when the reload starts) to match the reload with the request (sd_notify(3)); 252
    /// ignores it, so we always send it.
    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// WATCHDOG=1: keep-alive. Send only when the daemon is known to be healthy (every event
    /// loop ticked recently) — pinging from an independent timer would defeat the watchdog.
    public func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// Sends one raw notification (newline-separated KEY=VALUE lines) as a single datagram.
    /// Returns false when notifications are disabled or the datagram could not be sent;
    /// sd_notify(3) advises daemons to ignore such failures, so the convenience methods do.
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard let socketPath else { return false }
        return Self.sendDatagram(state, to: socketPath)
    }

    // MARK: - Implementation

    /// Keeps an embedded newline from ending the STATUS= assignment early and turning the
    /// rest of the text into a (bogus) assignment of its own.
    static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" }) else { return text }
        return String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    static func monotonicMicroseconds() -> UInt64 {
        Monotonic.now() / 1_000
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    private static func watchdogFromEnvironment() -> UInt64? {
        var usec: UInt64 = 0
        // > 0: enabled for this PID; 0: not enabled; < 0: malformed variables.
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return usec
    }

    /// One socket per datagram, like libsystemd: notifications are rare (every few seconds),
    /// and an unconnected fresh socket never ends up in a half-broken state.
    static func sendDatagram(_ message: String, to path: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }  // abstract namespace: leading NUL, no terminator
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A filesystem path needs room for its terminating NUL; an abstract name does not.
        guard !pathBytes.isEmpty, pathBytes.count + (abstract ? 0 : 1) <= capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            pathBytes.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + (abstract ? 0 : 1)

        // Blocking, like libsystemd's: READY=1 must not be lost to a momentarily full queue.
        guard let fd = try? Posix.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), nonBlocking: false) else { return false }
        defer { Posix.close(fd) }
        let payload = Array(message.utf8)
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try? Posix.sendto(fd, bytes, flags: Int32(MSG_NOSIGNAL), to: sa, socklen_t(length))
                }
            }
        }
        guard case .processed(let n) = sent else { return false }
        return n == payload.count
    }
}
