import ChatProtocol
import EventLoop
import Logging
import Room

/// The framed protocol's input (DESIGN.md §2): frames decoded in place, the username frame, then
/// messages and slash commands.
extension LoopWorker {
    /// Decodes and handles complete frames from `bytes`; returns how many bytes were used.
    func decodeFrames(_ conn: Connection, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            if conn.closeReason != nil || conn.pausedForRate { break }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            // Before login the only valid frame is a username: a header announcing more than a
            // username's bytes is refused at once instead of being buffered.
            let handshake = conn.phase == .handshake
            let maxPayload = handshake ? Names.maxUsernameBytes : limits.maxMessageBytes
            switch FramedDecoder.decode(rest, maxPayload: maxPayload) {
            case .frame(let payloadOffset, let payloadLength):
                if conn.phase == .active && !conn.bucket.take(now: loop.now) {
                    pauseForRate(conn)
                    return offset
                }
                let payload = UnsafeRawBufferPointer(rebasing: rest[payloadOffset..<(payloadOffset &+ payloadLength)])
                handleFrame(conn, payload)
                offset &+= payloadOffset &+ payloadLength
            case .needMore:
                return offset
            case .error(let e):
                // Framing is lost: nothing after this point can be trusted to be a frame.
                var text = e.description
                if handshake, case .payloadTooLarge(let length, _) = e { text = NameError.tooLong(length).description }
                logger.notice("protocol error", metadata: meta(conn, reason: text))
                closeGracefully(conn, .protocolError, error: text, reason: "protocol error: \(text)")
                return bytes.count
            }
        }
        return offset
    }

    func pauseForRate(_ conn: Connection) {
        conn.pausedForRate = true
        stats.add(LoopStats.Slot.rateLimitPauses, 1)
        schedule(conn, .resumeReading, at: conn.bucket.nextTokenTime(now: loop.now))
    }

    func handleFrame(_ conn: Connection, _ payload: UnsafeRawBufferPointer) {
        conn.lastActivity = loop.now
        switch SessionInput.classify(payload, loggedIn: conn.phase == .active) {
        case .message:
            guard let room = conn.room else { return reply(conn, FramedEncoding.error(Self.inNoRoom)) }
            messagesIn &+= 1
            // The framed encoding is made from the received bytes at once (framed rooms nearly
            // always have framed members), and the event's text is a slice of it.
            var sender = conn.name  // a retain: a native String's UTF-8 is contiguous, no copy
            let frame = sender.withUTF8 { FramedEncoding.message(sender: UnsafeRawBufferPointer($0), text: payload) }
            let event = RoomEvent(
                kind: .message, room: room.name, source: conn.source, text: frame, start: frame.count &- payload.count,
                count: payload.count, time: RoomEvent.now())
            _ = event.storeEncoding(frame, slot: ProtocolSlot.framed)
            if let refusal = hub.publish(event, in: room, sender: conn.id, except: conn.id, currentLoop: loop.index) {
                reply(conn, FramedEncoding.error(refusal.description))
            }
        case .command(let input):
            messagesIn &+= 1
            execute(input, for: conn)
        case .badMessage(let text):
            reply(conn, FramedEncoding.error(text))
        case .username(let name):
            logIn(conn, name: name)
        case .badUsername(let text):
            closeGracefully(conn, .protocolError, error: text, reason: "invalid username")
        }
    }

    func logIn(_ conn: Connection, name: String) {
        guard hub.nicknames.claim(name, for: conn.id) else {
            closeGracefully(conn, .refused, error: "username \(name) is taken", reason: "username taken")
            return
        }
        conn.name = name
        conn.user = name
        conn.host = "framed"
        conn.phase = .active
        staleTimers &+= 1  // its handshake timer
        logger.info("user logged in", metadata: meta(conn))
        if let motd = limits.motd, !motd.isEmpty { reply(conn, FramedEncoding.notice(motd)) }
        protectRegisteredName(conn)
        join(conn, room: RoomDirectory.lobby)
    }

}
