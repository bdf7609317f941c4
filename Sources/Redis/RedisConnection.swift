import EventLoop
import Glibc

/// What a `RedisConnection` tells its owner, on the owner's loop thread.
public protocol RedisConnectionDelegate: AnyObject {
    /// The socket connected; commands sent before this are being written now.
    func redisConnectionDidConnect(_ connection: RedisConnection)
    /// One reply (or, on a subscribed connection, one pushed message), in the order sent.
    func redisConnection(_ connection: RedisConnection, didReceive value: RedisValue)
    /// The connection is gone (refused, reset, closed by the server, protocol error or
    /// `close`); replies still owed will never come. It can be opened again.
    func redisConnection(_ connection: RedisConnection, didClose reason: String)
}

/// One connection to Redis on an event loop, like every other socket of chatd: non-blocking
/// fd registered edge-triggered for both directions once, reads until EAGAIN into hiredis's
/// reader, pipelined writes from one output buffer (commands are appended and written in one
/// go each tick). No call blocks. Loop thread only.
///
/// The owner registers nothing itself: it passes epoll events whose token equals `token` to
/// `handle(_:)`. The token carries a generation, so an event fetched for a previous socket of
/// this connection (closed and reopened within one tick) is not mistaken for the new one's.
public final class RedisConnection {
    public enum State: Equatable { case closed, connecting, open }

    public let name: String
    public private(set) var state: State = .closed
    public weak var delegate: (any RedisConnectionDelegate)?
    /// A reply larger than this (still incomplete in the reader) closes the connection: a
    /// bound on what a misbehaving server can make chatd hold.
    public var maxReplyBytes = 64 << 20

    private let loop: EventLoop
    private let baseToken: UInt64
    private var generation: UInt64 = 0
    private var fd: CInt = -1
    private var reader = RESPReader()
    private var output: [UInt8] = []
    private var written = 0
    /// One read buffer for the connection's life (no allocation per readiness event).
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// `baseToken` must leave bits 32...47 free (they hold the generation) and not collide
    /// with the owner's other tokens.
    public init(name: String, loop: EventLoop, baseToken: UInt64) {
        self.name = name
        self.loop = loop
        self.baseToken = baseToken
    }

    deinit {
        if fd >= 0 { Posix.close(fd) }
        readBuffer.deallocate()
    }

    /// The token of the current socket's epoll events.
    public var token: UInt64 { baseToken | ((generation & 0xFFFF) << 32) }

    /// Bytes sent by the owner and not yet written to the socket.
    public var pendingOutputBytes: Int { output.count - written }

    /// Starts connecting (non-blocking). Throws only when no socket could be made at all; a
    /// refused connection is reported through `didClose`.
    public func open(_ endpoint: RedisEndpoint) throws(Errno) {
        precondition(state == .closed, "open on a connection that is not closed")
        generation &+= 1
        reader = RESPReader()
        output.removeAll(keepingCapacity: true)
        written = 0
        let result: IOResult<Void>
        switch endpoint.address {
        case .tcp(let host, let port):
            let address = try SocketAddress(host: host, port: port)
            (fd, result) = try Socket.connect(address)
            Socket.setNoDelay(fd)
        case .unix(let path):
            (fd, result) = try UnixSocket.connectNonBlocking(path: path)
        }
        do {
            try loop.epoll.add(fd, events: .connection, token: token)
        } catch {
            Posix.close(fd)
            fd = -1
            throw error
        }
        state = .connecting
        if case .processed = result { connected() }
    }

    /// Queues a command; it is written at once if the socket can take it, else when it can.
    /// `flush: false` only appends (pipelining: the owner calls `flush()` once per tick).
    public func send(_ command: [UInt8], flush now: Bool = true) {
        guard state != .closed else { return }
        output.append(contentsOf: command)
        if now && state == .open { flush() }
    }

    public func send(_ arguments: [String], flush now: Bool = true) { send(RESPCommand.encode(arguments), flush: now) }

    /// Closes the socket (if open) and tells the delegate.
    public func close(reason: String) {
        guard state != .closed else { return }
        try? loop.epoll.remove(fd)
        Posix.close(fd)
        fd = -1
        state = .closed
        output.removeAll(keepingCapacity: false)
        written = 0
        delegate?.redisConnection(self, didClose: reason)
    }

    /// Readiness for `token`.
    public func handle(_ events: EpollEvents) {
        if state == .connecting {
            guard !events.isDisjoint(with: [.writable, .error, .hangup]) else { return }
            let e = Socket.pendingError(fd)
            guard e == 0 else { return close(reason: "connect: \(Errno(e, function: "connect"))") }
            connected()
            guard state == .open else { return }
        }
        if !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]) { readAvailable() }
        if state == .open, events.contains(.writable) { flush() }
    }

    private func connected() {
        state = .open
        delegate?.redisConnectionDidConnect(self)
        if state == .open { flush() }
    }

    private func readAvailable() {
        let currentGeneration = generation
        while state == .open && generation == currentGeneration {
            let result: IOResult<Int>
            do {
                result = try Posix.read(fd, readBuffer)
            } catch {
                return close(reason: "read: \(error)")
            }
            switch result {
            case .wouldBlock: return
            case .processed(0): return close(reason: "closed by the server")
            case .processed(let n):
                do {
                    try reader.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                    // Every complete reply, even if the delegate closes or reopens meanwhile
                    // (then the rest belongs to a socket that is gone).
                    while state == .open && generation == currentGeneration, let value = try reader.next() {
                        delegate?.redisConnection(self, didReceive: value)
                    }
                } catch {
                    return close(reason: "protocol error: \(error)")
                }
                if state == .open && generation == currentGeneration && reader.buffered > maxReplyBytes {
                    return close(reason: "reply larger than \(maxReplyBytes) bytes")
                }
            }
        }
    }

    /// Writes what is queued, until the socket takes no more (then on the next writable edge).
    public func flush() {
        guard state == .open else { return }
        while written < output.count {
            let result: IOResult<Int>
            do {
                result = try output.withUnsafeBytes { b throws(Errno) in try Posix.write(fd, UnsafeRawBufferPointer(rebasing: b[written...])) }
            } catch {
                return close(reason: "write: \(error)")
            }
            switch result {
            case .wouldBlock: return
            case .processed(let n): written += n
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
        written = 0
    }
}
