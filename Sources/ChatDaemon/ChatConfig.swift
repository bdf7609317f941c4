// The daemon's settings: one value per limit of DESIGN.md §4, their defaults, and the rules
// that decide whether a combination is usable. Where the values come from (flags, environment,
// JSON file) is ConfigLoader's business; this file knows nothing about sources.

import EventLoop
import Glibc
import Logging
import Redis
import Room

/// The wire format a listener speaks (DESIGN.md §7): `SCHEME://` in front of a listen address,
/// and the `FileDescriptorName=` of a socket-activated listener.
public enum ListenScheme: String, CaseIterable, Sendable, Hashable {
    /// The seed's length-framed protocol; also what an address without a scheme means.
    case framed
    /// IRC (Modern IRC documents + IRCv3 capability negotiation).
    case irc
    /// HTTP/1.1: the browser chat page (`--web-root`), `GET /healthz`, and WebSocket
    /// (RFC 6455, subprotocol chatd.v1) at `GET /ws`.
    case http
    /// `GET /metrics` in the Prometheus text format (docs/METRICS.md); served by the control
    /// thread, not by the chat loops. Bind it to loopback.
    case metrics

    /// The name of this protocol's TLS twin (`framed+tls://`): the same wire format inside a
    /// TLS session (`--tls-cert`). nil = no TLS twin.
    public var tlsName: String? {
        switch self {
        case .framed: "framed+tls"
        case .irc: "ircs"
        case .http: "https"
        case .metrics: nil
        }
    }

    /// A scheme as written in a listen address or a `FileDescriptorName=`: a protocol, or its
    /// TLS twin.
    public static func named(_ name: String) -> (scheme: ListenScheme, tls: Bool)? {
        if let plain = ListenScheme(rawValue: name) { return (plain, false) }
        if let twin = allCases.first(where: { $0.tlsName == name }) { return (twin, true) }
        return nil
    }

    /// The chat loops never see a metrics:// connection (ChatServer hands those listeners to
    /// the control loop), so their `switch conn.wire` statements end here for that case.
    static func notAChatProtocol() -> Never {
        preconditionFailure("metrics:// connections are served by the control loop, not by a chat loop")
    }

    /// Every scheme name this build serves ("framed", "framed+tls", …).
    static var servedNames: [String] { allCases.flatMap { [$0.rawValue] + ($0.tlsName.map { [$0] } ?? []) } }

    /// The scheme a socket-activated fd serves, from its `FileDescriptorName=`. "chatd" is the
    /// name the packaged chatd.socket used before listeners had schemes; systemd passes
    /// "unknown" when the unit names nothing (sd_listen_fds_with_names(3)). Both mean framed.
    public static func forDescriptorName(_ name: String) -> (scheme: ListenScheme, tls: Bool)? {
        switch name {
        case "chatd", "unknown", "stored", "": return (.framed, false)
        default: return named(name)
        }
    }
}

/// An address to listen on: a wire format (scheme), a numeric IPv4/IPv6 host and a TCP port.
///
/// chatd never resolves host names (a blocking resolver has no place in a daemon's start-up or
/// reload path, and a name that resolves differently on each reload is a trap). `parse` accepts:
///
/// | text              | host         | meaning                                            |
/// |-------------------|--------------|----------------------------------------------------|
/// | `7575`, `:7575`   | `::`         | all addresses, IPv4 and IPv6 (one dual-stack socket) |
/// | `*:7575`          | `::`         | same                                               |
/// | `0.0.0.0:7575`    | `0.0.0.0`    | all IPv4 addresses only                            |
/// | `[::]:7575`       | `::`         | all addresses (dual-stack, as above)               |
/// | `127.0.0.1:7575`  | `127.0.0.1`  | one IPv4 address                                   |
/// | `[::1]:7575`      | `::1`        | one IPv6 address                                   |
/// | `localhost:7575`  | `127.0.0.1`  | the IPv4 loopback (the only name understood)       |
///
/// Hosts are stored in canonical numeric form (`[0::1]` becomes `::1`), so equal addresses
/// compare equal. Port 0 asks the kernel for an ephemeral port (tests). IPv6 hosts must be
/// written in brackets; zone indices (`fe80::1%eth0`) are not supported.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The protocol served; `framed` when the text has no `SCHEME://`.
    public var scheme: ListenScheme
    /// Inside TLS (`framed+tls://`): needs `tls-cert` and `tls-key`.
    public var tls: Bool
    /// Numeric host: an IPv4 dotted quad or an IPv6 address without brackets.
    public var host: String
    /// TCP port, 0...65535; 0 = ephemeral.
    public var port: Int

    /// No checking here; `ChatConfig.validate()` checks every address.
    public init(_ scheme: ListenScheme = .framed, host: String, port: Int, tls: Bool = false) {
        self.scheme = scheme
        self.tls = tls
        self.host = host
        self.port = port
    }

    /// True for an IPv6 host (including `::`, which also accepts IPv4 as a dual-stack socket).
    public var isIPv6: Bool { host.contains(":") }

    /// `HOST:PORT` (brackets around an IPv6 host) for framed, `SCHEME://HOST:PORT` otherwise:
    /// the form `parse` accepts, and for framed the form older configurations used.
    public var description: String {
        let hostPort = isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
        if tls, let name = scheme.tlsName { return "\(name)://\(hostPort)" }
        return scheme == .framed ? hostPort : "\(scheme.rawValue)://\(hostPort)"
    }

    /// Parses `[SCHEME://]` followed by `HOST:PORT`, `[IPV6]:PORT`, `:PORT` or `PORT` (see the
    /// type's documentation). No scheme means `framed`.
    public static func parse(_ text: String) throws(ConfigError) -> ListenAddress {
        var trimmed = ConfigText.trim(text)
        func fail(_ reason: String) -> ConfigError {
            ConfigError("listen address '\(text)': \(reason)", key: ChatConfigKey.listen.rawValue)
        }
        var scheme = ListenScheme.framed
        var tls = false
        let utf8 = Array(trimmed.utf8)
        if let colon = utf8.indices.first(where: { utf8[$0] == 0x3A && $0 + 2 < utf8.count && utf8[$0 + 1] == 0x2F && utf8[$0 + 2] == 0x2F }) {
            let name = String(decoding: utf8[..<colon], as: UTF8.self).lowercased()
            guard let known = ListenScheme.named(name) else {
                let served = ListenScheme.servedNames.map { "\($0)://" }.joined(separator: ", ")
                throw fail("unknown scheme '\(name)://' (supported: \(served); no scheme means framed)")
            }
            (scheme, tls) = known
            trimmed = String(decoding: utf8[(colon + 3)...], as: UTF8.self)
        }
        guard !trimmed.isEmpty else { throw fail("empty (expected HOST:PORT, [IPv6]:PORT or :PORT)") }

        let hostText: Substring
        let portText: Substring
        if trimmed.allSatisfy(ConfigText.isDigit) {
            hostText = ""
            portText = trimmed[...]
        } else if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { throw fail("missing ']' after the IPv6 address") }
            hostText = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.first == ":" else { throw fail("missing port (expected [IPv6]:PORT)") }
            portText = rest.dropFirst()
            guard !hostText.isEmpty, hostText.contains(":") else {
                throw fail("'[\(hostText)]' is not an IPv6 address")
            }
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else {
                throw fail("missing port (expected HOST:PORT, [IPv6]:PORT or :PORT)")
            }
            hostText = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
            if hostText.contains(":") {
                throw fail("an IPv6 address must be written in brackets, e.g. [::1]:\(portText)")
            }
        }
        guard let port = parsePort(portText) else {
            throw fail(portText.isEmpty ? "missing port" : "bad port '\(portText)' (must be 0...65535)")
        }
        guard let host = canonicalHost(String(hostText)) else {
            throw fail(
                "'\(hostText)' is not a numeric IP address (chatd resolves no host names; "
                    + "use an IPv4 address, [IPv6], localhost or *)")
        }
        return ListenAddress(scheme, host: host, port: port, tls: tls)
    }

    /// Port digits only (no sign, no spaces), at most 5 of them, value 0...65535.
    static func parsePort(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy(ConfigText.isDigit), let value = Int(text),
            (0...65535).contains(value)
        else { return nil }
        return value
    }

    /// "" and "*" → "::" (all addresses), "localhost" → "127.0.0.1", numeric hosts in canonical
    /// inet_ntop form, anything else nil: EventLoop's `SocketAddress` rules, the only copy.
    static func canonicalHost(_ text: String) -> String? {
        // Brackets belong to the HOST:PORT syntax `parse` handles, not to a bare host.
        guard !text.hasPrefix("[") else { return nil }
        return SocketAddress.canonicalHost(text)
    }
}

/// The name of every setting: the `chatd` flag without its dashes, the JSON config file key, and
/// (upper-cased, dashes as underscores, prefixed `CHATD_`) the environment variable.
public enum ChatConfigKey: String, CaseIterable, Sendable {
    case listen = "listen"
    case threads = "threads"
    case maxMessageBytes = "max-message-bytes"
    case handshakeTimeout = "handshake-timeout"
    case idleTimeout = "idle-timeout"
    case queueSoftBytes = "queue-soft-bytes"
    case queueSoftSeconds = "queue-soft-seconds"
    case queueHardBytes = "queue-hard-bytes"
    case msgRate = "msg-rate"
    case msgBurst = "msg-burst"
    case maxConnsPerIP = "max-conns-per-ip"
    case maxConns = "max-conns"
    case history = "history"
    case historyBudgetBytes = "history-budget-bytes"
    case historyStore = "history-store"
    case stateDir = "state-dir"
    case controlSocket = "control-socket"
    case historyCommitMs = "history-commit-ms"
    case historyKeepDays = "history-keep-days"
    case historyKeepPerRoom = "history-keep-per-room"
    case historyPrivate = "history-private"
    case shutdownTimeout = "shutdown-timeout"
    case logLevel = "log-level"
    case motd = "motd"
    case serverName = "server-name"
    case networkName = "network-name"
    case ircPingInterval = "irc-ping-interval"
    case ircPingTimeout = "irc-ping-timeout"
    case ircPassword = "irc-password"
    case tlsCert = "tls-cert"
    case tlsKey = "tls-key"
    case tlsMaxHandshakes = "tls-max-handshakes"
    case webRoot = "web-root"
    case httpAllowedOrigins = "http-allowed-origins"
    case cluster = "cluster"
    case nodeName = "node-name"
    case clusterStreamLength = "cluster-stream-length"
    case registration = "registration"
    case authTimeout = "auth-timeout"
    case argon2MemoryKiB = "argon2-memory-kib"
    case argon2Iterations = "argon2-iterations"
    case admins = "admins"
    case maxBansPerRoom = "max-bans-per-room"

    /// `--max-message-bytes`
    public var flag: String { "--" + rawValue }

    /// `CHATD_MAX_MESSAGE_BYTES`: what swift-configuration's EnvironmentVariablesProvider looks up
    /// for the key `chatd.max-message-bytes` (components upper-cased, non-alphanumerics → `_`,
    /// joined with `_`).
    public var environmentVariable: String {
        "CHATD_" + String(rawValue.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}

/// Every setting of the daemon, with the defaults of DESIGN.md §4.
public struct ChatConfig: Sendable, Equatable {
    /// 7575: not assigned to a well-known service (the seed's 3306 is MySQL's).
    public static let defaultPort = 7575

    /// Addresses to listen on. The default is one IPv6 socket on `::` with IPV6_V6ONLY=0, which
    /// accepts IPv4 (as v4-mapped addresses) and IPv6 alike: "all addresses" with one socket.
    public var listen: [ListenAddress] = [ListenAddress(host: "::", port: ChatConfig.defaultPort)]
    /// Event-loop threads; 0 = one per online CPU (see `resolvedThreads`). 0...256.
    public var threads: Int = 0
    /// Largest message payload in bytes (one frame's length field). 1...16 MiB.
    public var maxMessageBytes: Int = 65536
    /// Seconds a new connection has to send its username. (0, 3600].
    public var handshakeTimeout: Double = 10
    /// Seconds without any input after which a client is closed; 0 = never. 0...604800.
    public var idleTimeout: Double = 0
    /// A write queue above this many bytes for longer than `queueSoftSeconds` → slow consumer.
    public var queueSoftBytes: Int = 1 << 20
    /// Grace period in seconds above `queueSoftBytes`. 0...3600 (0 = none).
    public var queueSoftSeconds: Double = 30
    /// A write queue above this many bytes → slow consumer at once. At least
    /// 2 × maxMessageBytes + 64, so that one message always fits.
    public var queueHardBytes: Int = 8 << 20
    /// Messages per second per connection (token bucket rate); 0 = no rate limit.
    public var msgRate: Double = 10
    /// Token bucket depth: messages a client may send at once before the rate applies.
    public var msgBurst: Int = 20
    /// Simultaneous connections from one IP address; 0 = no limit.
    public var maxConnsPerIP: Int = 256
    /// Simultaneous connections in total; 0 = limited only by the open-file limit.
    public var maxConns: Int = 0
    /// Messages of recent history kept per room and replayed on join; 0 = no history.
    public var history: Int = 50
    /// History bytes all rooms keep together; past it the oldest entries are evicted, whether
    /// their rooms are occupied or not. 0...1 TiB (0 = keep no history).
    public var historyBudgetBytes: Int = 64 << 20
    /// Where history outlives the process: `sqlite` (a file in `stateDir`) or `memory`.
    /// Read at start-up only.
    public var historyStore: HistoryStoreKind = .sqlite
    /// The state directory; nil = `$STATE_DIRECTORY` (systemd) or the per-user default
    /// (`StateDirectory`). Read at start-up only.
    public var stateDir: String? = nil
    /// The control socket's path (`chatd ctl`); nil = `$RUNTIME_DIRECTORY/control` under systemd
    /// (RuntimeDirectory=), else none; "" = none. Read at start-up only.
    public var controlSocket: String? = nil

    /// Where the control socket is bound, if anywhere.
    public var controlSocketPath: String? {
        if let controlSocket { return controlSocket.isEmpty ? nil : controlSocket }
        guard let runtime = getenv("RUNTIME_DIRECTORY").map({ String(cString: $0) }), !runtime.isEmpty else { return nil }
        // RuntimeDirectory= may name several directories, separated by colons (systemd.exec(5)).
        return String(runtime.split(separator: ":").first ?? "") + "/control"
    }
    /// Group commit interval of the SQLite store in ms: the most history a SIGKILL can lose. 1...10000.
    public var historyCommitMs: Int = 50
    /// Stored history older than this many days is deleted; 0 = no age bound. 0...36500.
    public var historyKeepDays: Int = 90
    /// Stored messages kept per room (the newest); 0 = no count bound. 0...100,000,000.
    public var historyKeepPerRoom: Int = 100_000
    /// Private messages are archived too (readable by the two nicknames through CHATHISTORY and
    /// `/history @NICK`); off by default: privacy first, and chatd has no accounts.
    public var historyPrivate = false
    /// Accounts that administer the server (`/kill`, `/gban`, `/announce`, operator rights in
    /// every room) once logged in. `--admin NAME` (repeatable), `admins` in the file.
    public var admins: [String] = []
    /// Bans (and nick mutes) one room keeps at most. 1...10,000.
    public var maxBansPerRoom = 100
    /// Seconds to flush write queues on shutdown before closing. 0...3600.
    public var shutdownTimeout: Double = 5
    /// Level of every chatd logger.
    public var logLevel: Logger.Level = .info
    /// Message of the day sent to each client after login (by `*`); nil = none.
    public var motd: String? = nil
    /// The server's name on IRC: the source of numerics and the `PONG` parameter. Default: the
    /// host name (gethostname(2)).
    public var serverName: String = ChatConfig.hostName()
    /// The `NETWORK=` of IRC's 005 ISUPPORT and the welcome line.
    public var networkName: String = "chatd"
    /// Seconds without input from an IRC client before the server sends it a `PING`. 1...86400.
    public var ircPingInterval: Double = 120
    /// Seconds an IRC client has to answer that `PING` before it is dropped ("Ping timeout"). 1...3600.
    public var ircPingTimeout: Double = 60
    /// When set, IRC clients must send this with `PASS` before registering (464 otherwise);
    /// nil = `PASS` is accepted and ignored.
    public var ircPassword: String? = nil
    /// PEM certificate chain (leaf first) and private key for the TLS listeners (framed+tls://,
    /// ircs://); both required when one is configured. Re-read on SIGHUP.
    public var tlsCert: String? = nil
    public var tlsKey: String? = nil
    /// TLS handshakes in progress per event loop; a connection beyond it is closed at accept.
    /// Each handshake is bounded by `handshakeTimeout` anyway; the cap bounds the CPU a burst of
    /// new clients takes from the chat of existing ones. 1...1,000,000.
    public var tlsMaxHandshakes: Int = 1024
    /// The directory of the browser page the http:// listeners serve (read once at start);
    /// nil = the packaged `/usr/share/chatd/www` beside the binary's prefix, else `./www`
    /// (`WebRoot.resolve`). Read at start-up only.
    public var webRoot: String? = nil
    /// Origins besides the page's own host that may open a WebSocket (RFC 6455 §10.2), e.g.
    /// `https://chat.example.org`; `*` allows any. Empty = same host only. Read at start-up only.
    public var httpAllowedOrigins: [String] = []
    /// Who creates accounts: anyone for their own name (`open`), or only operators through the
    /// control socket (`closed`).
    public var registration: RegistrationPolicy = .open
    /// Seconds a connection holding a registered name has to log in to it before it is renamed
    /// to a guest name. 1...86400.
    public var authTimeout: Double = 30
    /// Argon2id cost of new password hashes (RFC 9106 §4, second recommended option: 64 MiB,
    /// 3 passes; chatd uses one lane). Existing hashes keep their own. 8...4194304 KiB, 1...64.
    public var argon2MemoryKiB: Int = 65_536
    public var argon2Iterations: Int = 3
    /// `redis://[USER:PASS@]HOST:PORT[/DB]` or `unix://PATH[?db=N]`: join the daemons using this
    /// Redis into one chat service (rooms span nodes, one order per room); nil = a standalone
    /// daemon. Read at start-up only.
    public var cluster: String? = nil
    /// This node's name in the cluster (logs, STATUS=); nil = host name and process ID.
    public var nodeName: String? = nil
    /// Messages each room's stream in Redis keeps (XADD MAXLEN): how far back a node that
    /// missed messages (a Redis reconnect, a pause) recovers them. 1...100,000,000.
    public var clusterStreamLength: Int = 10_000

    public init() {}

    /// `nodeName`, or host name and process ID.
    public var resolvedNodeName: String { nodeName ?? "\(Self.hostName())-\(getpid())" }

    /// gethostname(2), or "chatd" when it fails or returns something unusable as a server name.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "chatd" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return isServerName(name) ? name : "chatd"
    }

    /// A name IRC clients accept as a server's: 1–63 bytes of letters, digits, `.`, `-`, `_`
    /// (RFC 2812 §2.3.1 `servername` is a host name).
    static func isServerName(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2E || b == 0x2D || b == 0x5F
            }
    }

    /// `threads`, or the number of online CPUs when `threads` is 0, at most `maxThreads`.
    public var resolvedThreads: Int { Self.resolveThreads(threads, cpuCount: Posix.cpuCount) }

    /// The rule of `resolvedThreads`, testable with any CPU count: a 300-CPU host runs 256
    /// loops, since a connection ID and a loop set hold 8 bits of loop index.
    static func resolveThreads(_ threads: Int, cpuCount: Int) -> Int {
        min(threads > 0 ? threads : cpuCount, maxThreads)
    }

    // MARK: - Validation

    /// Upper bounds, chosen to keep one connection's memory and one timer's range sane.
    public static let maxThreads = ConnectionID.maxLoops
    public static let maxMessageBytesLimit = 16 << 20
    public static let maxQueueBytes = 1 << 30
    public static let maxListenAddresses = 64
    public static let maxHistory = 100_000
    public static let maxHistoryBudgetBytes = 1 << 40
    public static let maxConnectionsLimit = 100_000_000
    public static let maxRate = 1_000_000.0

    /// Checks every value and the rules that tie values together. The message names the setting
    /// by its flag/key name and states the allowed range and the value found.
    public func validate() throws(ConfigError) {
        guard !listen.isEmpty else {
            throw ConfigError("listen must name at least one address", key: ChatConfigKey.listen.rawValue)
        }
        guard listen.count <= Self.maxListenAddresses else {
            throw ConfigError(
                "listen names \(listen.count) addresses; at most \(Self.maxListenAddresses) are allowed",
                key: ChatConfigKey.listen.rawValue)
        }
        var seen = Set<ListenAddress>()
        for address in listen {
            guard let host = ListenAddress.canonicalHost(address.host) else {
                throw ConfigError(
                    "listen address '\(address)': '\(address.host)' is not a numeric IP address",
                    key: ChatConfigKey.listen.rawValue)
            }
            guard (0...65535).contains(address.port) else {
                throw ConfigError(
                    "listen address '\(address)': port must be between 0 and 65535",
                    key: ChatConfigKey.listen.rawValue)
            }
            // The scheme does not take part: two protocols cannot share one socket.
            let canonical = ListenAddress(host: host, port: address.port)
            // Port 0 twice means two ephemeral ports, which is fine; any other repeat would bind
            // the same socket twice (SO_REUSEPORT would even let it succeed).
            guard canonical.port == 0 || seen.insert(canonical).inserted else {
                throw ConfigError("listen address \(canonical) is given twice", key: ChatConfigKey.listen.rawValue)
            }
        }
        try check(.threads, threads, 0...Self.maxThreads, unit: "")
        try check(.maxMessageBytes, maxMessageBytes, 1...Self.maxMessageBytesLimit, unit: " bytes")
        try check(.handshakeTimeout, handshakeTimeout, above: 0, upTo: 3600)
        try check(.idleTimeout, idleTimeout, 0...604_800)
        try check(.queueSoftBytes, queueSoftBytes, 0...Self.maxQueueBytes, unit: " bytes")
        try check(.queueSoftSeconds, queueSoftSeconds, 0...3600)
        try check(.queueHardBytes, queueHardBytes, 1...Self.maxQueueBytes, unit: " bytes")
        try check(.msgRate, msgRate, 0...Self.maxRate, unit: " messages per second")
        if msgRate > 0 && msgRate < 0.001 {
            throw ConfigError("msg-rate must be 0 (off) or at least 0.001 messages per second (got \(msgRate))", key: "msg-rate")
        }
        try check(.msgBurst, msgBurst, 1...1_000_000, unit: " messages")
        try check(.maxConnsPerIP, maxConnsPerIP, 0...Self.maxConnectionsLimit, unit: "")
        try check(.maxConns, maxConns, 0...Self.maxConnectionsLimit, unit: "")
        try check(.history, history, 0...Self.maxHistory, unit: " messages")
        try check(.historyBudgetBytes, historyBudgetBytes, 0...Self.maxHistoryBudgetBytes, unit: " bytes")
        try check(.historyCommitMs, historyCommitMs, 1...10_000, unit: " ms")
        try check(.historyKeepDays, historyKeepDays, 0...36_500, unit: " days")
        try check(.historyKeepPerRoom, historyKeepPerRoom, 0...100_000_000, unit: " messages")
        if let stateDir, !stateDir.hasPrefix("/") {
            throw ConfigError("state-dir must be an absolute path (got '\(stateDir)')", key: ChatConfigKey.stateDir.rawValue)
        }
        try check(.shutdownTimeout, shutdownTimeout, 0...3600)
        try check(.clusterStreamLength, clusterStreamLength, 1...100_000_000, unit: " messages")
        try check(.maxBansPerRoom, maxBansPerRoom, 1...10_000, unit: " bans")
        if let bad = admins.first(where: { $0.utf8.count > 64 || $0.contains(where: \.isWhitespace) }) {
            throw ConfigError("admins: '\(bad)' is not an account name", key: ChatConfigKey.admins.rawValue)
        }
        if let cluster {
            do {
                _ = try RedisEndpoint(parsing: cluster)
            } catch {
                throw ConfigError("cluster: \(error.description)", key: ChatConfigKey.cluster.rawValue)
            }
        }
        if let nodeName, nodeName.isEmpty || nodeName.utf8.count > 200 {
            throw ConfigError("node-name must be 1-200 bytes", key: ChatConfigKey.nodeName.rawValue)
        }
        try check(.ircPingInterval, ircPingInterval, 1...86_400)
        try check(.ircPingTimeout, ircPingTimeout, 1...3600)
        guard Self.isServerName(serverName) else {
            throw ConfigError(
                "server-name '\(serverName)' must be 1-63 letters, digits, '.', '-' or '_' (a host name)",
                key: ChatConfigKey.serverName.rawValue)
        }
        guard Self.isServerName(networkName) else {
            throw ConfigError(
                "network-name '\(networkName)' must be 1-63 letters, digits, '.', '-' or '_'",
                key: ChatConfigKey.networkName.rawValue)
        }
        if let ircPassword {
            guard (1...256).contains(ircPassword.utf8.count), !ircPassword.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                throw ConfigError(
                    "irc-password must be 1-256 bytes without spaces or control characters",
                    key: ChatConfigKey.ircPassword.rawValue)
            }
        }
        try check(.tlsMaxHandshakes, tlsMaxHandshakes, 1...1_000_000, unit: " handshakes")
        try check(.authTimeout, authTimeout, above: 0, upTo: 86_400)
        try check(.argon2MemoryKiB, argon2MemoryKiB, 8...4_194_304, unit: " KiB")
        try check(.argon2Iterations, argon2Iterations, 1...64, unit: " passes")
        if let secure = listen.first(where: \.tls), tlsCert == nil {
            throw ConfigError(
                "listen address '\(secure)' needs a certificate: set tls-cert and tls-key", key: ChatConfigKey.tlsCert.rawValue)
        }
        for origin in httpAllowedOrigins where origin != "*" {
            guard origin.hasPrefix("http://") || origin.hasPrefix("https://"), !origin.dropFirst(8).contains("/") else {
                throw ConfigError(
                    "http-allowed-origins: '\(origin)' is not an origin like https://chat.example.org (or *)",
                    key: ChatConfigKey.httpAllowedOrigins.rawValue)
            }
        }
        if let webRoot, webRoot.isEmpty {
            throw ConfigError("web-root must name a directory", key: ChatConfigKey.webRoot.rawValue)
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            let missing: ChatConfigKey = tlsCert == nil ? .tlsCert : .tlsKey
            throw ConfigError(
                "\(missing.rawValue) is missing: tls-cert and tls-key are given together", key: missing.rawValue)
        }

        guard queueSoftBytes <= queueHardBytes else {
            throw ConfigError(
                "queue-soft-bytes (\(queueSoftBytes)) must not be larger than queue-hard-bytes (\(queueHardBytes))",
                key: ChatConfigKey.queueSoftBytes.rawValue)
        }
        // A message is delivered as two frames (sender name, text), each with a 10-byte header;
        // the hard limit must hold at least one whole message with room to spare, or a client
        // could be cut off for receiving a single legal message.
        let minimumHard = maxMessageBytes * 2 + 64
        guard queueHardBytes >= minimumHard else {
            throw ConfigError(
                "queue-hard-bytes (\(queueHardBytes)) must be at least 2 × max-message-bytes + 64 = "
                    + "\(minimumHard) bytes, so that one message always fits",
                key: ChatConfigKey.queueHardBytes.rawValue)
        }
        if let motd {
            guard motd.utf8.count <= maxMessageBytes else {
                throw ConfigError(
                    "motd is \(motd.utf8.count) bytes; it must fit in one message (max-message-bytes = \(maxMessageBytes))",
                    key: ChatConfigKey.motd.rawValue)
            }
        }
    }

    private func check(_ key: ChatConfigKey, _ value: Int, _ range: ClosedRange<Int>, unit: String) throws(ConfigError) {
        guard range.contains(value) else {
            throw ConfigError(
                "\(key.rawValue) must be between \(range.lowerBound) and \(range.upperBound)\(unit) (got \(value))",
                key: key.rawValue)
        }
    }

    /// NaN and infinities fail every range check.
    private func check(_ key: ChatConfigKey, _ value: Double, _ range: ClosedRange<Double>, unit: String = " seconds")
        throws(ConfigError)
    {
        guard value.isFinite, range.contains(value) else {
            throw ConfigError(
                "\(key.rawValue) must be between \(ConfigText.format(range.lowerBound)) and \(ConfigText.format(range.upperBound))"
                    + "\(unit) (got \(ConfigText.format(value)))",
                key: key.rawValue)
        }
    }

    private func check(_ key: ChatConfigKey, _ value: Double, above lower: Double, upTo upper: Double) throws(ConfigError) {
        guard value.isFinite, value > lower, value <= upper else {
            throw ConfigError(
                "\(key.rawValue) must be greater than \(ConfigText.format(lower)) and at most \(ConfigText.format(upper)) seconds "
                    + "(got \(ConfigText.format(value)))",
                key: key.rawValue)
        }
    }

    // MARK: - History store

    /// `sqlite` or `memory`, any case.
    public static func parseHistoryStore(_ text: String) throws(ConfigError) -> HistoryStoreKind {
        guard let kind = HistoryStoreKind(rawValue: ConfigText.trim(text).lowercased()) else {
            throw ConfigError("history-store '\(text)' is not one of sqlite, memory", key: ChatConfigKey.historyStore.rawValue)
        }
        return kind
    }

    /// `open` or `closed`, any case.
    public static func parseRegistration(_ text: String) throws(ConfigError) -> RegistrationPolicy {
        guard let policy = RegistrationPolicy(rawValue: ConfigText.trim(text).lowercased()) else {
            throw ConfigError("registration '\(text)' is not one of open, closed", key: ChatConfigKey.registration.rawValue)
        }
        return policy
    }

    // MARK: - Log levels

    /// `trace`, `debug`, `info`, `notice`, `warning` (or `warn`), `error`, `critical`; any case.
    public static func parseLogLevel(_ text: String) throws(ConfigError) -> Logger.Level {
        let lowered = ConfigText.trim(text).lowercased()
        if lowered == "warn" { return .warning }
        guard let level = Logger.Level(rawValue: lowered) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError("log-level '\(text)' is not one of \(names)", key: ChatConfigKey.logLevel.rawValue)
        }
        return level
    }
}

/// A configuration problem, described for an operator: names the setting (flag/key), and where
/// it came from when the loader knows.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    /// The setting concerned (`ChatConfigKey` raw value), when there is exactly one.
    public var key: String?

    public init(_ description: String, key: String? = nil) {
        self.description = description
        self.key = key
    }
}

/// Small text helpers of the configuration code (namespaced: ChatDaemon is shared by several authors).
enum ConfigText {
    /// `10` rather than `10.0` for whole numbers in messages.
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    static func trim(_ text: some StringProtocol) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[first...last])
    }
}

/// `--history-store`: which `HistoryStore` keeps rooms' history.
public enum HistoryStoreKind: String, Sendable, Equatable, CaseIterable {
    /// `SQLiteHistoryStore` in the state directory: survives restarts (the default).
    case sqlite
    /// `MemoryHistoryStore`: lost on restart (tests, throwaway runs).
    case memory
}

/// `--registration`: who may create accounts.
public enum RegistrationPolicy: String, Sendable, Equatable, CaseIterable {
    /// Anyone may register the name they hold.
    case open
    /// Only operators, with `chatd ctl account create NAME`.
    case closed
}
