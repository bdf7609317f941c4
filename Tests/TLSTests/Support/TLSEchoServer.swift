import EventLoop
import Glibc
import TLS

/// A TLS echo server on the project's EventLoop (one thread, edge-triggered epoll), written the
/// way the daemon drives `TLSConnection`: handshake on any edge, read until `.wantRead` within a
/// per-event budget, re-run a connection that stopped early before the next epoll_wait (its
/// bytes may already sit inside OpenSSL, where no edge will announce them), echo through a
/// `WriteQueue` of shared frames flushed with gathered writes.
final class TLSEchoServer: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: everything but `events`, `loop` and `port` is touched only on the
    // loop thread.
    enum Event: Equatable, Sendable {
        case established(version: String, resumed: Bool)
        case handshakeFailed(TLSCloseReason)
        case closed(TLSCloseReason)
    }

    private final class Peer {
        let fd: CInt
        let tls: TLSConnection
        var output = WriteQueue()
        var queued = false
        init(fd: CInt, tls: TLSConnection) { self.fd = fd; self.tls = tls }
    }

    let loop: EventLoop
    let port: Int
    let context: ReloadableTLSContext
    /// What happened to connections, in order; read by the test thread.
    let events = Locked<[Event]>([])
    /// Connections still in their handshake.
    let handshaking = Locked(0)
    private let listener: CInt
    private let readChunk: Int
    private let readsPerEvent: Int
    private var peers: [CInt: Peer] = [:]
    private var rerun: [Peer] = []
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let scratch: UnsafeMutableRawBufferPointer
    private var thread: LoopThread?

    init(context: ReloadableTLSContext, readChunk: Int = 16384, readsPerEvent: Int = 64) throws {
        signal(SIGPIPE, SIG_IGN)
        self.context = context
        self.readChunk = readChunk
        self.readsPerEvent = readsPerEvent
        readBuffer = .allocate(byteCount: readChunk, alignment: 16)
        scratch = .allocate(byteCount: TLSConnection.maxRecordPlaintext, alignment: 16)
        loop = try EventLoop(index: 0)
        listener = try Socket.listen(try SocketAddress(host: "127.0.0.1", port: 0), reusePort: false)
        port = try Socket.localAddress(listener).port
        try loop.epoll.add(listener, events: [.readable, .edgeTriggered], token: 0)
        let loop = self.loop
        thread = LoopThread.spawn(name: "tls-echo") { [self] in loop.run(self) }
    }

    func stop() {
        loop.stop()
        thread?.join()
        thread = nil
        for p in peers.values { Posix.close(p.fd) }
        peers = [:]
        Posix.close(listener)
        readBuffer.deallocate()
        scratch.deallocate()
    }

    var snapshot: [Event] { events.withLock { $0 } }

    // MARK: EventLoopHandler

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        if token == 0 { acceptAll(); return }
        guard let p = peers[CInt(token - 1)] else { return }
        service(p, readable: !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]),
                writable: events.contains(.writable))
    }

    func loopWasWoken(_ loop: EventLoop) {}
    func loop(_ loop: EventLoop, timer: Timer) {}

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        let batch = rerun
        rerun.removeAll(keepingCapacity: true)
        for p in batch {
            p.queued = false
            if peers[p.fd] === p { service(p, readable: true, writable: false) }
        }
        return !rerun.isEmpty
    }

    // MARK: connections

    private func acceptAll() {
        while case .processed(let (fd, _))? = try? Socket.accept(listener) {
            do {
                let tls = try TLSConnection(context: context.current, fd: fd)
                let p = Peer(fd: fd, tls: tls)
                peers[fd] = p
                handshaking.withLock { $0 += 1 }
                try loop.epoll.add(fd, events: .connection, token: UInt64(fd) + 1)
                service(p, readable: true, writable: true)
            } catch {
                Posix.close(fd)
            }
        }
    }

    private func service(_ p: Peer, readable: Bool, writable: Bool) {
        var read = readable
        var write = writable
        if p.tls.state == .handshaking {
            switch p.tls.handshake() {
            case .established:
                handshaking.withLock { $0 -= 1 }
                events.withLock { $0.append(.established(version: p.tls.protocolVersion, resumed: p.tls.sessionReused)) }
                read = true  // application data may have arrived with the client's Finished
                write = true
            case .wantRead, .wantWrite:
                return
            case .failed(let reason):
                handshaking.withLock { $0 -= 1 }
                events.withLock { $0.append(.handshakeFailed(reason)) }
                close(p)
                return
            }
        }
        let retry = p.tls.retry(readable: read, writable: write)
        if retry.read && !readSome(p) { return }
        if retry.write || !p.output.isEmpty { flush(p) }
    }

    /// Returns false once the connection is closed.
    private func readSome(_ p: Peer) -> Bool {
        for _ in 0..<readsPerEvent {
            switch p.tls.read(into: UnsafeMutableRawBufferPointer(rebasing: readBuffer[0..<readChunk])) {
            case .bytes(let n):
                p.output.enqueue(SharedBytes.make(count: n) { $0.copyMemory(from: readBuffer.baseAddress!, byteCount: n) })
            case .wantRead, .wantWrite:
                return true
            case .closed(let reason):
                events.withLock { $0.append(.closed(reason)) }
                close(p)
                return false
            }
        }
        // Stopped by the budget, not by WANT_READ: records may be buffered inside OpenSSL
        // (`hasPending`) or still in the socket; neither will raise another edge.
        if !p.queued { p.queued = true; rerun.append(p) }
        return true
    }

    private func flush(_ p: Peer) {
        if case .closed(let reason) = p.output.flush(through: p.tls, scratch: scratch) {
            events.withLock { $0.append(.closed(reason)) }
            close(p)
        }
    }

    private func close(_ p: Peer) {
        p.tls.shutdown()
        p.output.removeAll()
        peers[p.fd] = nil
        Posix.close(p.fd)
    }
}
