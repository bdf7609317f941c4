import Cluster
import EventLoop
import Glibc
import Logging
import Redis
import Room
import Store
import Synchronization
import Systemd
import TLS
import WebProtocol

/// The daemon assembled: listeners, one event loop thread per core, the shared hub, and a
/// control loop on the caller's thread for signals, systemd notifications, STATUS= and the
/// watchdog. A library type so tests run a real daemon in-process on port 0.
public final class ChatServer: @unchecked Sendable {
    // @unchecked Sendable: mutable state is confined to the control thread (`run`) and to
    // `start()`, which happens before `run`; `requestShutdown`/`requestReload` only touch the
    // atomic flags and the control loop's doorbell.

    public internal(set) var config: ChatConfig
    let loader: ConfigLoader?
    var logger: Logger
    let handleSignals: Bool
    let notifier: SystemdNotifier

    var loops: [EventLoop] = []
    var workers: [LoopWorker] = []
    var threads: [LoopThread] = []
    var hub: ChatHub!
    /// The certificate of the TLS listeners (nil without --tls-cert); SIGHUP reloads it.
    var tls: ReloadableTLSContext?
    /// Rooms' history beyond the process (`--history-store`); closed after the loops stop.
    private(set) var historyStore: (any HistoryStore)?
    /// Registered accounts and the password-hashing thread; stopped after the loops.
    var accounts: AccountService?
    /// The link to the other nodes over Redis (`--cluster`); nil for a standalone daemon.
    public private(set) var cluster: ClusterLink?
    public private(set) var boundAddresses: [SocketAddress] = []
    /// The protocol of each of `boundAddresses`.
    public private(set) var boundSchemes: [ListenScheme] = []
    var socketActivated = false
    /// metrics:// listeners: served by the control loop (`MetricsServer`), not by the chat loops.
    var metricsListeners: [CInt] = []
    /// `chatd ctl`'s socket, served by the control loop.
    var controlSocket: ControlSocket?
    let control: EventLoop
    let shutdownRequested = Atomic<Bool>(false)
    let reloadRequested = Atomic<Bool>(false)

    /// `notifier` defaults to the one $NOTIFY_SOCKET describes; tests pass their own socket.
    public init(
        config: ChatConfig, loader: ConfigLoader?, logger: Logger, handleSignals: Bool = true,
        notifier: SystemdNotifier = SystemdNotifier()
    ) throws {
        self.config = config
        self.notifier = notifier
        self.loader = loader
        self.logger = logger
        self.handleSignals = handleSignals
        control = try EventLoop(index: -1)
    }

    /// The ports the daemon listens on (after binding port 0 these are the real ones).
    public var listeningPorts: [Int] { boundAddresses.map(\.port) }

    /// Whether each of `boundAddresses` is a TLS listener.
    public private(set) var boundTLS: [Bool] = []

    /// The first port serving `scheme` (inside TLS with `tls`).
    public func port(for scheme: ListenScheme, tls: Bool = false) -> Int? {
        boundAddresses.indices.first { boundSchemes[$0] == scheme && boundTLS[$0] == tls }.map { boundAddresses[$0].port }
    }

    /// Binds (or takes from systemd) the listeners and starts the loop threads. When this
    /// returns the daemon accepts connections.
    public func start() throws {
        let fdLimit = Posix.raiseFileLimit()
        // A client vanishing mid-write must not kill the daemon: writev(2) on a reset socket
        // raises SIGPIPE unless it is ignored (there is no MSG_NOSIGNAL for writev).
        signal(SIGPIPE, SIG_IGN)
        if handleSignals { try SignalFD.block(ControlLoop.handledSignals) }
        let n = config.resolvedThreads
        loops = try (0..<n).map { i throws(Errno) in try EventLoop(index: i) }
        let limits = ChatLimits(config)
        if let url = config.cluster {
            // In a cluster the rooms' streams in Redis are the history: no local store.
            cluster = try Self.makeClusterLink(url, config, logger: logger)
        } else {
            historyStore = Self.openHistoryStore(config, logger: logger)
        }
        let moderation = Self.openModerationStore(history: historyStore, logger: logger)
        hub = ChatHub(
            loopCount: n, limits: limits, doorbells: loops.map { l in { @Sendable in l.wakeUp() } },
            archive: historyStore.map(StoreArchive.init), relay: cluster?.relay, settingsStore: moderation,
            serverBans: ServerBans(store: moderation))
        let irc = IRCServerSettings(config, chatHistory: hub.archive != nil)
        let web = try webSettings()
        workers = loops.map { LoopWorker(loop: $0, hub: hub, limits: limits, irc: irc, web: web, logger: logger) }
        accounts = AccountService(
            store: Self.openAccountStore(history: historyStore, logger: logger), settings: AccountSettings(config), logger: logger)
        for w in workers { w.accounts = accounts }
        try startTLS()

        let activated = SocketActivation.takeListeners(logger: logger)
        if !activated.isEmpty {
            socketActivated = true
            for s in activated {
                // FileDescriptorName= names the protocol (packaging/chatd.socket, chatd-irc.socket).
                guard let (scheme, tls) = ListenScheme.forDescriptorName(s.name) else {
                    let known = ListenScheme.servedNames.joined(separator: ", ")
                    logger.error(
                        "closing socket-activated listener with an unknown FileDescriptorName",
                        metadata: ["chat.listener": "\(s.name)", "chat.reason": "expected one of: \(known) (or chatd = framed)"])
                    Posix.close(s.fd)
                    continue
                }
                if scheme == .metrics {
                    try addMetricsListener(s.fd)
                    logger.info("listening (socket activation)", metadata: ["chat.listener": "\(s.name)", "chat.protocol": "metrics"])
                    continue
                }
                if scheme == .http && web == nil {
                    logger.error(
                        "closing socket-activated http listener: the page cannot be served",
                        metadata: ["chat.listener": "\(s.name)", "chat.reason": "no index.html in \(WebRoot.resolve(config.webRoot)) (set web-root)"])
                    Posix.close(s.fd)
                    continue
                }
                if tls && self.tls == nil {
                    throw ChatServerError("socket-activated listener '\(s.name)' needs a certificate: set tls-cert and tls-key")
                }
                for w in workers { try w.addListener(s.fd, owned: false, scheme: scheme, tls: tls) }
                boundAddresses.append(try Socket.localAddress(s.fd))
                boundSchemes.append(scheme)
                boundTLS.append(tls)
                logger.info("listening (socket activation)", metadata: ["chat.listener": "\(s.name)", "chat.protocol": "\(s.name)"])
            }
            // metrics:// addresses of the configuration are bound here when systemd passed no
            // metrics listener: the packaged chatd.socket holds the chat port only, and a
            // metrics port that closes during a restart costs one missed scrape.
            if metricsListeners.isEmpty { try bindListeners(config.listen.filter { $0.scheme == .metrics }) }
        } else {
            try bindListeners(config.listen)
        }
        // Bound before READY, like the listeners: a bad path fails the start, and a script may
        // use the socket as soon as the daemon is ready.
        if let path = config.controlSocketPath {
            controlSocket = try ControlSocket(path: path, loop: control, logger: logger)
            logger.info("control socket at \(path)")
        }
        for w in workers {
            // The worker moves to its thread here and is used only there from now on.
            let handoff = UnsafeTransfer(w)
            threads.append(LoopThread.spawn(name: "chatd-loop-\(w.loop.index)") { handoff.value.loop.run(handoff.value) })
        }
        cluster?.start(hub: hub)
        logger.info(
            "chatd \(ChatDaemonVersion.description) started",
            metadata: [
                "chat.threads": "\(n)", "chat.listen": "\(boundAddresses.indices.map { i in "\(boundTLS[i] ? boundSchemes[i].tlsName! : boundSchemes[i].rawValue)://\(boundAddresses[i])" }.joined(separator: " "))",
                "chat.fd_limit": "\(fdLimit)",
            ])
    }

    /// One SO_REUSEPORT listener per loop and address: the kernel spreads connections over the
    /// loops with no shared accept queue. Port 0 is resolved by the first bind and reused.
    /// A metrics:// address gets one listener, for the control loop.
    private func bindListeners(_ addresses: [ListenAddress]) throws {
        for listen in addresses {
            if listen.scheme == .metrics {
                let fd: CInt
                do {
                    fd = try Socket.listen(try SocketAddress(host: listen.host, port: listen.port), reusePort: false, backlog: 64)
                } catch {
                    throw ChatServerError("cannot listen on \(listen): \(error)")
                }
                try addMetricsListener(fd)
                continue
            }
            var port = listen.port
            for w in workers {
                let address = try SocketAddress(host: listen.host, port: port)
                let fd: CInt
                do {
                    fd = try Socket.listen(address, reusePort: true)
                } catch {
                    throw ChatServerError("cannot listen on \(listen): \(error)")
                }
                try w.addListener(fd, owned: true, scheme: listen.scheme, tls: listen.tls)
                let bound = try Socket.localAddress(fd)
                if port == 0 { port = bound.port }
                if w.loop.index == 0 {
                    boundAddresses.append(bound)
                    boundSchemes.append(listen.scheme)
                    boundTLS.append(listen.tls)
                }
            }
        }
    }

    private func addMetricsListener(_ fd: CInt) throws {
        metricsListeners.append(fd)
        boundAddresses.append(try Socket.localAddress(fd))
        boundSchemes.append(.metrics)
        boundTLS.append(false)
    }

    /// Runs the control loop on the calling thread until shutdown completes; returns the exit
    /// status (0 after a clean shutdown).
    public func run() -> Int32 {
        let controller = ControlLoop(server: self)
        do {
            try controller.setUp()
        } catch {
            logger.critical("control loop failed", metadata: ["chat.reason": "\(error)"])
            return 1
        }
        notifier.ready(status: statusLine(messagesPerSecond: 0, deliveriesPerSecond: 0))
        control.run(controller)
        // The loops have stopped publishing: store what is queued (a clean restart keeps it all).
        if let historyStore {
            let stored = historyStore.flush(timeout: max(1, config.shutdownTimeout))
            historyStore.close(timeout: 1)
            if !stored { logger.error("history not fully stored at shutdown", metadata: ["chat.pending": "\(historyStore.statistics.pending)"]) }
        }
        // The reaper joined the loop threads before stopping the control loop.
        controller.reaper?.join()
        accounts?.stop()
        controller.metrics?.closeAll()
        for fd in metricsListeners { Posix.close(fd) }
        cluster?.stop()
        logger.info("chatd stopped")
        return 0
    }

    /// Thread-safe: begin a graceful shutdown, as SIGTERM does.
    public func requestShutdown() {
        shutdownRequested.store(true, ordering: .releasing)
        control.wakeUp()
    }

    /// Thread-safe: re-read the configuration, as SIGHUP does.
    public func requestReload() {
        reloadRequested.store(true, ordering: .releasing)
        control.wakeUp()
    }

    // MARK: stats

    public struct Stats: Sendable {
        public var connections: Int
        public var rooms: Int
        public var users: Int
        public var messagesIn: Int
        public var deliveries: Int
        public var slowConsumerDisconnects: Int
    }

    public var stats: Stats {
        var s = Stats(connections: 0, rooms: hub?.rooms.count ?? 0, users: hub?.nicknames.count ?? 0,
                      messagesIn: 0, deliveries: 0, slowConsumerDisconnects: 0)
        for w in workers {
            s.connections += w.stats.connections.load(ordering: .relaxed)
            s.messagesIn += w.stats.messagesIn.load(ordering: .relaxed)
            s.deliveries += w.stats.deliveries.load(ordering: .relaxed)
            s.slowConsumerDisconnects += w.stats.slowConsumerDisconnects.load(ordering: .relaxed)
        }
        return s
    }

    func statusLine(messagesPerSecond: Int, deliveriesPerSecond: Int) -> String {
        let s = stats
        let line = "\(grouped(s.connections)) clients in \(grouped(s.rooms)) rooms, "
            + "\(grouped(messagesPerSecond)) msg/s in, \(grouped(deliveriesPerSecond)) deliveries/s out"
        guard let cluster else { return line }
        return line + ", cluster link \(cluster.status.state)"
    }

    /// The Redis password as a systemd credential (`LoadCredential=cluster-password:FILE`,
    /// systemd.exec(5)): kept out of the URL, the unit file and the environment. The file's
    /// first line; nil when there is none.
    static func clusterPasswordCredential() -> String? {
        guard let dir = getenv("CREDENTIALS_DIRECTORY").map({ String(cString: $0) }), !dir.isEmpty,
              let bytes = try? Posix.readFile(dir + "/cluster-password", maxBytes: 4096)
        else { return nil }
        let line = bytes.prefix { $0 != 0x0A && $0 != 0x0D }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }

    static func makeClusterLink(_ url: String, _ config: ChatConfig, logger: Logger) throws -> ClusterLink {
        var endpoint: RedisEndpoint
        do {
            endpoint = try RedisEndpoint(parsing: url)
        } catch {
            throw ChatServerError("cluster: \(error)")
        }
        if endpoint.password == nil, let password = Self.clusterPasswordCredential() { endpoint.password = password }
        var logger = logger
        logger[metadataKey: "chat.node"] = "\(config.resolvedNodeName)"
        let settings = ClusterLink.Settings(
            endpoint: endpoint, nodeName: config.resolvedNodeName, streamLength: config.clusterStreamLength, replay: config.history)
        logger.info("cluster mode: rooms' order and history are kept in Redis", metadata: ["chat.cluster": "\(endpoint)"])
        return try ClusterLink(settings: settings, logger: logger)
    }
}

extension ChatServer {
    /// The page of the http:// listeners, read once. With an http listener configured (or
    /// `--web-root` given) a page that cannot be read fails the start; otherwise it is loaded
    /// only if present, for a socket-activated http listener.
    func webSettings() throws -> WebServerSettings? {
        let required = config.webRoot != nil || config.listen.contains { $0.scheme == .http }
        let root = WebRoot.resolve(config.webRoot)
        do {
            let site = try WebRoot.load(root)
            logger.info("web page loaded", metadata: ["chat.web_root": "\(root)", "chat.files": "\(site.files.count)"])
            return WebServerSettings(site: site, allowedOrigins: config.httpAllowedOrigins)
        } catch {
            if required { throw error }
            return nil
        }
    }

    /// Loads the certificate (a bad one fails the start, like a bad config) and says in the log
    /// whether the kernel can take over the record layer (kTLS): on this project's machines it
    /// cannot, and OpenSSL encrypts in user space.
    func startTLS() throws {
        guard let cert = config.tlsCert, let key = config.tlsKey else { return }
        let context: ReloadableTLSContext
        do {
            context = try ReloadableTLSContext(credentials: TLSCredentials(certificateChainPath: cert, privateKeyPath: key))
        } catch {
            throw ChatServerError("TLS: \(error)")
        }
        tls = context
        for w in workers { w.tlsContext = context }
        let current = context.current
        logger.info(
            "TLS certificate loaded",
            metadata: ["chat.tls_subject": "\(current.subject)", "chat.tls_not_after": "\(current.notAfter)", "chat.tls_file": "\(cert)"])
        logger.info("\(KernelTLS.probe())")
    }

    /// SIGHUP: new TLS handshakes use the re-read certificate; open connections keep theirs. A
    /// bad or expired file keeps the previous certificate serving.
    func reloadTLS(_ fresh: ChatConfig) {
        guard let tls else {
            if fresh.tlsCert != nil { logger.warning("TLS is enabled only on restart (no TLS at start)") }
            return
        }
        guard let cert = fresh.tlsCert, let key = fresh.tlsKey else {
            logger.warning("tls-cert/tls-key removed: TLS listeners keep the previous certificate until restart")
            return
        }
        do {
            let context = try tls.reload(credentials: TLSCredentials(certificateChainPath: cert, privateKeyPath: key))
            logger.notice(
                "TLS certificate reloaded",
                metadata: ["chat.tls_subject": "\(context.subject)", "chat.tls_not_after": "\(context.notAfter)"])
        } catch {
            logger.error("TLS certificate reload failed; keeping the previous certificate", metadata: ["chat.reason": "\(error)"])
        }
    }
}

public struct ChatServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// "1,204": STATUS= is read by people.
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

extension ChatLimits {
    init(_ c: ChatConfig) {
        self.init()
        maxMessageBytes = c.maxMessageBytes
        handshakeTimeout = Monotonic.nanoseconds(seconds: c.handshakeTimeout)
        idleTimeout = Monotonic.nanoseconds(seconds: c.idleTimeout)
        queueSoftBytes = c.queueSoftBytes
        queueSoftTimeout = Monotonic.nanoseconds(seconds: c.queueSoftSeconds)
        queueHardBytes = c.queueHardBytes
        msgRate = c.msgRate
        msgBurst = c.msgBurst
        maxConnsPerIP = c.maxConnsPerIP
        maxConns = c.maxConns
        history = c.history
        historyBudgetBytes = c.historyBudgetBytes
        historyPrivate = c.historyPrivate
        maxBansPerRoom = c.maxBansPerRoom
        admins = Set(c.admins.map(NameKey.fold))
        shutdownTimeout = Monotonic.nanoseconds(seconds: c.shutdownTimeout)
        motd = c.motd
        tlsMaxHandshakes = c.tlsMaxHandshakes
    }
}

/// Hands a non-Sendable value to exactly one other thread, which owns it from then on.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
