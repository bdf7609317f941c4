import ChatProtocol
import EventLoop
import IRCProtocol
import Logging
import Room
import Synchronization

/// The IRC session's input: lines decoded in place (`IRCLineDecoder`), parsed (`IRCMessage`),
/// registration by the pure `IRCRegistration` state machine, then commands.
extension LoopWorker {
    func ircReply(_ conn: Connection) -> IRCReply {
        IRCReply(server: irc.serverName, client: conn.phase == .active ? conn.name : (conn.irc?.registration.nick ?? "*"))
    }

    func send(_ conn: Connection, _ messages: IRCMessage...) {
        reply(conn, IRCEncoding.lines(messages))
    }

    func send(_ conn: Connection, _ messages: [IRCMessage]) {
        if !messages.isEmpty { reply(conn, IRCEncoding.lines(messages)) }
    }

    /// Decodes and handles complete lines from `bytes`; returns how many bytes were used.
    func decodeLines(_ conn: Connection, _ bytes: UnsafeRawBufferPointer) -> Int {
        guard let state = conn.irc else { return bytes.count }
        var offset = 0
        while offset < bytes.count {
            if conn.closeReason != nil || conn.pausedForRate { break }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let step = state.decoder.next(rest)
            switch step.event {
            case .needMore:
                return offset &+ step.consumed
            case .line(let range):
                // The same message rate as framed clients (`--msg-rate`): reading pauses.
                if conn.phase == .active && !conn.bucket.take(now: loop.now) {
                    pauseForRate(conn)
                    return offset
                }
                handleLine(conn, UnsafeRawBufferPointer(rebasing: rest[range]))
                offset &+= step.consumed
            case .overlong:
                send(conn, ircReply(conn).inputTooLong())
                offset &+= step.consumed
            }
        }
        return offset
    }

    func handleLine(_ conn: Connection, _ line: UnsafeRawBufferPointer) {
        conn.lastActivity = loop.now
        conn.irc?.pingSent = false
        let message: IRCMessage
        do {
            message = try IRCMessage.parse(line)
        } catch {
            if case .invalidUTF8(let command) = error {
                // IRCv3 UTF8ONLY: refuse the message, keep the connection.
                send(conn, IRCMessage(source: irc.serverName, command: "FAIL", params: [command, "INVALID_UTF8", "Message rejected: not valid UTF-8"]))
            }
            return
        }
        if handleAccountCommandIRC(conn, message) { return }
        if conn.phase == .active {
            messagesIn &+= 1
            executeIRC(message, for: conn)
        } else if let state = conn.irc {
            perform(state.registration.handle(message), for: conn)
        }
    }

    /// Carries out what the registration state machine asked for.
    func perform(_ actions: [IRCRegistration.Action], for conn: Connection) {
        guard let state = conn.irc else { return }
        for action in actions {
            switch action {
            case .send(let m):
                send(conn, m)
            case .close(let m):
                reply(conn, IRCEncoding.line(m))
                closeGracefully(conn, .refused, reason: "irc: \(m.params.first ?? "closed")")
                return
            case .claimNick(let nick):
                let result: IRCRegistration.ClaimResult
                if case .failure = Names.validateUsername(nick) {
                    result = .erroneous
                } else if hub.nicknames.claim(
                    nick, for: conn.id, user: state.registration.user ?? nick, host: "irc",
                    realName: state.registration.realname ?? nick)
                {
                    result = .granted
                } else {
                    result = .inUse
                }
                perform(state.registration.claimResult(result, for: nick), for: conn)
                return
            case .registered(let r):
                register(conn, r)
            }
        }
    }

    /// Registration complete: the welcome burst (001–005, LUSERS, MOTD or 422).
    func register(_ conn: Connection, _ r: IRCRegistered) {
        conn.name = r.nick
        conn.user = r.user
        conn.host = "irc"
        conn.phase = .active
        staleTimers &+= 1  // its handshake timer
        conn.irc?.apply(capabilities: r.capabilities)
        logger.info("user logged in", metadata: meta(conn))
        let rp = ircReply(conn)
        var burst = [
            rp.welcome(network: irc.networkName, nick: r.nick), rp.yourHost(version: "chatd-\(ChatDaemonVersion.string)"),
            rp.created(irc.created), rp.myInfo(version: "chatd-\(ChatDaemonVersion.string)", userModes: "i", channelModes: "nt"),
        ]
        burst += rp.isupport(irc.isupport)
        burst.append(rp.luserClient(users: hub.nicknames.count, invisible: 0, servers: 1))
        burst.append(rp.luserChannels(hub.rooms.count))
        burst.append(rp.luserMe(clients: hub.connectionCount.load(ordering: .relaxed), servers: 1))
        burst += rp.motd(limits.motd)
        send(conn, burst)
        protectRegisteredName(conn)
    }

    /// Idle for `--irc-ping-interval`: send a PING; still silent `--irc-ping-timeout` later:
    /// drop the client with "Ping timeout" (the quit reason the others see).
    func ircPingTimer(_ conn: Connection) {
        guard let state = conn.irc, conn.closeReason == nil else { return }
        let idle = loop.now &- conn.lastActivity
        if state.pingSent {
            if idle >= irc.pingInterval &+ irc.pingTimeout {
                let seconds = irc.pingTimeout / 1_000_000_000
                closeGracefully(
                    conn, .pingTimeout, error: "Closing Link: \(conn.name.isEmpty ? "*" : conn.name) (Ping timeout: \(seconds) seconds)",
                    reason: "ping timeout", quit: "Ping timeout: \(seconds) seconds")
            } else {
                schedule(conn, .ircPing, at: conn.lastActivity &+ irc.pingInterval &+ irc.pingTimeout)
            }
            return
        }
        if idle >= irc.pingInterval {
            state.pingSent = true
            send(conn, IRCMessage(source: irc.serverName, command: "PING", params: [irc.serverName]))
            schedule(conn, .ircPing, at: loop.now &+ irc.pingTimeout)
        } else {
            schedule(conn, .ircPing, at: conn.lastActivity &+ irc.pingInterval)
        }
    }
}
