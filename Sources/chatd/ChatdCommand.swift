// The chatd command line. Flags only set ConfigOverrides; ConfigLoader merges them with the
// environment and the config file (flags win), and ChatServer does the rest.

import ArgumentParser
import ChatDaemon
import EventLoop
import Glibc
import Logging
import Systemd

struct ChatdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatd",
        abstract: "A multi-core chat-room daemon speaking the length-framed chat protocol over TCP.",
        discussion: """
            Every setting can also come from the environment (CHATD_<FLAG>, upper case, dashes as \
            underscores: CHATD_MAX_MESSAGE_BYTES=4096, CHATD_LISTEN="0.0.0.0:7575,[::]:7576") or from \
            a JSON file given with --config whose keys are the flag names without dashes \
            ({"listen": ["[::]:7575"], "max-message-bytes": 65536, "log-level": "info"}). \
            Precedence: flags > environment > file > defaults. SIGHUP re-reads the file; a bad file \
            is reported and the running configuration is kept.
            """,
        version: ChatDaemonVersion.description)

    private static let defaults = ChatConfig()

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp(
            "Address to listen on: [SCHEME://]HOST:PORT, [IPv6]:PORT or :PORT (all addresses); repeatable. "
                + "SCHEME is framed (the default), irc or http, their TLS twins framed+tls, ircs, https, or metrics (Prometheus GET /metrics). Hosts are numeric, localhost or *. "
                + "(default: all addresses, IPv4 and IPv6, port \(ChatConfig.defaultPort), framed)",
            valueName: "[scheme://]host:port"))
    var listen: [String] = []

    @Option(
        name: .customLong("threads"),
        help: ArgumentHelp("Event-loop threads; 0 = one per CPU. (default: 0)",
            valueName: "n"))
    var threads: Int?

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("JSON configuration file; it must exist. (default: none)", valueName: "file"))
    var configFile: String?

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical. (default: \(defaults.logLevel.rawValue))",
            valueName: "level"))
    var logLevel: String?

    @Option(
        name: .customLong("max-message-bytes"),
        help: ArgumentHelp("Largest message payload, in bytes. (default: \(defaults.maxMessageBytes))",
            valueName: "bytes"))
    var maxMessageBytes: Int?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp(
            "PEM certificate chain (leaf first) for the TLS listeners (framed+tls://, ircs://, https://); re-read on SIGHUP. (default: none)",
            valueName: "file"))
    var tlsCert: String?

    @Option(
        name: .customLong("tls-key"),
        help: ArgumentHelp("PEM private key of --tls-cert. (default: none)", valueName: "file"))
    var tlsKey: String?

    @Option(
        name: .customLong("tls-max-handshakes"),
        help: ArgumentHelp(
            "TLS handshakes in progress per event loop; more new TLS connections are closed at accept. "
                + "(default: \(defaults.tlsMaxHandshakes))",
            valueName: "n"))
    var tlsMaxHandshakes: Int?

    @Option(
        name: .customLong("registration"),
        help: ArgumentHelp(
            "Who creates accounts: open (anyone, /register) or closed (operators, chatd ctl account create). (default: \(defaults.registration.rawValue))",
            valueName: "policy"))
    var registration: String?

    @Option(
        name: .customLong("auth-timeout"),
        help: ArgumentHelp(
            "Seconds a user holding a registered name has to log in before being renamed to a guest name. (default: \(seconds(defaults.authTimeout)))",
            valueName: "seconds"))
    var authTimeout: Double?

    @Option(
        name: .customLong("argon2-memory-kib"),
        help: ArgumentHelp("Argon2id memory cost of new password hashes, in KiB. (default: \(defaults.argon2MemoryKiB))", valueName: "KiB"))
    var argon2MemoryKiB: Int?

    @Option(
        name: .customLong("argon2-iterations"),
        help: ArgumentHelp("Argon2id passes over that memory for new password hashes. (default: \(defaults.argon2Iterations))", valueName: "n"))
    var argon2Iterations: Int?

    @Option(
        name: .customLong("web-root"),
        help: ArgumentHelp(
            "Directory of the browser chat page served by http:// and https:// listeners, read at start. "
                + "(default: PREFIX/share/chatd/www of the binary if present, else ./www)",
            valueName: "dir"))
    var webRoot: String?

    @Option(
        name: .customLong("http-allowed-origins"),
        help: ArgumentHelp(
            "Comma-separated origins (https://chat.example.org) besides the page's own host that may open a "
                + "WebSocket; * allows any. (default: same host only)",
            valueName: "origins"))
    var httpAllowedOrigins: String?

    @Option(
        name: .customLong("handshake-timeout"),
        help: ArgumentHelp(
            "Seconds a new client has to finish its TLS handshake (on TLS listeners) and send its username. (default: \(seconds(defaults.handshakeTimeout)))",
            valueName: "seconds"))
    var handshakeTimeout: Double?

    @Option(
        name: .customLong("idle-timeout"),
        help: ArgumentHelp(
            "Seconds without input before a client is closed; 0 = never. (default: \(seconds(defaults.idleTimeout)))",
            valueName: "seconds"))
    var idleTimeout: Double?

    @Option(
        name: .customLong("queue-soft-bytes"),
        help: ArgumentHelp(
            "Per-client write queue size, in bytes, that may last at most --queue-soft-seconds. "
                + "(default: \(bytes(defaults.queueSoftBytes)))",
            valueName: "bytes"))
    var queueSoftBytes: Int?

    @Option(
        name: .customLong("queue-soft-seconds"),
        help: ArgumentHelp(
            "Seconds a write queue may stay above --queue-soft-bytes before the client is disconnected as a slow "
                + "consumer. (default: \(seconds(defaults.queueSoftSeconds)))",
            valueName: "seconds"))
    var queueSoftSeconds: Double?

    @Option(
        name: .customLong("queue-hard-bytes"),
        help: ArgumentHelp(
            "Per-client write queue size, in bytes, that disconnects a slow consumer at once. "
                + "(default: \(bytes(defaults.queueHardBytes)))",
            valueName: "bytes"))
    var queueHardBytes: Int?

    @Option(
        name: .customLong("msg-rate"),
        help: ArgumentHelp(
            "Messages per second per client; excess pauses reading. 0 = no limit. (default: \(seconds(defaults.msgRate)))",
            valueName: "per-second"))
    var msgRate: Double?

    @Option(
        name: .customLong("msg-burst"),
        help: ArgumentHelp("Messages a client may send at once above --msg-rate. (default: \(defaults.msgBurst))",
            valueName: "messages"))
    var msgBurst: Int?

    @Option(
        name: .customLong("max-conns-per-ip"),
        help: ArgumentHelp("Connections from one IP address; 0 = no limit. (default: \(defaults.maxConnsPerIP))",
            valueName: "count"))
    var maxConnsPerIP: Int?

    @Option(
        name: .customLong("max-conns"),
        help: ArgumentHelp("Connections in total; 0 = limited by the open-file limit. (default: \(defaults.maxConns))",
            valueName: "count"))
    var maxConns: Int?

    @Option(
        name: .customLong("history"),
        help: ArgumentHelp("Recent messages kept per room and replayed on join; 0 = none. (default: \(defaults.history))",
            valueName: "messages"))
    var history: Int?

    @Option(
        name: .customLong("history-budget-bytes"),
        help: ArgumentHelp(
            "History bytes all rooms keep together; past it the oldest messages are forgotten. (default: \(defaults.historyBudgetBytes))",
            valueName: "bytes"))
    var historyBudgetBytes: Int?

    @Option(
        name: .customLong("history-store"),
        help: ArgumentHelp(
            "Where history is kept: sqlite (a file in the state directory, survives restarts) or memory. (default: \(defaults.historyStore.rawValue))",
            valueName: "store"))
    var historyStore: String?

    @Option(
        name: .customLong("cluster"),
        help: ArgumentHelp(
            "Join the daemons using this Redis into one chat service: redis://[USER:PASS@]HOST:PORT[/DB] or unix://PATH. (default: standalone)",
            valueName: "url"))
    var cluster: String?

    @Option(
        name: .customLong("node-name"),
        help: ArgumentHelp("This node's name in the cluster. (default: host name and process ID)", valueName: "name"))
    var nodeName: String?

    @Option(
        name: .customLong("cluster-stream-length"),
        help: ArgumentHelp(
            "Messages each room keeps in Redis for recovery and replay. (default: \(defaults.clusterStreamLength))",
            valueName: "n"))
    var clusterStreamLength: Int?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Directory for the history database. (default: $STATE_DIRECTORY under systemd, else $XDG_STATE_HOME/chatd or ~/.local/state/chatd)",
            valueName: "dir"))
    var stateDir: String?

    @Option(
        name: .customLong("control-socket"),
        help: ArgumentHelp(
            "Unix socket for `chatd ctl` (root and chatd's user or group only); empty = none. (default: $RUNTIME_DIRECTORY/control under systemd, else none)",
            valueName: "path"))
    var controlSocket: String?

    @Option(
        name: .customLong("history-commit-ms"),
        help: ArgumentHelp(
            "Group commit interval of the history database: the most a crash can lose. (default: \(defaults.historyCommitMs))",
            valueName: "ms"))
    var historyCommitMs: Int?

    @Option(
        name: .customLong("history-keep-days"),
        help: ArgumentHelp("Stored history older than this is deleted; 0 = keep. (default: \(defaults.historyKeepDays))",
            valueName: "days"))
    var historyKeepDays: Int?

    @Option(
        name: .customLong("history-keep-per-room"),
        help: ArgumentHelp("Stored messages kept per room; 0 = no bound. (default: \(defaults.historyKeepPerRoom))",
            valueName: "messages"))
    var historyKeepPerRoom: Int?

    @Flag(
        name: .customLong("history-private"),
        help: ArgumentHelp(
            "Also keep private messages in the history store, for their two nicknames to scroll back (IRC CHATHISTORY, /history @NICK). Off by default: nicknames are not accounts."))
    var historyPrivate = false

    @Option(
        name: .customLong("admin"),
        help: ArgumentHelp(
            "An account that administers the server once logged in (/kill, /gban, /announce, operator in every room); repeatable. The file's key is \"admins\": [...].",
            valueName: "account"))
    var admins: [String] = []

    @Option(
        name: .customLong("max-bans-per-room"),
        help: ArgumentHelp("Bans (and nick mutes) one room keeps at most. (default: \(defaults.maxBansPerRoom))",
            valueName: "n"))
    var maxBansPerRoom: Int?

    @Option(
        name: .customLong("shutdown-timeout"),
        help: ArgumentHelp(
            "Seconds to flush clients' queues on SIGTERM before closing. (default: \(seconds(defaults.shutdownTimeout)))",
            valueName: "seconds"))
    var shutdownTimeout: Double?

    @Option(
        name: .customLong("motd"),
        help: ArgumentHelp("Message of the day sent to each client after login; \"\" = none. (default: none)",
            valueName: "text"))
    var motd: String?

    @Option(
        name: .customLong("server-name"),
        help: ArgumentHelp("The server's name on IRC (numerics, PONG). (default: the host name)", valueName: "name"))
    var serverName: String?

    @Option(
        name: .customLong("network-name"),
        help: ArgumentHelp("The IRC network name (ISUPPORT NETWORK=). (default: \(defaults.networkName))",
            valueName: "name"))
    var networkName: String?

    @Option(
        name: .customLong("irc-ping-interval"),
        help: ArgumentHelp(
            "Seconds without input before an IRC client is sent a PING. (default: \(seconds(defaults.ircPingInterval)))",
            valueName: "seconds"))
    var ircPingInterval: Double?

    @Option(
        name: .customLong("irc-ping-timeout"),
        help: ArgumentHelp(
            "Seconds an IRC client has to answer a PING before it is dropped. (default: \(seconds(defaults.ircPingTimeout)))",
            valueName: "seconds"))
    var ircPingTimeout: Double?

    @Option(
        name: .customLong("irc-password"),
        help: ArgumentHelp("Password IRC clients must give with PASS; \"\" = none (PASS ignored). (default: none)",
            valueName: "text"))
    var ircPassword: String?

    func run() throws {
        // Before anything can open an fd: a closed stdin/stdout/stderr would otherwise be
        // handed to a client socket, and log lines would go to that client.
        Posix.openStandardDescriptors()
        let loader: ConfigLoader
        let config: ChatConfig
        do {
            loader = ConfigLoader(configFile: configFile, overrides: try overrides())
            config = try loader.loadBlocking()
        } catch {
            Self.complain(error)
            throw ExitCode(EX_USAGE)
        }

        SystemdLogging.bootstrap(identifier: "chatd", level: config.logLevel)
        let server: ChatServer
        do {
            server = try ChatServer(config: config, loader: loader, logger: Logger(label: "chatd"))
            try server.start()
        } catch {
            Self.complain(error)
            throw ExitCode.failure
        }
        Glibc.exit(server.run())
    }

    /// The flags that were given, parsed into their ChatConfig types. Values are range-checked
    /// later, together with the other sources, by ChatConfig.validate().
    func overrides() throws(ConfigError) -> ConfigOverrides {
        var o = ConfigOverrides()
        if !listen.isEmpty {
            o.listen = try listen.map { text throws(ConfigError) in
                do throws(ConfigError) { return try ListenAddress.parse(text) } catch {
                    throw ConfigError("\(error.description) (set by --listen)", key: error.key)
                }
            }
        }
        if let logLevel {
            do throws(ConfigError) { o.logLevel = try ChatConfig.parseLogLevel(logLevel) } catch {
                throw ConfigError("\(error.description) (set by --log-level)", key: error.key)
            }
        }
        o.threads = threads
        o.maxMessageBytes = maxMessageBytes
        o.handshakeTimeout = handshakeTimeout
        o.idleTimeout = idleTimeout
        o.queueSoftBytes = queueSoftBytes
        o.queueSoftSeconds = queueSoftSeconds
        o.queueHardBytes = queueHardBytes
        o.msgRate = msgRate
        o.msgBurst = msgBurst
        o.maxConnsPerIP = maxConnsPerIP
        o.maxConns = maxConns
        o.history = history
        o.historyBudgetBytes = historyBudgetBytes
        if let historyStore {
            do throws(ConfigError) { o.historyStore = try ChatConfig.parseHistoryStore(historyStore) } catch {
                throw ConfigError("\(error.description) (set by --history-store)", key: error.key)
            }
        }
        o.stateDir = stateDir
        o.cluster = cluster
        o.nodeName = nodeName
        o.clusterStreamLength = clusterStreamLength
        o.controlSocket = controlSocket
        o.historyCommitMs = historyCommitMs
        o.historyKeepDays = historyKeepDays
        o.historyKeepPerRoom = historyKeepPerRoom
        if historyPrivate { o.historyPrivate = true }
        if !admins.isEmpty { o.admins = admins }
        o.maxBansPerRoom = maxBansPerRoom
        o.shutdownTimeout = shutdownTimeout
        o.motd = motd
        o.serverName = serverName
        o.networkName = networkName
        o.ircPingInterval = ircPingInterval
        o.ircPingTimeout = ircPingTimeout
        o.ircPassword = ircPassword
        o.tlsCert = tlsCert
        o.tlsKey = tlsKey
        o.tlsMaxHandshakes = tlsMaxHandshakes
        if let registration {
            do throws(ConfigError) { o.registration = try ChatConfig.parseRegistration(registration) } catch {
                throw ConfigError("\(error.description) (set by --registration)", key: error.key)
            }
        }
        o.authTimeout = authTimeout
        o.argon2MemoryKiB = argon2MemoryKiB
        o.argon2Iterations = argon2Iterations
        o.webRoot = webRoot
        o.httpAllowedOrigins = httpAllowedOrigins
        return o
    }

    /// `chatd: <message>` on stderr (also what journald records for a failed start).
    static func complain(_ error: any Error) {
        let line = "chatd: \(error)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { buffer in
            Glibc.write(STDERR_FILENO, buffer.baseAddress, buffer.count - 1)
        }
    }
}

/// `8388608 = 8 MiB` for whole mebibytes.
private func bytes(_ value: Int) -> String {
    value > 0 && value % (1 << 20) == 0 ? "\(value) = \(value >> 20) MiB" : "\(value)"
}

/// `10` rather than `10.0` in help texts.
private func seconds(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
}
