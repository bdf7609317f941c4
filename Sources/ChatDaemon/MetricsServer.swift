import EventLoop
import Glibc
import Logging
import WebProtocol

/// Serves `GET /metrics` on the metrics:// listeners, on the control thread: a scrape every few
/// seconds costs the chat loops nothing, and a stuck scraper cannot delay a delivery. One
/// request per connection (`Connection: close`); Prometheus reconnects per scrape cheaply.
///
/// Hostile clients get what they get on every other listener: a request head is capped
/// (`limits`: 431/414 beyond), refused methods get 405, each connection has `--handshake-timeout`
/// from accept to its last byte written (slowloris), as a chat client has for its username; at most `maxClients` are open at once (the
/// rest are closed at accept), and the socket is closed lingering (shutdown(SHUT_WR), input
/// drained to EOF, bounded) so unread request bytes do not turn the answer into an RST.
final class MetricsServer {
    static let listenerTokenBase: UInt64 = 1 << 40
    static let clientTokenBase: UInt64 = 1 << 41
    static let maxClients = 16
    static let lingerTimeout: UInt64 = 2_000_000_000
    /// A scrape request is a request line and a few headers; this is plenty.
    static let limits = HTTPLimits(maxRequestLine: 2048, maxHeaderCount: 64, maxHeaderBytes: 8192)

    /// The ControlLoop timer kind this server's deadlines use.
    let timerKind: UInt32
    /// From accept to the last byte of the answer (`--handshake-timeout`, read at start).
    let requestTimeout: UInt64
    let loop: EventLoop
    let collector: MetricsCollector
    var logger: Logger
    private let listeners: [CInt]
    private var clients: [UInt64: Client] = [:]
    private var nextToken: UInt64 = 0
    /// Discarded input of lingering connections.
    private let drain = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)

    final class Client {
        let fd: CInt
        let token: UInt64
        var parser = HTTPRequestParser(limits: MetricsServer.limits)
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: MetricsServer.limits.maxHeadBytes, alignment: 1)
        var filled = 0
        /// The response: its head, and a body shared with the collector's buffer (no copy).
        var responseHead: [UInt8] = []
        var body: [UInt8] = []
        var sent = 0
        var responding = false
        /// Everything is written and the write side shut: only waiting for the peer's EOF.
        var lingering = false

        init(fd: CInt, token: UInt64) {
            self.fd = fd
            self.token = token
        }

        deinit { head.deallocate() }
    }

    init(
        loop: EventLoop, listeners: [CInt], collector: MetricsCollector, logger: Logger, requestTimeout: UInt64,
        timerKind: UInt32
    ) throws(Errno) {
        self.loop = loop
        self.requestTimeout = requestTimeout
        self.listeners = listeners
        self.collector = collector
        self.logger = logger
        self.timerKind = timerKind
        for (i, fd) in listeners.enumerated() {
            try loop.epoll.add(fd, events: [.readable], token: Self.listenerTokenBase | UInt64(i))
        }
    }

    deinit { drain.deallocate() }

    static func owns(_ token: UInt64) -> Bool { token & (listenerTokenBase | clientTokenBase) != 0 && token < (1 << 62) }

    /// Closes every connection (the control loop has stopped); the listeners are the server's.
    func closeAll() {
        for client in clients.values { Posix.close(client.fd) }
        clients.removeAll()
    }

    func handle(token: UInt64, events: EpollEvents) {
        if token & Self.clientTokenBase == 0 {
            let i = Int(token & 0xFFFF)
            if i < listeners.count { accept(listeners[i]) }
            return
        }
        guard let client = clients[token] else { return }
        if !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]) { read(client) }
        if events.contains(.writable), clients[token] != nil, client.responding { write(client) }
    }

    /// A deadline passed: the request took too long (or the peer never closed after the answer),
    /// or accepting resumes after running out of fds.
    func timerFired(token: UInt64) {
        if token == Self.listenerTokenBase {
            for (i, fd) in listeners.enumerated() { try? loop.epoll.add(fd, events: [.readable], token: Self.listenerTokenBase | UInt64(i)) }
            return
        }
        guard let client = clients[token] else { return }
        if !client.lingering { logger.debug("metrics request timed out", metadata: ["chat.protocol": "metrics"]) }
        close(client)
    }

    private func accept(_ listener: CInt) {
        while true {
            let fd: CInt
            do {
                guard case .processed(let accepted) = try Socket.accept(listener) else { return }
                fd = accepted.fd
            } catch {
                // Out of fds, the listener (level-triggered) would report the same connection on
                // every tick: stop polling it for a moment, as the chat loops do.
                if error.isFileDescriptorExhaustion { pauseAccepting(error) }
                return  // ECONNABORTED and friends concern that one connection (accept(2))
            }
            guard clients.count < Self.maxClients else {
                // Debug only: a connection flood must not become a log flood.
                logger.debug("metrics connection refused: too many open", metadata: ["chat.reason": "max \(Self.maxClients)"])
                Posix.close(fd)
                continue
            }
            nextToken &+= 1
            let client = Client(fd: fd, token: Self.clientTokenBase | (nextToken & 0xFF_FFFF_FFFF))
            do {
                try loop.epoll.add(fd, events: .connection, token: client.token)
            } catch {
                Posix.close(fd)
                continue
            }
            clients[client.token] = client
            loop.schedule(Timer(deadline: loop.now &+ requestTimeout, token: client.token, kind: timerKind))
        }
    }

    private func pauseAccepting(_ error: Errno) {
        logger.warning("metrics listener paused: out of file descriptors", metadata: ["chat.reason": "\(error)"])
        for fd in listeners { try? loop.epoll.remove(fd) }
        loop.schedule(Timer(deadline: loop.now &+ 100_000_000, token: Self.listenerTokenBase, kind: timerKind))
    }

    private func read(_ client: Client) {
        while clients[client.token] != nil {
            let into = client.responding ? drain : UnsafeMutableRawBufferPointer(rebasing: client.head[client.filled...])
            let n: Int
            do {
                guard case .processed(let r) = try Posix.read(client.fd, into) else { return }
                n = r
            } catch {
                close(client)
                return
            }
            if n == 0 {
                close(client)  // EOF: before a complete request, or the end of lingering
                return
            }
            if client.responding { continue }  // a body or pipelined bytes: not served, discarded
            client.filled += n
            switch client.parser.parse(UnsafeRawBufferPointer(rebasing: client.head[..<client.filled])) {
            case .incomplete:
                if client.filled == client.head.count {
                    // Cannot happen with a buffer of maxHeadBytes (the parser fails first); kept
                    // so a full buffer can never mean a zero-byte read.
                    respond(client, error: HTTPRequestError(.headerFieldsTooLarge, "request head too large"), head: nil)
                }
            case .request(let head, _):
                respond(client, to: head)
            case .failure(let error):
                logger.debug("metrics request refused", metadata: ["chat.reason": "\(error)"])
                respond(client, error: error, head: nil)
            }
        }
    }

    private func respond(_ client: Client, to request: HTTPRequestHead) {
        guard request.path == "/metrics" else {
            respond(client, error: HTTPRequestError(.notFound, "this listener serves /metrics only"), head: request)
            return
        }
        collector.collect()
        let body = collector.exposition.bytes
        client.responseHead = HTTPResponse.head(
            .ok, headers: [HTTPHeader("Content-Type", MetricsExposition.contentType), HTTPHeader("Cache-Control", "no-store")],
            contentLength: body.count, keepAlive: false)
        client.body = request.method == .head ? [] : body
        startWriting(client)
    }

    private func respond(_ client: Client, error: HTTPRequestError, head: HTTPRequestHead?) {
        client.responseHead = HTTPResponse.error(error, includeBody: head?.method != .head)
        client.body = []
        startWriting(client)
    }

    private func startWriting(_ client: Client) {
        client.responding = true
        write(client)
    }

    /// Head and body in one writev(2) (no Nagle delay between them), resumed on EPOLLOUT.
    private func write(_ client: Client) {
        let total = client.responseHead.count + client.body.count
        while client.sent < total {
            let outcome = client.responseHead.withUnsafeBytes { head in
                client.body.withUnsafeBytes { body in
                    Result { () throws(Errno) in try Self.writev(client.fd, head, body, from: client.sent) }
                }
            }
            guard case .success(let result) = outcome else {
                close(client)
                return
            }
            guard case .processed(let n) = result else { return }  // EPOLLOUT resumes
            client.sent += n
        }
        guard !client.lingering else { return }
        client.lingering = true
        client.responseHead = []
        client.body = []
        Posix.shutdown(client.fd, CInt(SHUT_WR))
        loop.schedule(Timer(deadline: loop.now &+ Self.lingerTimeout, token: client.token, kind: timerKind))
        read(client)  // the EOF may already be there
    }

    private static func writev(
        _ fd: CInt, _ head: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer, from offset: Int
    ) throws(Errno) -> IOResult<Int> {
        var iov = (iovec(), iovec())
        let count: Int
        if offset < head.count {
            iov.0 = iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress! + offset), iov_len: head.count - offset)
            iov.1 = iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count)
            count = body.isEmpty ? 1 : 2
        } else {
            let at = offset - head.count
            iov.0 = iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress! + at), iov_len: body.count - at)
            count = 1
        }
        return try withUnsafePointer(to: &iov) { p throws(Errno) in
            try p.withMemoryRebound(to: iovec.self, capacity: 2) { vec throws(Errno) in try Posix.writev(fd, vec, count) }
        }
    }

    private func close(_ client: Client) {
        guard clients.removeValue(forKey: client.token) != nil else { return }
        Posix.close(client.fd)
        // Deadlines of closed connections lapse lazily; a connect-and-close flood must not
        // grow the control loop's timer heap for a whole timeout, so drop them in bulk.
        if loop.timerCount > 4 * clients.count + 1024 {
            loop.compactTimers { [unowned self] t in
                t.kind != timerKind || t.token == Self.listenerTokenBase || clients[t.token] != nil
            }
        }
    }
}
