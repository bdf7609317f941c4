import ChatProtocol
import EventLoop
import Glibc
import TLS

/// One TCP connection to the daemon, optionally TLS: a non-blocking socket, the bytes received
/// but not yet decoded and the encoded frames not yet written. Registered once with epoll for both
/// directions, edge-triggered, so reads and writes drain to EAGAIN.
final class Connection {
    let fd: CInt
    let peer: SocketAddress
    /// The non-blocking connect (and the TLS handshake, with --tls) finished successfully.
    private(set) var established = false
    /// TCP is connected; with TLS the handshake may still be under way.
    private var connected = false
    /// With --tls: the session every read and write goes through.
    private let tls: TLSConnection?

    private var input: [UInt8] = []
    private var inputStart = 0
    private var output: [UInt8] = []
    private var outputStart = 0

    /// The daemon's notices (e.g. `/who` in a big room) may exceed a message; anything beyond
    /// this is a broken stream, not chat.
    static let maxPayload = 4 << 20

    enum Failure: Error, CustomStringConvertible {
        case system(Errno)
        case closedByServer
        case protocolError(String)
        case tls(TLSCloseReason)

        var description: String {
            switch self {
            case .system(let errno): return errno.description
            case .closedByServer: return "closed by the server"
            case .protocolError(let what): return "protocol error: \(what)"
            case .tls(.closeNotify), .tls(.endOfFileWithoutCloseNotify): return "closed by the server"
            case .tls(let reason): return reason.description
            }
        }
    }

    /// Starts connecting; the caller registers `fd` and waits for writability. With `tls`,
    /// the session verifies the server as `serverName`.
    init(to address: SocketAddress, tls context: TLSClientContext? = nil, serverName: String = "") throws(Failure) {
        let (fd, result): (CInt, IOResult<Void>)
        do { (fd, result) = try Socket.connect(address) } catch { throw .system(error) }
        self.fd = fd
        self.peer = address
        Socket.setNoDelay(fd)
        if let context {
            do { tls = try TLSConnection(client: context, fd: fd, serverName: serverName) } catch {
                Posix.close(fd)
                throw .protocolError(error.description)
            }
        } else {
            tls = nil
        }
        if case .processed = result {
            connected = true
            established = tls == nil
        }
    }

    deinit {
        tls?.shutdown()
        Posix.close(fd)
    }

    /// After a socket event while connecting: nil while still under way (or done: see
    /// `established`), else why it failed (the connect, or the TLS handshake).
    func continueConnecting() -> String? {
        if established { return nil }
        if !connected {
            let error = Socket.pendingError(fd)
            if error != 0 { return Errno(error, function: "connect").description }
            connected = true
        }
        guard let tls else {
            established = true
            return nil
        }
        switch tls.handshake() {
        case .established: established = true
        case .wantRead, .wantWrite: break
        case .failed(let reason): return "TLS handshake failed: \(reason)"
        }
        return nil
    }

    var hasPendingOutput: Bool { outputStart < output.count }

    func send(_ payload: String) {
        output.append(contentsOf: FrameEncoder.frame(payload))
    }

    /// Writes as much queued output as the socket takes.
    func flush() throws(Failure) {
        guard established else { return }
        while outputStart < output.count {
            if let tls {
                // After a blocked SSL_write the retry starts at the same byte and is at least as
                // long: `output` only grows at its end (it may move: ACCEPT_MOVING_WRITE_BUFFER).
                switch output.withUnsafeBytes({ tls.write(UnsafeRawBufferPointer(rebasing: $0[outputStart...])) }) {
                case .bytes(let n): outputStart += n
                case .wantRead, .wantWrite: return
                case .closed(let reason): throw .tls(reason)
                }
                continue
            }
            let result = output.withUnsafeBytes { raw in
                Result { () throws(Errno) in try Posix.write(fd, UnsafeRawBufferPointer(rebasing: raw[outputStart...])) }
            }
            switch result {
            case .success(.processed(let n)): outputStart += n
            case .success(.wouldBlock): return
            case .failure(let error): throw .system(error)
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 16)
        outputStart = 0
    }

    /// Reads until EAGAIN and hands every complete payload to `deliver`. Throws when the
    /// server closed the connection or the stream cannot be decoded.
    func readAvailable(_ deliver: (String) -> Void) throws(Failure) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var closed = false
        while let tls {
            // Until WANT_READ: nothing stays buffered inside OpenSSL without an edge to come.
            switch chunk.withUnsafeMutableBytes({ tls.read(into: $0) }) {
            case .bytes(let n):
                input.append(contentsOf: chunk[0..<n])
                try decodeFrames(deliver)
                continue
            case .wantRead, .wantWrite: return
            case .closed(let reason): throw .tls(reason)
            }
        }
        while true {
            let result = chunk.withUnsafeMutableBytes { raw in
                Result { () throws(Errno) in try Posix.read(fd, raw) }
            }
            guard case .success(let outcome) = result else {
                if case .failure(let error) = result { throw .system(error) }
                break
            }
            guard case .processed(let n) = outcome else { break }
            if n == 0 {
                closed = true
                break
            }
            input.append(contentsOf: chunk[0..<n])
            try decodeFrames(deliver)
        }
        if closed { throw .closedByServer }
    }

    private func decodeFrames(_ deliver: (String) -> Void) throws(Failure) {
        while inputStart < input.count {
            let decoded = input.withUnsafeBytes { raw in
                FramedDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[inputStart...]), maxPayload: Self.maxPayload)
            }
            switch decoded {
            case .needMore:
                compactInput()
                return
            case .error(let error):
                throw .protocolError("\(error)")
            case .frame(let offset, let length):
                let start = inputStart + offset
                deliver(String(decoding: input[start..<start + length], as: UTF8.self))
                inputStart = start + length
            }
        }
        compactInput()
    }

    private func compactInput() {
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 1 << 16)
            inputStart = 0
        } else if inputStart > 1 << 16 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }
}

/// Host names for the client (the daemon's `SocketAddress` takes numeric hosts only): a
/// numeric address or "localhost" directly, anything else through getaddrinfo(3). The
/// client may block on the resolver; it has nothing else to do while it connects.
enum Resolver {
    static func resolve(host: String, port: Int) -> SocketAddress? {
        if let address = try? SocketAddress(host: host, port: port) { return address }
        // Zeroed through a raw allocation: the struct's implicit init() belongs to whichever
        // C module first imported <netdb.h>.
        let hints = UnsafeMutablePointer<addrinfo>.allocate(capacity: 1)
        defer { hints.deallocate() }
        UnsafeMutableRawPointer(hints).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<addrinfo>.size)
        hints.pointee.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.pointee.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            if let addr = entry.pointee.ai_addr, entry.pointee.ai_family == AF_INET || entry.pointee.ai_family == AF_INET6 {
                guard var address = try? SocketAddress(host: "::", port: 0) else { return nil }
                withUnsafeMutableBytes(of: &address.storage) { dst in
                    dst.initializeMemory(as: UInt8.self, repeating: 0)
                    let count = min(dst.count, Int(entry.pointee.ai_addrlen))
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: count))
                }
                return address
            }
            node = entry.pointee.ai_next
        }
        return nil
    }
}
