/// What the daemon must do for one WebSocket connection.
public enum WebSocketAction: Equatable, Sendable {
    /// A complete text message is in `session.message`: decode it as chatd.v1.
    case text
    /// Queue these bytes (a pong or ping frame).
    case send([UInt8])
    /// Queue these bytes (a Close frame), flush, then close the TCP connection (RFC 6455
    /// §7.1.1: the server closes TCP first after the close handshake).
    case sendAndClose([UInt8])
    /// Close the TCP connection now (the peer stopped answering pings).
    case close
}

/// The per-connection WebSocket policy as a state machine that returns actions and never
/// touches a socket: pings answered, Close echoed, protocol errors answered with their
/// close code, binary refused (chatd.v1 is text only, 1003), and liveness: a connection
/// silent for `pingInterval` gets a ping; if nothing at all arrives within `pongTimeout`
/// after it, the connection is dropped (a dead peer or a proxy that ate the FIN).
/// Times are monotonic milliseconds from the caller's clock.
public struct WebSocketSession: Sendable {
    public private(set) var decoder: WebSocketFrameDecoder
    public let pingInterval: Int64
    public let pongTimeout: Int64
    private var lastInbound: Int64
    private var pingSentAt: Int64?
    private var pingsSent: UInt64 = 0

    public init(maxMessageBytes: Int, pingInterval: Int64, pongTimeout: Int64, now: Int64) {
        decoder = WebSocketFrameDecoder(maxMessageBytes: maxMessageBytes)
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        lastInbound = now
    }

    /// The message of the last `.text` action (valid until the next `receive`).
    public var message: [UInt8] { decoder.message }

    /// Consumes bytes from the front of `input` until an action is due (returned with the
    /// bytes taken) or the input runs out (`action` nil: keep the tail, read more).
    public mutating func receive(_ input: UnsafeRawBufferPointer, now: Int64) -> (consumed: Int, action: WebSocketAction?) {
        if !input.isEmpty {
            lastInbound = now
            pingSentAt = nil
        }
        var offset = 0
        while true {
            let (consumed, event) = decoder.decode(UnsafeRawBufferPointer(rebasing: input[offset...]))
            offset &+= consumed
            guard let event else { return (offset, nil) }
            switch event {
            case .text: return (offset, .text)
            case .binary:
                return (offset, .sendAndClose(WebSocketFrameEncoder.close(.unsupportedData, reason: "chatd.v1 is text only")))
            case .ping: return (offset, .send(WebSocketFrameEncoder.frame(.pong, payload: decoder.control)))
            case .pong: continue
            case .close(let code):
                // Echo the peer's code (§5.5.1); an empty Close is answered with an empty Close.
                let reply = code.map { WebSocketFrameEncoder.close($0) } ?? WebSocketFrameEncoder.frame(.close, payload: [UInt8]())
                return (offset, .sendAndClose(reply))
            case .failure(let code, let reason):
                return (offset, .sendAndClose(WebSocketFrameEncoder.close(code, reason: reason)))
            }
        }
    }

    /// When the caller's timer should next call `tick`.
    public var nextDeadline: Int64 {
        if let sent = pingSentAt { return sent &+ pongTimeout }
        return lastInbound &+ pingInterval
    }

    /// Call at or after `nextDeadline`.
    public mutating func tick(now: Int64) -> WebSocketAction? {
        if let sent = pingSentAt {
            return now &- sent >= pongTimeout ? .close : nil
        }
        guard now &- lastInbound >= pingInterval else { return nil }
        pingSentAt = now
        pingsSent &+= 1
        // The payload tells pongs apart in a packet capture; any payload is allowed (§5.5.2).
        return .send(WebSocketFrameEncoder.frame(.ping, payload: Array(String(pingsSent).utf8)))
    }
}
