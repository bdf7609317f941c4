import EventLoop
import Room

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
    let peer: SocketAddress
    /// The peer's host: the key for `--max-conns-per-ip`.
    let address: String
    /// Whether this connection counts against the admission limits (refused ones do not).
    let admitted: Bool

    var phase: Phase = .handshake
    var name = ""
    var nameBytes: [UInt8] = []
    var room: Room?
    /// Incremented on every join; a `.joined` message for an older join is ignored.
    var joinSequence: UInt32 = 0
    /// Position in the loop's local member list of `room` (swap-remove bookkeeping).
    var memberIndex = -1

    /// Input bytes of an incomplete frame. nil while none is pending: idle connections carry
    /// no input buffer.
    var inbound: RingBuffer?
    var outbound = WriteQueue()

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
    /// Write side shut down, waiting for the peer's FIN (lingering close).
    var halfClosed = false
    /// The peer's FIN arrived (read returned 0).
    var peerClosed = false

    init(fd: CInt, id: ConnectionID, peer: SocketAddress, admitted: Bool, bucket: TokenBucket, now: UInt64) {
        self.fd = fd
        self.id = id
        self.peer = peer
        self.address = peer.host
        self.admitted = admitted
        self.bucket = bucket
        self.lastActivity = now
    }

    var token: UInt64 { LoopWorker.token(slot: id.slot, generation: id.generation) }
}
