import ChatProtocol
import EventLoop
import Logging
import Room
import WebProtocol

/// chatd.v1 (docs/PROTOCOLS.md): what a browser asks for and what it is shown. Names follow the
/// rules of every protocol (`Names`); room traffic goes through the hub like framed and IRC
/// traffic. A browser's own messages come back to it through the room (as IRC's echo-message),
/// so it sees them with their room sequence and server time, in the room's order.
extension LoopWorker {
    func sendWeb(_ conn: Connection, _ json: [UInt8]) {
        reply(conn, WebEncoding.frame(json))
    }

    func webError(_ conn: Connection, _ code: String, _ text: String) {
        reply(conn, WebEncoding.error(code, text))
    }

    func handleChatV1(_ conn: Connection, _ payload: UnsafeRawBufferPointer) {
        let message: ChatV1ClientMessage
        switch ChatV1ClientMessage.decode(payload) {
        case .failure(let error): return webError(conn, "bad-message", error.reason)
        case .success(let decoded): message = decoded
        }
        guard conn.phase == .active else {
            guard case .hello(let nick) = message else { return webError(conn, "hello-first", "send hello with a nickname first") }
            return helloWeb(conn, nick: nick)
        }
        messagesIn &+= 1
        switch message {
        case .hello:
            webError(conn, "already-welcomed", "you are \(conn.name) already; use nick to change it")
        case .nick(let wanted):
            guard case .success(let name) = Names.validateUsername(wanted) else {
                return webError(conn, "nick-invalid", Self.nameProblem(wanted))
            }
            if name != conn.name && !rename(conn, to: name) { webError(conn, "nick-taken", "nickname \(name) is taken") }
        case .join(let room, let key):
            joinWeb(conn, room, key: key)
        case .command(let room, let text):
            commandWeb(conn, room: room, text: text)
        case .part(let room):
            guard let joined = webRoom(conn, room) else { return }
            partWeb(conn, joined)
        case .say(let room, let text), .me(let room, let text):
            guard !text.isEmpty else { return webError(conn, "empty-message", "empty message") }
            guard let joined = webRoom(conn, room) else { return }
            let kind: RoomEventKind = if case .me = message { .action } else { .message }
            let event = RoomEvent(kind: kind, room: joined.name, source: conn.source, text: text, time: RoomEvent.now())
            if let refusal = hub.publish(event, in: joined, sender: conn.id, except: .none, currentLoop: loop.index) {
                webError(conn, "not_sent", refusal.description)
            }
        case .msg(let to, let text):
            guard !text.isEmpty else { return webError(conn, "empty-message", "empty message") }
            guard let target = privateTarget(to) else { return webError(conn, "no-such-user", "no such user: \(to)") }
            sendPrivate(.message, text, from: conn, to: target)
            let time = RoomEvent.now()
            sendWeb(conn, ChatV1ServerMessage.privateMessage(from: conn.name, to: target.name, text: text, time: time))
        case .who(let room):
            guard case .success(let name) = Names.validateRoom(room), let found = hub.rooms.existing(named: name) else {
                return webError(conn, "no-such-room", "no such room: \(room)")
            }
            sendWeb(conn, ChatV1ServerMessage.who(room: found.name, members: Array(found.memberNames.sorted().prefix(Self.maxWebListed))))
        case .rooms:
            let rooms = visibleRooms(to: conn).sorted { $0.members > $1.members }.prefix(Self.maxWebListed)
            sendWeb(conn, ChatV1ServerMessage.rooms(Array(rooms)))
        case .history(let room, let before, let limit):
            guard let joined = webRoom(conn, room) else { return }
            guard before.map({ $0 > 0 }) ?? true else { return webError(conn, "bad-message", "\"before\" must be positive") }
            let events = hub.archive?.page(room: joined.name, before: before.map(UInt64.init), limit: limit)
                ?? joined.historyPage(before: before.map(UInt64.init), limit: limit)
            // A full page means older messages may exist.
            sendWeb(conn, Self.historyMessage(room: joined.name, events, more: events.count == limit))
        }
    }

    /// Lists in replies (`who`, `rooms`) are capped so one reply stays a bounded size.
    static let maxWebListed = 1000

    func helloWeb(_ conn: Connection, nick: String) {
        guard case .success(let name) = Names.validateUsername(nick) else {
            return webError(conn, "nick-invalid", Self.nameProblem(nick))
        }
        guard hub.nicknames.claim(name, for: conn.id, user: name, host: "web", realName: name) else {
            return webError(conn, "nick-taken", "nickname \(name) is taken")
        }
        conn.name = name
        conn.user = name
        conn.host = "web"
        conn.phase = .active
        staleTimers &+= 1  // its handshake timer
        logger.info("user logged in", metadata: meta(conn))
        sendWeb(conn, ChatV1ServerMessage.welcome(nick: name))
        if let motd = limits.motd, !motd.isEmpty { sendWeb(conn, ChatV1ServerMessage.notice(motd)) }
        protectRegisteredName(conn)
    }

    static func nameProblem(_ name: String) -> String {
        if case .failure(let error) = Names.validateUsername(name) { return error.description }
        return "invalid nickname"
    }

    /// The room `name` if the connection is in it; otherwise tells the client and returns nil.
    func webRoom(_ conn: Connection, _ name: String) -> Room? {
        if case .success(let valid) = Names.validateRoom(name), let i = conn.membershipIndex(roomKey: NameKey.fold(valid)) {
            return conn.rooms[i].room
        }
        webError(conn, "not-in-room", "you are not in #\(name)")
        return nil
    }

    func joinWeb(_ conn: Connection, _ room: String, key: String? = nil) {
        let name: String
        switch Names.validateRoom(room) {
        case .failure(let error): return webError(conn, "room-invalid", error.description)
        case .success(let valid): name = valid
        }
        if conn.membershipIndex(roomKey: NameKey.fold(name)) != nil { return }
        guard conn.rooms.count < WebServerSettings.maxRooms else {
            return webError(conn, "too-many-rooms", "you are in \(WebServerSettings.maxRooms) rooms already")
        }
        conn.joinSequence &+= 1
        let sequence = conn.joinSequence
        switch hub.join(conn.id, source: conn.source, roomName: name, sequence: sequence, currentLoop: loop.index, wantsRoster: true,
                        identity: identity(conn), key: key) {
        case .failure(let error):
            conn.joinSequence &-= 1
            webError(conn, "join-failed", error.description)
        case .success(let joined):
            conn.rooms.append(Membership(room: joined, sequence: sequence))
            logger.debug("joined room", metadata: meta(conn))
        }
    }

    func partWeb(_ conn: Connection, _ room: Room) {
        guard let i = conn.membershipIndex(of: room) else { return }
        removeLocalMember(conn, at: i)
        let event = RoomEvent(kind: .part, room: room.name, source: conn.source, text: "", time: RoomEvent.now())
        hub.leave(conn.id, room: room, event: event, currentLoop: loop.index)
    }

    /// `.joined` for a browser: the member list (`who`), then the room's history (`history`,
    /// possibly empty: it also tells the page the join is complete).
    func showJoinWeb(_ conn: Connection, _ joined: JoinedRoom) {
        let members = (joined.roster ?? [conn.name]).sorted()
        sendWeb(conn, ChatV1ServerMessage.who(room: joined.room.name, members: Array(members.prefix(Self.maxWebListed))))
        // The replay holds at most `--history` messages: a full one may have older ones behind it.
        let past = joined.history
        sendWeb(conn, Self.historyMessage(room: joined.room.name, past, more: !past.isEmpty && past.count >= limits.history))
    }

    /// `more` says whether older messages may exist: the page then offers to load them.
    static func historyMessage(room: String, _ events: [RoomEvent], more: Bool) -> [UInt8] {
        ChatV1ServerMessage.history(room: room, events: events.compactMap(WebEncoding.chatV1), more: more)
    }

    /// A private message for a browser user.
    func deliverDirectWeb(_ event: RoomEvent, to conn: Connection) {
        if let bytes = WebEncoding.privateMessage(event, to: conn.name) { enqueue(bytes, to: conn) }
    }
}
