import EventLoop
import Room
import TLS

/// One client connection, owned by exactly one loop and touched only on its thread.
final class Connection {
    enum Phase {
        /// Waiting for the username frame (bounded by the handshake deadline).
        case handshake
        case active
        /// Saying goodbye: output is flushed, input discarded, then the fd is closed.
        case closing
    }

    let fd: CInt
    let id: ConnectionID
    /// The wire protocol of the listener that accepted it.
    let wire: ListenScheme
    let peer: SocketAddress
    /// The peer's host: the key for `--max-conns-per-ip`.
    let address: String
    /// Whether this connection counts against the admission limits (refused ones do not).
    let admitted: Bool

    var phase: Phase = .handshake
    var name = ""
    var nameBytes: [UInt8] = []
    /// `user@host` as other users see it (no client address: DESIGN.md §7).
    var user = ""
    var host = ""
    /// The rooms joined (a framed client has at most one), in joining order.
    var rooms: [Membership] = []
    /// Incremented on every join; a `.joined` message for an older join is ignored.
    var joinSequence: UInt32 = 0
    /// IRC state (registration, capabilities, pings); nil for framed connections.
    var irc: IRCState?
    /// HTTP/WebSocket state; nil unless accepted on an http:// listener.
    var web: WebState?
    /// Account state (`accountName`: who the user is logged in as); nil for a guest.
    var account: AccountSession?

    /// Input bytes of an incomplete frame. nil while none is pending: idle connections carry
    /// no input buffer.
    var inbound: RingBuffer?
    var outbound = WriteQueue()
    /// The TLS session of a connection accepted on a TLS listener (reads and writes go
    /// through it); nil on plain listeners.
    var tls: TLSConnection?

    /// Edge-triggered readiness kept in user space (nginx's rev->ready / wev->ready): set by an
    /// epoll edge, cleared only by EAGAIN or a short write.
    var readable = false
    var writable = true
    var inFlushList = false
    var inReadQueue = false
    /// Reading stopped because the client is over its message rate.
    var pausedForRate = false
    var bucket: TokenBucket
    /// Over the soft output limit since (0 = not over).
    var softSince: UInt64 = 0
    var lastActivity: UInt64
    /// Set once the connection is condemned; it then receives no more frames.
    var closeReason: String?
    /// The same, as a bounded metrics label (counted when the slot is freed).
    var closeCause = CloseCause.other
    /// Its `protocol` label in the loop's metrics (`MetricProtocol.index`).
    var metricsProtocol = 0
    /// Write side shut down, waiting for the peer's FIN (lingering close).
    var halfClosed = false
    /// The peer's FIN arrived (read returned 0).
    var peerClosed = false

    init(fd: CInt, id: ConnectionID, wire: ListenScheme, peer: SocketAddress, admitted: Bool, bucket: TokenBucket, now: UInt64) {
        self.fd = fd
        self.id = id
        self.wire = wire
        self.peer = peer
        self.address = peer.host
        self.admitted = admitted
        self.bucket = bucket
        self.lastActivity = now
    }

    var token: UInt64 { LoopWorker.token(slot: id.slot, generation: id.generation) }

    /// The framed client's one room.
    var room: Room? { rooms.first?.room }

    var source: EventSource { EventSource(nick: name, user: user, host: host) }

    func membershipIndex(of room: Room) -> Int? { rooms.firstIndex { $0.room === room } }

    func membershipIndex(roomKey: String) -> Int? { rooms.firstIndex { NameKey.fold($0.room.name) == roomKey } }
}

/// One room a connection is in, and where it sits in the loop's local member list of that room.
struct Membership {
    let room: Room
    /// The join that made it; a `.joined` for another join is stale.
    let sequence: UInt32
    /// Index in the loop's local member list of `room`; -1 until `.joined` arrives.
    var index = -1
}
