import EventLoop
import Logging
import Room
import TLS
import WebProtocol

/// The http:// listener's input: HTTP/1.1 request heads (`HTTPRequestParser`, size-capped) answered
/// from the page read at start (`WebSite`), until `GET /ws` upgrades the connection to a WebSocket
/// (`WebSocketHandshake`); then RFC 6455 frames through the `WebSocketSession` state machine, whose
/// text messages are chatd.v1 (LoopWorker+WebCommands.swift).
///
/// What a hostile client can cost: a request head is refused at its cap (414/431, at most
/// `HTTPLimits.maxHeadBytes` buffered) and must be complete within `--handshake-timeout`
/// (slowloris: 408, then close); a WebSocket message is refused with 1009 as soon as its header
/// claims more than `--max-message-bytes`; every protocol error closes with its status code.
extension LoopWorker {
    /// Decodes and handles complete requests or frames from `bytes`; returns how many bytes
    /// were used (an incomplete request head stays buffered and is parsed again, with the
    /// parser's memory of how far it searched, when more arrives).
    func decodeWeb(_ conn: Connection, _ bytes: UnsafeRawBufferPointer) -> Int {
        guard let state = conn.web, let site = web else { return bytes.count }
        var offset = 0
        while offset < bytes.count {
            if conn.closeReason != nil || conn.pausedForRate { break }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if state.session != nil { return offset &+ decodeWebSocket(conn, state, rest) }
            switch state.parser.parse(rest) {
            case .incomplete:
                return offset
            case .failure(let error):
                logger.notice("http request refused", metadata: meta(conn, reason: "\(error.status): \(error.reason)"))
                reply(conn, SharedBytes.make(HTTPResponse.error(error)))
                closeGracefully(conn, .protocolError, reason: "http \(error.status.code): \(error.reason)")
                return bytes.count
            case .request(let head, let consumed):
                state.parser.reset()
                offset &+= consumed
                conn.lastActivity = loop.now
                state.deadline = loop.now &+ limits.handshakeTimeout
                serve(head, on: conn, state, site)
                // Requests share the message rate: a client pipelining thousands of them is
                // paused like one sending thousands of messages.
                if conn.closeReason == nil && !conn.bucket.take(now: loop.now) { pauseForRate(conn) }
            }
        }
        return offset
    }

    func serve(_ head: HTTPRequestHead, on conn: Connection, _ state: WebState, _ site: WebServerSettings) {
        switch site.site.answer(head) {
        case .response(let bytes, let keepAlive):
            reply(conn, SharedBytes.make(bytes))
            if !keepAlive { closeGracefully(conn, .quit, reason: "http: connection close") }
        case .webSocket:
            switch WebSocketHandshake.validate(head, origins: site.origins) {
            case .failure(let error):
                logger.notice("websocket handshake refused", metadata: meta(conn, reason: "\(error.status): \(error.reason)"))
                reply(conn, SharedBytes.make(HTTPResponse.error(error, includeBody: head.method == .get)))
                closeGracefully(conn, .refused, reason: "websocket handshake refused: \(error.reason)")
            case .success(let upgrade):
                reply(conn, SharedBytes.make(WebSocketHandshake.response(upgrade, sha1: Digest.sha1)))
                let now = Self.milliseconds(loop.now)
                state.session = WebSocketSession(
                    maxMessageBytes: limits.maxMessageBytes, pingInterval: WebServerSettings.pingInterval,
                    pongTimeout: WebServerSettings.pongTimeout, now: now)
                // The hello must follow within the handshake timeout, as a framed username must.
                schedule(conn, .handshake, at: state.deadline)
                schedule(conn, .webPing, at: loop.now &+ UInt64(WebServerSettings.pingInterval) &* 1_000_000)
                logger.debug("websocket opened", metadata: meta(conn))
            }
        }
    }

    /// Feeds WebSocket bytes to the session and carries out its actions.
    func decodeWebSocket(_ conn: Connection, _ state: WebState, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        conn.lastActivity = loop.now
        while conn.closeReason == nil && !conn.pausedForRate {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let (consumed, action) = state.session!.receive(rest, now: Self.milliseconds(loop.now))
            offset &+= consumed
            guard let action else { return offset }
            switch action {
            case .text:
                state.session!.message.withUnsafeBytes { handleChatV1(conn, $0) }
                // Before the hello too: a refused hello keeps the connection, so a client
                // cycling through names must not get answers faster than the message rate.
                if conn.closeReason == nil && !conn.bucket.take(now: loop.now) { pauseForRate(conn) }
            case .send(let frame):
                reply(conn, SharedBytes.make(frame))
            case .sendAndClose(let frame):
                reply(conn, SharedBytes.make(frame))
                let reason = Self.closeDescription(frame)
                let normal = reason.hasPrefix("1000") || reason.hasPrefix("1001")
                if !normal { logger.notice("websocket protocol error", metadata: meta(conn, reason: reason)) }
                closeGracefully(conn, normal ? .quit : .protocolError, reason: "websocket close \(reason)")
                return bytes.count
            case .close:
                drop(conn, .pingTimeout, reason: "websocket ping timeout")
                return bytes.count
            }
        }
        return offset
    }

    /// `.handshake` timer of an http:// connection: the request head (or, after the upgrade, the
    /// hello) is overdue — unless a served request moved the deadline on.
    func webDeadlinePassed(_ conn: Connection, _ state: WebState) {
        guard conn.closeReason == nil, conn.phase == .handshake else { return }
        if loop.now < state.deadline {
            schedule(conn, .handshake, at: state.deadline)
            return
        }
        if state.session != nil {
            closeGracefully(conn, .handshakeTimeout, error: "handshake timeout: no hello within \(handshakeSeconds) s", reason: "handshake timeout")
        } else if let partial = conn.inbound, !partial.isEmpty {
            // RFC 9110 §15.5.9: the head did not arrive in time (a slowloris client).
            reply(conn, SharedBytes.make(HTTPResponse.error(HTTPRequestError(.requestTimeout, "request head not complete in time"))))
            closeGracefully(conn, .handshakeTimeout, reason: "http request timeout")
        } else {
            // An idle keep-alive connection: closing it is normal (RFC 9112 §9.5).
            closeGracefully(conn, .idleTimeout, reason: "http keep-alive idle")
        }
    }

    /// `.webPing` timer: the session pings a quiet peer, and gives up on one that never answers.
    func webPingTimer(_ conn: Connection) {
        guard conn.closeReason == nil, let state = conn.web, state.session != nil else { return }
        let now = Self.milliseconds(loop.now)
        switch state.session!.tick(now: now) {
        case .send(let frame)?: reply(conn, SharedBytes.make(frame))
        case .close?:
            closeGracefully(conn, .pingTimeout, reason: "websocket ping timeout", quit: "Ping timeout")
            return
        default: break
        }
        let next = max(state.session!.nextDeadline, now &+ 1)
        schedule(conn, .webPing, at: loop.now &+ UInt64(next &- now) &* 1_000_000)
    }

    /// The web connection's last words: before the upgrade an HTTP error response (admission
    /// refusals, a pipelining client cut as a slow consumer; nothing for a shutdown); after it a
    /// chatd.v1 error or notice, then a Close frame (1008 for errors, 1001 for notices, which
    /// are said when the server goes away).
    func webGoodbye(_ conn: Connection, error: String?, notice: String?) -> SharedBytes? {
        guard let state = conn.web else { return nil }
        guard state.session != nil else {
            guard let error else { return nil }
            return SharedBytes.make(HTTPResponse.error(HTTPRequestError(.serviceUnavailable, error)))
        }
        if let error {
            let json = ChatV1ServerMessage.error(code: "closing", text: error)
            return SharedBytes.make(WebSocketFrameEncoder.frame(.text, payload: json) + WebSocketFrameEncoder.close(.policyViolation, reason: error))
        }
        guard let notice else { return nil }
        let json = ChatV1ServerMessage.notice(notice)
        return SharedBytes.make(WebSocketFrameEncoder.frame(.text, payload: json) + WebSocketFrameEncoder.close(.goingAway, reason: notice))
    }

    static func milliseconds(_ nanoseconds: UInt64) -> Int64 { Int64(nanoseconds / 1_000_000) }

    /// "1009 message larger than …" from a Close frame the session built, for the log (a control
    /// frame's payload is ≤ 125 bytes, so its header is 2 bytes).
    static func closeDescription(_ frame: [UInt8]) -> String {
        guard frame.count >= 4 else { return "1000" }
        let code = UInt16(frame[2]) << 8 | UInt16(frame[3])
        let reason = String(decoding: frame[4...], as: UTF8.self)
        return reason.isEmpty ? "\(code)" : "\(code) \(reason)"
    }
}
