import EventLoop
import Room
import TLS

/// One client connection, owned by exactly one loop and touched only on its thread.
///
/// Sized for a million idle connections (docs/ARCHITECTURE.md, "Memory per connection", has the
/// byte-by-byte layout): stored properties are declared small-first so they pack, state few
/// connections need (TLS, a close reason, the soft-limit clock, a `user`/`host` that differs
/// from the default) lives in one optional side object, `ConnectionExtras`, and the protocol
/// state of IRC and http:// connections is one reference. `ConnectionFootprintTests` pins the
/// instance size.
final class Connection {
    enum Phase: UInt8 {
        /// Waiting for the username frame (bounded by the handshake deadline).
        case handshake
        case active
        /// Saying goodbye: output is flushed, input discarded, then the fd is closed.
        case closing
    }

    /// IRC or HTTP/WebSocket state beside the common fields; framed connections have none.
    enum Session {
        case none
        case irc(IRCState)
        case web(WebState)
    }

    let fd: CInt
    /// The wire protocol of the listener that accepted it.
    let wire: ListenScheme
    /// Whether this connection counts against the admission limits (refused ones do not).
    let admitted: Bool
    /// Its `protocol` label in the loop's metrics (`MetricProtocol.index`).
    private let metricsLabel: UInt8
    var phase: Phase = .handshake
    /// Why it closed, as a bounded metrics label (counted when the slot is freed).
    var closeCause = CloseCause.other
    /// Edge-triggered readiness kept in user space (nginx's rev->ready / wev->ready): set by an
    /// epoll edge, cleared only by EAGAIN or a short write.
    var readable = false
    var writable = true
    var inFlushList = false
    var inReadQueue = false
    /// Its drained queue is listed for `LoopWorker.releaseIdleQueues`.
    var inTrimList = false
    /// Reading stopped because the client is over its message rate.
    var pausedForRate = false
    /// Write side shut down, waiting for the peer's FIN (lingering close).
    var halfClosed = false
    /// The peer's FIN arrived (read returned 0).
    var peerClosed = false
    /// The peer's port, for the logs (`address` is the host).
    let port: UInt16
    /// Incremented on every join; a `.joined` message for an older join is ignored.
    var joinSequence: UInt32 = 0
    let id: ConnectionID

    var name = "" {
        didSet {
            // `user` is fixed at login: a rename keeps the old default.
            if !oldValue.isEmpty, extras?.user == nil { sideObject.user = oldValue }
        }
    }
    /// The rooms joined (a framed client has at most one), in joining order.
    var rooms = Memberships()
    var session: Session = .none
    /// Input bytes of an incomplete frame. nil while none is pending: idle connections carry
    /// no input buffer.
    var inbound: RingBuffer?
    var outbound = WriteQueue()
    var bucket: TokenBucket
    var lastActivity: UInt64
    /// The peer's host: the key for `--max-conns-per-ip`.
    let address: String
    /// What few connections need; nil for a plain connection that is open and within limits.
    private(set) var extras: ConnectionExtras?
    /// Account state (`accountName`: who the user is logged in as); nil for a guest.
    var account: AccountSession?

    init(
        fd: CInt, id: ConnectionID, wire: ListenScheme, peer: SocketAddress, admitted: Bool, bucket: TokenBucket, now: UInt64,
        metricsProtocol: Int = 0
    ) {
        self.fd = fd
        self.id = id
        self.wire = wire
        self.address = peer.host
        self.port = UInt16(truncatingIfNeeded: peer.port)
        self.admitted = admitted
        self.bucket = bucket
        self.lastActivity = now
        self.metricsLabel = UInt8(truncatingIfNeeded: metricsProtocol)
    }

    private var sideObject: ConnectionExtras {
        if let extras { return extras }
        let fresh = ConnectionExtras()
        extras = fresh
        return fresh
    }

    var metricsProtocol: Int { Int(metricsLabel) }

    var token: UInt64 { LoopWorker.token(slot: id.slot, generation: id.generation) }

    /// `host:port` (IPv6 bracketed), as logs show a peer.
    var peer: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }

    /// IRC state (registration, capabilities, pings); nil for other protocols.
    var irc: IRCState? {
        if case .irc(let state) = session { return state }
        return nil
    }

    /// HTTP/WebSocket state; nil unless accepted on an http:// listener.
    var web: WebState? {
        if case .web(let state) = session { return state }
        return nil
    }

    /// The TLS session of a connection accepted on a TLS listener (reads and writes go
    /// through it); nil on plain listeners.
    var tls: TLSConnection? {
        get { extras?.tls }
        set { if newValue != nil || extras != nil { sideObject.tls = newValue } }
    }

    /// Set once the connection is condemned; it then receives no more frames.
    var closeReason: String? {
        get { extras?.closeReason }
        set { if newValue != nil || extras != nil { sideObject.closeReason = newValue } }
    }

    /// Over the soft output limit since (0 = not over).
    var softSince: UInt64 {
        get { extras?.softSince ?? 0 }
        set { if newValue != 0 || extras != nil { sideObject.softSince = newValue } }
    }

    /// `user@host` as other users see it (no client address: DESIGN.md §7). `user` is the
    /// login name unless the protocol gave another (IRC `USER`); `host` names the protocol.
    var user: String {
        get { extras?.user ?? name }
        set { if newValue != name || extras?.user != nil { sideObject.user = newValue } }
    }

    var host: String {
        get { extras?.host ?? wire.defaultHost }
        set { if newValue != wire.defaultHost || extras?.host != nil { sideObject.host = newValue } }
    }

    /// The framed client's one room.
    var room: Room? { rooms.first?.room }

    var source: EventSource { EventSource(nick: name, user: user, host: host, account: account?.name) }

    func membershipIndex(of room: Room) -> Int? { rooms.firstIndex { $0.room === room } }

    func membershipIndex(roomKey: String) -> Int? { rooms.firstIndex { NameKey.fold($0.room.name) == roomKey } }
}

/// The part of a connection few connections need, allocated on first use.
final class ConnectionExtras {
    var tls: TLSConnection?
    var closeReason: String?
    var softSince: UInt64 = 0
    /// Set only when they differ from the defaults (`Connection.user`, `.host`).
    var user: String?
    var host: String?
}

extension ListenScheme {
    /// The `host` part of `user@host` for users of this protocol (DESIGN.md §7: never the
    /// client's address).
    var defaultHost: String {
        switch self {
        case .framed: "framed"
        case .irc: "irc"
        case .http: "web"
        case .metrics: "metrics"
        }
    }
}
