import ChatProtocol
import EventLoop
import Glibc
import Logging
import Room

/// The read side: drain the socket to EAGAIN (within the fairness budget), decode frames in
/// place from the loop's read buffer, and keep only an incomplete frame's bytes per connection.
extension LoopWorker {
    func readFromSocket(_ conn: Connection) {
        var budget = Self.readBudget
        while conn.readable && !conn.pausedForRate && slots[conn.id.slot] === conn {
            if budget <= 0 {
                // Still readable: re-post to the next tick instead of starving other clients.
                // The edge is not lost because `readable` stays set until EAGAIN.
                if !conn.inReadQueue { conn.inReadQueue = true; readQueue.append(conn) }
                return
            }
            let n: Int
            do {
                switch try Posix.read(conn.fd, readBuffer) {
                case .processed(let r): n = r
                case .wouldBlock:
                    conn.readable = false
                    return
                }
            } catch {
                conn.readable = false
                drop(conn, reason: error.rawValue == ECONNRESET ? "connection reset by peer" : "\(error)")
                return
            }
            if n == 0 {
                conn.readable = false
                conn.peerClosed = true
                if conn.phase == .closing {
                    destroy(conn)
                } else if conn.outbound.isEmpty {
                    drop(conn, reason: "client closed the connection")
                } else {
                    // Half-close (shutdown(SHUT_WR), `nc -N`): the client is done sending but
                    // may still be reading — deliver what is already queued for it, then close.
                    closeGracefully(conn, reason: "client closed the connection")
                }
                return
            }
            budget &-= n
            if conn.phase == .closing { continue }  // lingering close: discard input
            feed(conn, UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
        }
    }

    /// Resumes a connection whose reading was paused (rate limit): frames already buffered
    /// first, then the socket — no new edge will come for data that arrived meanwhile.
    func resumeInput(_ conn: Connection) {
        if let ring = conn.inbound, !ring.isEmpty {
            conn.inbound = nil
            let consumed = ring.withContiguousReadableBytes { bytes -> Int in decodeFrames(conn, bytes) }
            ring.consume(consumed)
            if !ring.isEmpty && slots[conn.id.slot] === conn && conn.closeReason == nil { conn.inbound = ring }
        }
        if conn.readable { readFromSocket(conn) }
    }

    func feed(_ conn: Connection, _ chunk: UnsafeRawBufferPointer) {
        if let ring = conn.inbound {
            ring.append(chunk)
            let consumed = ring.withContiguousReadableBytes { bytes -> Int in decodeFrames(conn, bytes) }
            ring.consume(consumed)
            // Drop the buffer once drained: an idle connection holds no input memory.
            if ring.isEmpty { conn.inbound = nil }
            return
        }
        let consumed = decodeFrames(conn, chunk)
        if consumed < chunk.count && conn.closeReason == nil && slots[conn.id.slot] === conn {
            let rest = UnsafeRawBufferPointer(rebasing: chunk[consumed...])
            // Sized by the bytes actually received, not by the length the header claims: 11
            // bytes must not reserve 64 KiB. The ring doubles as more of the frame arrives.
            let ring = RingBuffer(minimumCapacity: rest.count)
            ring.append(rest)
            conn.inbound = ring
        }
    }

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
                closeGracefully(conn, error: text, reason: "protocol error: \(text)")
                return bytes.count
            }
        }
        return offset
    }

    func pauseForRate(_ conn: Connection) {
        conn.pausedForRate = true
        schedule(conn, .resumeReading, at: conn.bucket.nextTokenTime(now: loop.now))
    }

    func handleFrame(_ conn: Connection, _ payload: UnsafeRawBufferPointer) {
        conn.lastActivity = loop.now
        switch SessionInput.classify(payload, loggedIn: conn.phase == .active) {
        case .message:
            guard let room = conn.room else { return }
            messagesIn &+= 1
            let frame = conn.nameBytes.withUnsafeBytes { ChatFrames.message(sender: $0, text: payload) }
            hub.publish(frame, in: room, from: conn.id, currentLoop: loop.index)
        case .command(let input):
            messagesIn &+= 1
            execute(input, for: conn)
        case .badMessage(let text):
            reply(conn, ChatFrames.error(text))
        case .username(let name):
            logIn(conn, name: name)
        case .badUsername(let text):
            closeGracefully(conn, error: text, reason: "invalid username")
        }
    }

    func logIn(_ conn: Connection, name: String) {
        guard hub.nicknames.claim(name, for: conn.id) else {
            closeGracefully(conn, error: "username \(name) is taken", reason: "username taken")
            return
        }
        conn.name = name
        conn.nameBytes = Array(name.utf8)
        conn.phase = .active
        logger.info("user logged in", metadata: meta(conn))
        if let motd = limits.motd, !motd.isEmpty { reply(conn, ChatFrames.notice(motd)) }
        join(conn, room: RoomDirectory.lobby)
    }

    func meta(_ conn: Connection, reason: String? = nil) -> Logger.Metadata {
        var m: Logger.Metadata = ["chat.peer": "\(conn.peer)"]
        if !conn.name.isEmpty { m["chat.user"] = "\(conn.name)" }
        if let r = conn.room { m["chat.room"] = "\(r.name)" }
        if let reason { m["chat.reason"] = "\(reason)" }
        return m
    }
}
