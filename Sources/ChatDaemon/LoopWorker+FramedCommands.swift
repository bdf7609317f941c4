import ChatProtocol
import EventLoop
import Logging
import Room

/// Slash commands (DESIGN.md §2). Replies are `*` notices to the sender; everything that
/// touches other connections goes through the hub so it is ordered with the room's traffic.
extension LoopWorker {
    /// Lines of `/who` and `/rooms` replies are capped so a reply stays a bounded size.
    static let maxListed = 100

    func execute(_ input: ChatInput, for conn: Connection) {
        switch input {
        case .message(let text):
            // "//text" → "/text": relayed like any message.
            say(.message, text, from: conn)
        case .join(let roomName, let key):
            if let current = conn.room, NameKey.fold(current.name) == NameKey.fold(roomName) {
                reply(conn, FramedEncoding.notice("you are already in #\(current.name)"))
                return
            }
            join(conn, room: roomName, key: key)
        case .moderation(let command):
            executeModeration(command, in: conn.room, for: conn)
        case .leave:
            if let current = conn.room, NameKey.fold(current.name) == RoomDirectory.lobby {
                reply(conn, FramedEncoding.notice("you are in #\(RoomDirectory.lobby); /quit to leave the server"))
                return
            }
            join(conn, room: RoomDirectory.lobby)
        case .rooms:
            let all = visibleRooms(to: conn)
            var text = "rooms: " + all.prefix(Self.maxListed).map { "#\($0.name) (\($0.members))" }.joined(separator: ", ")
            if all.count > Self.maxListed { text += ", … and \(all.count - Self.maxListed) more" }
            reply(conn, FramedEncoding.notice(text))
        case .who:
            guard let room = conn.room else { return }
            let names = room.memberNames
            var text = "in #\(room.name): " + names.prefix(Self.maxListed).joined(separator: ", ")
            if names.count > Self.maxListed { text += ", … and \(names.count - Self.maxListed) more" }
            reply(conn, FramedEncoding.notice(text))
        case .nick(let newName):
            switch Names.validateUsername(newName) {
            case .failure(let e): reply(conn, FramedEncoding.error(e.description))
            case .success(let name):
                if !rename(conn, to: name) { reply(conn, FramedEncoding.error("username \(name) is taken")) }
            }
        case .privateMessage(let to, let text):
            guard let target = privateTarget(to) else {
                reply(conn, FramedEncoding.error("no such user: \(to)"))
                return
            }
            sendPrivate(.message, text, from: conn, to: target)
            reply(conn, FramedEncoding.notice("(private to \(target.name)) \(text)"))
        case .me(let text):
            say(.action, text, from: conn)
        case .history(let before, let limit):
            showHistory(conn, before: before, limit: min(limit ?? Self.historyPage, Self.maxHistoryPage))
        case .privateHistory(let name, let before, let limit):
            showPrivateHistory(conn, with: name, before: before, limit: min(limit ?? Self.historyPage, Self.maxHistoryPage))
        case .account(let command):
            executeAccount(command, for: conn)
        case .help:
            for line in ChatCommand.helpText + ModerationCommand.helpText { reply(conn, FramedEncoding.notice(line)) }
        case .quit:
            closeGracefully(conn, .quit, notice: "bye", reason: "quit")
        case .invalid(let text):
            reply(conn, FramedEncoding.error(text))
        }
    }

    /// A framed client's message or action in its room.
    func say(_ kind: RoomEventKind, _ text: String, from conn: Connection) {
        guard let room = conn.room else { return reply(conn, FramedEncoding.error(Self.inNoRoom)) }
        let event = RoomEvent(kind: kind, room: room.name, source: conn.source, text: text, time: RoomEvent.now())
        if let refusal = hub.publish(event, in: room, sender: conn.id, except: conn.id, currentLoop: loop.index) {
            reply(conn, FramedEncoding.error(refusal.description))
        }
    }

    /// Joins `room`, leaving the current one afterwards (so a failed join leaves the client
    /// where it was).
    func join(_ conn: Connection, room roomName: String, key: String? = nil) {
        conn.joinSequence &+= 1
        let sequence = conn.joinSequence
        switch hub.join(conn.id, source: conn.source, roomName: roomName, sequence: sequence, currentLoop: loop.index,
                        identity: identity(conn), key: key) {
        case .failure(let e):
            conn.joinSequence &-= 1
            reply(conn, FramedEncoding.error(e.description))
        case .success(let room):
            if let old = conn.room {
                removeLocalMember(conn, at: 0)
                let part = RoomEvent(kind: .part, room: old.name, source: conn.source, text: "", time: RoomEvent.now())
                hub.leave(conn.id, room: old, event: part, currentLoop: loop.index)
            }
            conn.rooms = [Membership(room: room, sequence: sequence)]
            logger.debug("joined room", metadata: meta(conn))
        }
    }

    /// `/history` pages: the default and the most one reply holds.
    static let historyPage = 50
    static let maxHistoryPage = 500

    /// `/history [N]`, `/history before SEQ [N]`: a page of the room's archived messages,
    /// bracketed like the join replay; the header names the first and last sequence numbers so
    /// the client can ask for the page before. The archive read runs on this loop: an indexed
    /// read of at most `maxHistoryPage` rows (page cache, WAL: no wait for the writer).
    func showHistory(_ conn: Connection, before: UInt64?, limit: Int) {
        guard let room = conn.room else { return }
        let events = hub.archive?.page(room: room.name, before: before, limit: limit)
            ?? room.historyPage(before: before, limit: limit)
        replyHistory(conn, events, place: "in #\(room.name)", before: before)
    }

    /// `/history @NAME …`: a page of the archived private conversation with NAME, when the
    /// server keeps private messages (`--history-private`). Each line says who wrote it.
    func showPrivateHistory(_ conn: Connection, with name: String, before: UInt64?, limit: Int) {
        guard limits.historyPrivate, let archive = hub.archive else {
            return reply(conn, FramedEncoding.error("this server does not keep private messages"))
        }
        guard case .success(let other) = Names.validateUsername(name) else {
            return reply(conn, FramedEncoding.error("no such user: \(name)"))
        }
        let events = archive.page(room: PrivateConversation.key(conn.name, other), before: before, limit: limit)
        replyHistory(conn, events, place: "with \(other)", before: before)
    }

    /// A history page bracketed by notices; the header names the first and last sequence numbers.
    func replyHistory(_ conn: Connection, _ events: [RoomEvent], place: String, before: UInt64?) {
        let page = events.compactMap { e in
            FramedEncoding.bytes(for: e).map { (e.sequence, $0) }
        }
        guard let first = page.first?.0, let last = page.last?.0 else {
            let when = before.map { " before \($0)" } ?? ""
            reply(conn, FramedEncoding.notice("no history\(when) \(place)"))
            return
        }
        reply(conn, FramedEncoding.notice("history: \(page.count) messages \(place), \(first) to \(last)"))
        for (_, bytes) in page { reply(conn, bytes) }
        reply(conn, FramedEncoding.notice("end of history"))
    }

    /// The framed side of `.joined`: history bracketed by notices.
    func showJoinFramed(_ conn: Connection, _ joined: JoinedRoom) {
        // Said when the join completes: with --cluster a room new to this node first reads its
        // past (and members) from Redis, and the join may yet be refused (`joinRefused`).
        if NameKey.fold(joined.room.name) != RoomDirectory.lobby || joined.sequence > 1 {
            reply(conn, FramedEncoding.notice("you joined #\(joined.room.name) (\(joined.room.memberCount) members)"))
        }
        let past = joined.history
        guard !past.isEmpty else { return }
        reply(conn, FramedEncoding.notice("history: \(past.count) messages in #\(joined.room.name)"))
        for event in past {
            if let bytes = FramedEncoding.bytes(for: event) { reply(conn, bytes) }
        }
        reply(conn, FramedEncoding.notice("end of history"))
    }
}
