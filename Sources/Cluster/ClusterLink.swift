import EventLoop
import Logging
import Redis
import Room
import Synchronization

/// The node's link to the cluster (`--cluster`): one event loop thread of the node with two
/// Redis connections — commands (publish script, snapshots, gap fetches; pipelined) and a
/// subscriber (PSUBSCRIBE to every room's channel). It numbers this node's messages through
/// Redis and delivers every room's messages, this node's own included, in the cluster's order
/// (`RoomStream`). Redis down: clients stay connected and are told once, sends are refused
/// with a reason, the link retries with backoff, then resubscribes and fetches what it missed.
public final class ClusterLink: EventLoopHandler, RedisConnectionDelegate {
    public struct Settings: Sendable {
        public var endpoint: RedisEndpoint
        public var nodeName: String
        /// Entries each room's stream keeps (XADD MAXLEN): how far back a node can recover.
        public var streamLength: Int
        /// Newest entries a room's first join on this node replays (its history size).
        public var replay: Int
        public var reconnectMinimum: UInt64 = 100_000_000
        public var reconnectMaximum: UInt64 = 5_000_000_000
        /// Bytes waiting for the command socket beyond which sends are refused (Redis too slow).
        public var maxQueuedBytes = 8 << 20
        /// How long a nickname stays held after its node stops refreshing it (killed, cut off).
        /// Refreshed every third of it.
        public var nicknameLease: UInt64 = 5_000_000_000
        /// How long a join to a room new to this node waits for the room's past while the link
        /// is down before it is refused (`ChatHub.refusePendingJoins`).
        public var joinWait: UInt64 = 5_000_000_000

        public init(endpoint: RedisEndpoint, nodeName: String, streamLength: Int, replay: Int) {
            self.endpoint = endpoint
            self.nodeName = nodeName
            self.streamLength = streamLength
            self.replay = replay
        }
    }

    enum Token: UInt64 { case commands = 1, subscriber = 2 }
    enum TimerKind: UInt32 { case reconnect = 1, sweep, leases, checkTop, joinWait }
    static let sweepInterval: UInt64 = 5_000_000_000
    /// How often every room compares its last number with its stream's top (`checkTop`).
    static let checkTopInterval: UInt64 = 15_000_000_000

    /// What a command reply answers (replies come in the order commands were sent).
    enum Pending {
        case handshake
        case loadScript(Int)
        case publish(sender: ConnectionID)
        case snapshot(room: String, request: UInt64)
        case range(room: String, request: UInt64)
        case lease(key: String, id: ConnectionID)
        case unlease
        case whisper(to: String, sender: ConnectionID)
        case presence
        case heartbeat(room: String)
        case reassert
        case listing
    }

    struct TrackedRoom {
        let room: Room
        var stream = RoomStream<ClusterEntry>()
        var topic: RoomTopic?
        /// Members on other nodes from the snapshot, until the room's past is installed.
        var remote: [String: EventSource] = [:]
        /// When this node started waiting for the room's past (`Settings.joinWait`).
        let since: UInt64
    }

    public let settings: Settings
    public let status = ClusterStatus()
    public let relay: ClusterRelay
    public let loop: EventLoop
    /// Names this process in payloads (`RelayedEvent.origin`): the node name and a random part,
    /// so two processes started with one name by mistake do not take each other's `except`.
    public let origin: String
    var logger: Logger
    private var hub: ChatHub?
    private let mailbox: Mailbox<ClusterRequest>
    private var batch = ContiguousArray<ClusterRequest>()
    let commands: RedisConnection
    let subscriber: RedisConnection
    private var pending: [Pending] = []
    private var pendingHead = 0
    private var scriptHashes = [String](repeating: "", count: ClusterScripts.all.count)
    private var commandsReady = false
    var subscriberHandshakeLeft = 0
    private var subscribed = false
    private(set) var up = false
    private var announcedDown = false
    private var closing = false
    private var reconnectDelay: UInt64 = 0
    private var reconnectScheduled = false
    var rooms: [String: TrackedRoom] = [:]
    /// Nicknames held by this node's connections, by lease key.
    var leases: [String: (name: String, id: ConnectionID)] = [:]
    /// The lease keys in renewal order (may still hold released ones) and where renewal is.
    var renewalOrder: [String] = []
    var renewalCursor = 0
    private var thread: LoopThread?

    public init(settings: Settings, logger: Logger) throws(Errno) {
        self.settings = settings
        self.logger = logger
        let loop = try EventLoop(index: -2)
        self.loop = loop
        mailbox = Mailbox(doorbell: { @Sendable in loop.wakeUp() })
        relay = ClusterRelay(mailbox: mailbox)
        origin = "\(settings.nodeName)#\(String(UInt64.random(in: 1...UInt64.max), radix: 16))"
        commands = RedisConnection(name: "commands", loop: loop, baseToken: Token.commands.rawValue)
        subscriber = RedisConnection(name: "subscriber", loop: loop, baseToken: Token.subscriber.rawValue)
        commands.delegate = self
        subscriber.delegate = self
    }

    /// Starts the link's thread; it connects at once. `hub` must have `relay` as its relay.
    public func start(hub: ChatHub) {
        precondition(thread == nil)
        self.hub = hub
        loop.schedule(Timer(deadline: Monotonic.now(), token: 0, kind: TimerKind.reconnect.rawValue))
        loop.schedule(Timer(deadline: Monotonic.now() + Self.sweepInterval, token: 0, kind: TimerKind.sweep.rawValue))
        loop.schedule(Timer(deadline: Monotonic.now() + settings.nicknameLease / 3, token: 0, kind: TimerKind.leases.rawValue))
        loop.schedule(Timer(deadline: Monotonic.now() + Self.checkTopInterval, token: 0, kind: TimerKind.checkTop.rawValue))
        let handoff = UnsafeSendable(self)
        thread = LoopThread.spawn(name: "chatd-cluster") { handoff.value.loop.run(handoff.value) }
    }

    /// Stops the thread and closes the connections (after the loops stopped publishing).
    public func stop() {
        loop.stop()
        thread?.join()
        thread = nil
        closing = true
        commands.close(reason: "shutting down")
        subscriber.close(reason: "shutting down")
    }

    // MARK: EventLoopHandler

    public func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        if token == commands.token {
            commands.handle(events)
        } else if token == subscriber.token {
            subscriber.handle(events)
        }
    }

    public func loopWasWoken(_ loop: EventLoop) {
        mailbox.take(into: &batch)
        for request in batch {
            switch request {
            case .publish(let event, let room, let sender, let except): publish(event, in: room, sender: sender, except: except)
            case .sync(let room): track(room)
            case .claimed(let name, let id): claim(name, by: id)
            case .released(let name, let id): release(name, by: id)
            case .sendPrivate(let event, let name, let sender): whisper(event, to: name, sender: sender)
            case .presence(let event, let room, let member): publishPresence(event, in: room, member: member)
            }
        }
        batch.removeAll(keepingCapacity: true)
    }

    public func loop(_ loop: EventLoop, timer: Timer) {
        switch TimerKind(rawValue: timer.kind) {
        case .reconnect:
            reconnectScheduled = false
            connect()
        case .sweep:
            rooms = rooms.filter { !$0.value.room.isRemoved }
            loop.schedule(Timer(deadline: loop.now + Self.sweepInterval, token: 0, kind: TimerKind.sweep.rawValue))
        case .checkTop:
            if up {
                for key in Array(rooms.keys) {
                    guard let actions = rooms[key]?.stream.checkTop() else { continue }
                    run(actions, room: key)
                }
            }
            loop.schedule(Timer(deadline: loop.now + Self.checkTopInterval, token: 0, kind: TimerKind.checkTop.rawValue))
        case .joinWait:
            refuseLateJoins()
        case .leases:
            renewSomeLeases()
            heartbeat()
            loop.schedule(Timer(deadline: loop.now + settings.nicknameLease / 3, token: 0, kind: TimerKind.leases.rawValue))
        case nil: break
        }
    }

    public func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        // One write per tick for everything pipelined during it.
        commands.flush()
        return false
    }

    // MARK: connections

    /// Opens whichever connection is closed.
    private func connect() {
        guard !closing else { return }
        do {
            if commands.state == .closed { try commands.open(settings.endpoint) }
            if subscriber.state == .closed { try subscriber.open(settings.endpoint) }
        } catch {
            commandsLost("cannot connect: \(error)")
        }
    }

    public func redisConnectionDidConnect(_ connection: RedisConnection) {
        let handshake = settings.endpoint.handshake
        // CLIENT SETNAME: `CLIENT LIST` shows which node and role each connection is.
        let name = ["CLIENT", "SETNAME", "chatd-\(connection.name)-\(Self.clientName(settings.nodeName))"]
        if connection === commands {
            for command in handshake + [name] {
                commands.send(command, flush: false)
                enqueuePendingReply(.handshake)
            }
            for (i, script) in ClusterScripts.all.enumerated() {
                commands.send(["SCRIPT", "LOAD", script], flush: false)
                enqueuePendingReply(.loadScript(i))
            }
        } else {
            subscriberHandshakeLeft = handshake.count + 1
            for command in handshake + [name] { subscriber.send(command, flush: false) }
            // This node's own channel first (private messages), then every room's.
            subscriber.send(["SUBSCRIBE", ClusterKeys.nodeChannel(origin)], flush: false)
            subscriber.send(["PSUBSCRIBE", ClusterKeys.channelPattern], flush: false)
        }
    }

    public func redisConnection(_ connection: RedisConnection, didClose reason: String) {
        guard !closing else { return }
        if connection === commands {
            commandsLost("commands connection: \(reason)")
        } else {
            subscriberLost("subscriber connection: \(reason)")
        }
    }

    public func redisConnection(_ connection: RedisConnection, didReceive value: RedisValue) {
        if connection === commands {
            commandReply(value)
        } else {
            subscriberMessage(value)
        }
    }

    /// Without the command connection nothing can be sent: clients are told once, and every
    /// sender whose message was in flight is told it may not have been sent.
    private func commandsLost(_ reason: String) {
        let wasUp = up
        up = false
        commandsReady = false
        closing = true
        commands.close(reason: reason)
        closing = false
        while let p = dequeuePendingReply() {
            if case .publish(let sender) = p {
                status.refused.add(1, ordering: .relaxed)
                hub?.refuse(sender, "your last message may not have been sent: the cluster link was lost")
            }
        }
        pending.removeAll(keepingCapacity: true)
        pendingHead = 0
        status.set(.down)
        if wasUp { status.disconnects.add(1, ordering: .relaxed) }
        if wasUp || !announcedDown {
            logger.warning("cluster link down", metadata: ["chat.cluster": "\(settings.endpoint)", "chat.reason": "\(reason)"])
        }
        if !announcedDown {
            announcedDown = true
            hub?.tellEveryone("cluster link down: messages cannot be sent until it is back")
        }
        scheduleReconnect()
    }

    /// Without the subscription sends are still taken (Redis numbers and stores them); this
    /// node delivers them once it has resubscribed and fetched what it missed.
    private func subscriberLost(_ reason: String) {
        if up { status.disconnects.add(1, ordering: .relaxed) }
        up = false
        subscribed = false
        status.set(.connecting)
        logger.warning("cluster subscription lost; resubscribing", metadata: ["chat.cluster": "\(settings.endpoint)", "chat.reason": "\(reason)"])
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        guard !reconnectScheduled else { return }
        reconnectScheduled = true
        reconnectDelay = reconnectDelay == 0
            ? settings.reconnectMinimum : min(settings.reconnectMaximum, reconnectDelay * 2)
        loop.schedule(Timer(deadline: loop.now + reconnectDelay, token: 0, kind: TimerKind.reconnect.rawValue))
    }

    private func maybeUp() {
        guard commandsReady, subscribed, !up else { return }
        up = true
        reconnectDelay = 0
        status.set(.up)
        logger.notice("cluster link up", metadata: ["chat.cluster": "\(settings.endpoint)", "chat.node": "\(origin)"])
        // Whatever was asked before went with the old connection; whatever was published
        // while unsubscribed is in the streams.
        for key in Array(rooms.keys) {
            guard let actions = rooms[key]?.stream.reconnected() else { continue }
            run(actions, room: key)
            // Members that came and went while the link was down.
            if rooms[key]?.stream.synced == true { reassert(key) }
        }
        heartbeat()
    }

    /// Letters, digits, '.', '-', '_' (CLIENT SETNAME takes no spaces).
    static func clientName(_ node: String) -> String {
        String(node.unicodeScalars.prefix(64).map { s -> Character in
            (s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "." || s == "-" || s == "_")) ? Character(s) : "_"
        })
    }

    func scriptHash(_ i: Int) -> String { scriptHashes[i] }

    func setScriptHash(_ i: Int, _ sha: String) { scriptHashes[i] = sha }

    func commandsAreReady() {
        commandsReady = true
        if announcedDown {
            announcedDown = false
            logger.notice("cluster link restored: sending again", metadata: ["chat.cluster": "\(settings.endpoint)"])
            hub?.tellEveryone("cluster link restored")
        }
        // Names taken while the link was down, and names whose lease may have lapsed.
        refreshLeases()
        maybeUp()
    }

    /// Sends go to Redis whenever the command connection is ready (the subscription may be
    /// catching up).
    var canPublish: Bool { commandsReady }

    func subscriptionConfirmed() {
        subscribed = true
        maybeUp()
    }

    // MARK: the hub (set once the link starts)

    func hubRefuse(_ sender: ConnectionID, _ reason: String) { hub?.refuse(sender, reason) }

    func hubTell(room: Room, _ text: String) { hub?.tell(room: room, text) }

    func hubEvict(_ id: ConnectionID, _ reason: String) { hub?.evict(id, reason) }

    /// `id` came from Redis: one naming a loop this node does not have is dropped, not trusted.
    func hubSendPrivate(_ event: RoomEvent, to id: ConnectionID) {
        guard let hub, id != .none, id.loop < hub.loopCount else {
            status.malformed.add(1, ordering: .relaxed)
            return
        }
        hub.send(event, to: id, currentLoop: -1)
    }

    func hubRestore(_ room: Room, last: UInt64, history: [RoomEvent], topic: RoomTopic?, remote: [String: EventSource]) {
        hub?.restoreRelayed(room, lastSequence: last, history: history, topic: topic, remoteMembers: remote)
    }

    func hubPresence(_ event: RoomEvent, in room: Room, number: UInt64, member: String) -> Bool {
        hub?.deliverRelayedPresence(event, in: room, number: number, member: member) ?? false
    }

    func hubGone(_ member: String, in room: Room, number: UInt64) -> Bool {
        hub?.relayedMemberGone(member, in: room, number: number, reason: "server lost (its link to the cluster stopped)") ?? false
    }

    func hubResetRemote(_ room: Room) { hub?.resetRelayedMembers(room) }

    func hubRefuseJoins(_ room: Room, _ reason: String) -> Int { hub?.refusePendingJoins(room, reason: reason) ?? 0 }

    var hubRooms: RoomDirectory? { hub?.rooms }

    func hubDeliver(_ event: RoomEvent, in room: Room, number: UInt64, except: ConnectionID) -> Bool {
        hub?.deliverRelayed(event, in: room, number: number, except: except) ?? false
    }

    // MARK: pending replies (FIFO)

    func enqueuePendingReply(_ p: Pending) { pending.append(p) }

    func dequeuePendingReply() -> Pending? {
        guard pendingHead < pending.count else { return nil }
        let p = pending[pendingHead]
        pendingHead += 1
        if pendingHead >= 1024 && pendingHead * 2 >= pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        return p
    }
}

/// Hands the link to its own thread, which owns it from then on.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
