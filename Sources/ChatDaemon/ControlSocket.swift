import EventLoop
import Glibc
import Logging

/// The local administration socket (`--control-socket`, `chatd ctl`), served by the control
/// thread, never by an event loop serving chat: an operator's request cannot stall a room.
///
/// Access: the socket file is mode 0660, so only the daemon's user and group can connect;
/// behind that, each connection's peer credentials (SO_PEERCRED, unix(7)) must be root, the
/// daemon's user or the daemon's group, so a socket file a careless operator re-permissioned
/// still refuses everyone else. One request line per connection, one JSON reply line, then
/// close (`ControlRequest`).
final class ControlSocket {
    struct Client {
        let fd: CInt
        var input: [UInt8] = []
        var reply: [UInt8] = []
        var sent = 0
        var answered = false
        /// Why this peer may not administer the daemon; answered once its request is read (a
        /// Unix socket closed with unread input resets the peer, which would lose the reason).
        var refusal: String?
    }

    static let listenerToken: UInt64 = 2
    /// Client tokens start here; the control loop's other tokens are small constants.
    static let firstClientToken: UInt64 = 1 << 32
    /// Concurrent control connections; more are refused at accept (an operator needs a few).
    static let maxClients = 16
    /// A control connection that has not sent its request and read its reply by then is closed.
    static let clientTimeout: UInt64 = 10_000_000_000

    let path: String
    let listener: CInt
    private(set) var clients: [UInt64: Client] = [:]
    private var nextToken = firstClientToken
    private let logger: Logger

    init(path: String, loop: EventLoop, logger: Logger) throws(Errno) {
        self.path = path
        self.logger = logger
        listener = try UnixSocket.listen(path: path, mode: 0o660)
        do {
            try loop.epoll.add(listener, events: [.readable, .edgeTriggered], token: Self.listenerToken)
        } catch {
            Posix.close(listener)
            throw error
        }
    }

    typealias Execute = (Result<ControlRequest, ControlRequest.ParseError>) -> [UInt8]

    /// Accepts every pending connection; returns the tokens that need a timeout.
    func acceptAll(loop: EventLoop, execute: Execute) -> [UInt64] {
        var accepted: [UInt64] = []
        while true {
            let fd: CInt
            do {
                guard case .processed(let (newFD, _)) = try Socket.accept(listener) else { return accepted }
                fd = newFD
            } catch {
                logger.warning("control socket: accept failed", metadata: ["chat.reason": "\(error)"])
                return accepted
            }
            guard clients.count < Self.maxClients else {
                Posix.close(fd)
                continue
            }
            let token = nextToken
            nextToken &+= 1
            var client = Client(fd: fd)
            client.refusal = refusal(fd)
            if let refusal = client.refusal {
                logger.warning("control socket: connection refused", metadata: ["chat.reason": "\(refusal)"])
            }
            do {
                try loop.epoll.add(fd, events: EpollEvents.connection, token: token)
            } catch {
                Posix.close(fd)
                continue
            }
            clients[token] = client
            accepted.append(token)
            readable(token, execute: execute)  // edge-triggered: the request may already be there
        }
    }

    /// Why the peer may not administer the daemon, or nil if it may.
    private func refusal(_ fd: CInt) -> String? {
        let peer: PeerCredentials
        do { peer = try UnixSocket.peerCredentials(fd) } catch { return "cannot read peer credentials: \(error)" }
        if peer.uid == 0 || peer.uid == geteuid() || peer.gid == getegid() { return nil }
        return "permission denied: uid \(peer.uid) gid \(peer.gid) is neither root nor chatd's user or group"
    }

    /// Reads the request line when it is complete; `execute` turns it into the reply.
    func readable(_ token: UInt64, execute: Execute) {
        guard var client = clients[token], !client.answered else { return }
        var chunk = [UInt8](repeating: 0, count: 1024)
        reading: while true {
            let result = chunk.withUnsafeMutableBytes { try? Posix.read(client.fd, $0) }
            switch result {
            case .processed(let n)? where n > 0:
                client.input.append(contentsOf: chunk[..<n])
                if client.input.contains(UInt8(ascii: "\n")) || client.input.count > ControlRequest.maxLineBytes {
                    break reading
                }
            case .wouldBlock?:
                clients[token] = client
                return
            default:  // EOF or an error before a full line: nothing to answer
                clients[token] = client
                close(token)
                return
            }
        }
        client.answered = true
        if let refusal = client.refusal {
            client.reply = ControlReply.failure(refusal)
        } else if let end = client.input.firstIndex(of: UInt8(ascii: "\n")), end <= ControlRequest.maxLineBytes {
            var line = client.input[..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if let text = String(validating: line, as: UTF8.self) {
                do throws(ControlRequest.ParseError) {
                    client.reply = execute(.success(try ControlRequest.parse(text)))
                } catch {
                    client.reply = execute(.failure(error))
                }
            } else {
                client.reply = ControlReply.failure("request is not valid UTF-8")
            }
        } else {
            client.reply = ControlReply.failure("request longer than \(ControlRequest.maxLineBytes) bytes")
        }
        client.input = []
        clients[token] = client
        flush(token)
    }

    /// Writes what is left of the reply; closes once all of it is sent.
    func flush(_ token: UInt64) {
        guard var client = clients[token], client.answered else { return }
        while client.sent < client.reply.count {
            let result = client.reply.withUnsafeBytes { bytes in
                try? Posix.write(client.fd, UnsafeRawBufferPointer(rebasing: bytes[client.sent...]))
            }
            switch result {
            case .processed(let n)?: client.sent += n
            case .wouldBlock?:
                clients[token] = client
                return
            case nil:
                close(token)
                return
            }
        }
        close(token)
    }

    func close(_ token: UInt64) {
        guard let client = clients.removeValue(forKey: token) else { return }
        Posix.close(client.fd)
    }

    /// Closes the listener and every client and removes the socket file.
    func shutDown() {
        for token in Array(clients.keys) { close(token) }
        Posix.close(listener)
        try? Posix.unlinkIfPresent(path)
    }
}
