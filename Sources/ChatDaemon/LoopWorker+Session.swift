import EventLoop
import IRCProtocol
import Logging
import Room

/// What every protocol's session shares: renames, private messages, leaving rooms, and the few
/// points where a protocol shows something its own way (a join, a private message, a goodbye).
/// The `switch conn.wire` statements of the daemon live here and in `decode`, nowhere else.
extension LoopWorker {
    /// Shows a completed join to the joiner (`.joined`), then starts live delivery.
    func showJoin(_ conn: Connection, _ joined: JoinedRoom, membership i: Int) {
        switch conn.wire {
        case .framed: showJoinFramed(conn, joined)
        case .irc: showJoinIRC(conn, joined)
        case .http: showJoinWeb(conn, joined)
        case .metrics: ListenScheme.notAChatProtocol()
        }
        addLocalMember(conn, at: i)
    }

    /// A private message for `conn` (`.direct`).
    func deliverDirect(_ event: RoomEvent, to conn: Connection) {
        switch conn.wire {
        case .framed: if let bytes = FramedEncoding.encode(event) { enqueue(bytes, to: conn) }
        case .irc: deliverDirectIRC(event, to: conn)
        case .http: deliverDirectWeb(event, to: conn)
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    /// A `*` line from the server (framed notice, IRC server NOTICE, chatd.v1 notice).
    func serverNotice(_ text: String, to conn: Connection) {
        switch conn.wire {
        case .framed: reply(conn, FramedEncoding.notice(text))
        case .irc: send(conn, ircReply(conn).notice(text))
        case .http: reply(conn, WebEncoding.notice(text))
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    /// Something `conn` sent was not taken (the client stays connected): a framed error, an
    /// IRC server NOTICE, a chatd.v1 error with code `not_sent`.
    func refuse(_ reason: String, to conn: Connection) {
        switch conn.wire {
        case .framed: reply(conn, FramedEncoding.error(reason))
        case .irc: send(conn, ircReply(conn).notice(reason))
        case .http: reply(conn, WebEncoding.error("not_sent", reason))
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    /// The connection's last words before a close: an error or a notice, in its protocol.
    func goodbye(_ conn: Connection, error: String?, notice: String?) -> SharedBytes? {
        switch conn.wire {
        case .framed:
            if let error { return FramedEncoding.error(error) }
            return notice.map(FramedEncoding.notice)
        case .irc:
            guard let text = error ?? notice else { return nil }
            return IRCEncoding.line(IRCReply(server: irc.serverName).error(text))
        case .http:
            return webGoodbye(conn, error: error, notice: notice)
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    /// Tells a renamed user who is in no room (members hear it through the rooms).
    func showOwnRename(_ conn: Connection, old: EventSource) {
        switch conn.wire {
        case .framed: reply(conn, FramedEncoding.notice("\(old.nick) is now known as \(conn.name)"))
        case .irc: reply(conn, IRCEncoding.line(IRCMessage(source: old.mask, command: "NICK", params: [conn.name])))
        case .http: reply(conn, WebEncoding.notice("\(old.nick) is now known as \(conn.name)"))
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    /// Takes the (already validated) name `name` for `conn` and announces it in every room the
    /// user is in, as one action; false when someone else has the name.
    func rename(_ conn: Connection, to name: String) -> Bool {
        guard hub.nicknames.rename(conn.name, to: name, for: conn.id) else { return false }
        let old = conn.source
        conn.name = name
        if conn.rooms.isEmpty {
            showOwnRename(conn, old: old)
        } else {
            let action = hub.nextAction()
            let time = RoomEvent.now()
            for m in conn.rooms {
                let event = RoomEvent(kind: .nick, room: m.room.name, source: old, text: name, time: time, action: action)
                hub.renamed(conn.id, in: m.room, event: event, currentLoop: loop.index)
            }
        }
        logger.info("user renamed", metadata: meta(conn, reason: "was \(old.nick)"))
        protectRegisteredName(conn)
        return true
    }

    /// A private message (or action, or notice) from `conn` to `target`, archived under the two
    /// nicknames with `--history-private`. Returns the event (its `archiveID` set when archived).
    @discardableResult
    func sendPrivate(_ kind: RoomEventKind, _ text: String, from conn: Connection, to target: NicknameRegistry.Entry)
        -> RoomEvent
    {
        let event = RoomEvent(kind: kind, room: nil, source: conn.source, text: text, time: RoomEvent.now())
        if target.id == .none, let relay = hub.relay {
            relay.sendPrivate(event, to: target.name, sender: conn.id)
            return event
        }
        hub.send(event, to: target.id, currentLoop: loop.index, archiveAs: limits.historyPrivate ? (conn.name, target.name) : nil)
        return event
    }

    /// The user a private message to `name` is for: on this node, or with `--cluster` anywhere
    /// (`Entry.elsewhere`; a name nobody holds is refused by the relay afterwards).
    func privateTarget(_ name: String) -> NicknameRegistry.Entry? {
        if let local = hub.nicknames.lookup(name) { return local }
        return hub.relay == nil ? nil : .elsewhere(name)
    }

    /// Leaves every room, telling the others with a quit event (`reason`; nil = silently).
    func leaveAllRooms(_ conn: Connection, quitReason reason: String?) {
        let action = reason == nil ? 0 : hub.nextAction()
        let time = RoomEvent.now()
        while let m = conn.rooms.last {
            removeLocalMember(conn, at: conn.rooms.count - 1)
            let event = reason.map { RoomEvent(kind: .quit, room: m.room.name, source: conn.source, text: $0, time: time, action: action) }
            hub.leave(conn.id, room: m.room, event: event, currentLoop: loop.index)
        }
    }
}
