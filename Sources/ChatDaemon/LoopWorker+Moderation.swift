import ChatProtocol
import EventLoop
import Logging
import Room

/// Room moderation and server administration for framed and browser users (`ModerationCommand`):
/// the same commands, answered with each protocol's notices and errors (`serverNotice`,
/// `refuse`). IRC maps its own verbs onto the same hub calls (LoopWorker+IRCModeration.swift).
extension LoopWorker {
    /// Whether the connection is logged in as one of the configured admins.
    func isAdmin(_ conn: Connection) -> Bool {
        conn.accountName.map { limits.admins.contains(NameKey.fold($0)) } ?? false
    }

    func identity(_ conn: Connection) -> MemberIdentity {
        MemberIdentity(nick: conn.name, account: conn.accountName, address: conn.address, isAdmin: isAdmin(conn))
    }

    func moderator(_ conn: Connection) -> Moderator {
        Moderator(id: conn.id, source: conn.source, identity: identity(conn))
    }

    /// `room`: the room the command is about (the framed client's room; the browser names one).
    func executeModeration(_ command: ModerationCommand, in room: Room?, for conn: Connection) {
        switch command {
        case .kill, .gban, .gunban, .gbans, .announce: return executeAdministration(command, for: conn)
        default: break
        }
        guard let room else { return refuse("join a room first", to: conn) }
        let actor = moderator(conn)
        switch command {
        case .op(let name): applyModes([.op(name, on: true)], in: room, for: conn)
        case .deop(let name): applyModes([.op(name, on: false)], in: room, for: conn)
        case .voice(let name): applyModes([.voice(name, on: true)], in: room, for: conn)
        case .devoice(let name): applyModes([.voice(name, on: false)], in: room, for: conn)
        case .ban(let text, let duration): ban(text, on: true, for: duration, in: room, by: conn)
        case .unban(let text): ban(text, on: false, for: nil, in: room, by: conn)
        case .bans:
            let bans = room.bans
            if bans.isEmpty { return serverNotice("no bans in #\(room.name)", to: conn) }
            serverNotice("bans in #\(room.name):", to: conn)
            let now = RoomEvent.now()
            for ban in bans {
                let left = ban.expires.map { ", \(ChatHub.durationText(max(1000, $0 - now))) left" } ?? ""
                serverNotice("\(ban.mask) (by \(ban.setBy)\(left))", to: conn)
            }
        case .kick(let name, let reason):
            if let refusal = hub.kick(name, reason: reason, from: room, by: actor, currentLoop: loop.index) {
                refuse(refusal.description, to: conn)
            }
        case .mute(let name, let duration):
            if let refusal = hub.mute(name, for: duration, in: room, by: actor, currentLoop: loop.index) {
                refuse(refusal.description, to: conn)
            }
        case .unmute(let name):
            if let refusal = hub.unmute(name, in: room, by: actor, currentLoop: loop.index) { refuse(refusal.description, to: conn) }
        case .topic(nil):
            if let topic = room.topic, !topic.text.isEmpty {
                serverNotice("topic of #\(room.name): \(topic.text) (set by \(topic.setBy))", to: conn)
            } else {
                serverNotice("#\(room.name) has no topic", to: conn)
            }
        case .topic(let text?):
            setTopic(text, in: room, for: conn)
        case .mode([]):
            let (flags, key) = room.modes
            serverNotice("modes of #\(room.name): +n\(flags.text)\(key == nil ? "" : "k")", to: conn)
        case .mode(let requests):
            switch Self.roomModeChanges(requests) {
            case .failure(let e): refuse(e.reason, to: conn)
            case .success(let changes): applyModes(changes, in: room, for: conn)
            }
        case .invite(let name):
            guard let target = hub.nicknames.lookup(name) else { return refuse("no such user: \(name)", to: conn) }
            switch hub.invite(target.name, to: room, by: actor, currentLoop: loop.index) {
            case .failure(let refusal): refuse(refusal.description, to: conn)
            case .success(let id):
                if id != .none {
                    hub.send(RoomEvent(kind: .notice, room: nil, source: conn.source,
                                       text: "invites you to #\(room.name) (/join \(room.name))", time: RoomEvent.now()),
                             to: id, currentLoop: loop.index)
                }
            }
        case .kill, .gban, .gunban, .gbans, .announce:
            break
        }
    }

    func ban(_ text: String, on: Bool, for duration: Int64?, in room: Room, by conn: Connection) {
        switch BanMask.parse(text) {
        case .failure(let e): refuse("invalid mask \(text): \(e)", to: conn)
        case .success(let mask): applyModes([.ban(mask, on: on, expiresIn: duration)], in: room, for: conn)
        }
    }

    func applyModes(_ changes: [RoomModeChange], in room: Room, for conn: Connection) {
        let result = hub.changeModes(changes, in: room, by: moderator(conn), currentLoop: loop.index)
        for refusal in result.refusals { refuse(refusal.description, to: conn) }
    }

    /// `/topic TEXT`: `+t` rooms need an operator; the topic is a room event (and saved).
    func setTopic(_ text: String, in room: Room, for conn: Connection) {
        if let refusal = hub.topicRefusal(in: room, by: moderator(conn)) { return refuse(refusal.description, to: conn) }
        let bounded = String(text.utf8.prefix(Self.maxTopicBytes)) ?? text
        let event = RoomEvent(kind: .topic, room: room.name, source: conn.source, text: bounded, time: RoomEvent.now())
        hub.publish(event, in: room, sender: conn.id, except: .none, currentLoop: loop.index)
    }

    /// ISUPPORT TOPICLEN.
    static let maxTopicBytes = 390

    /// Mode letters → Room's changes; `b` without a mask (the list query) is left to the caller.
    static func roomModeChanges(_ requests: [ModeRequest]) -> Result<[RoomModeChange], ModeRefusal> {
        var changes: [RoomModeChange] = []
        for r in requests {
            switch r.letter {
            case "i", "m", "s", "t": changes.append(.flag(RoomModes.flag(r.letter)!, on: r.adding))
            case "n": continue  // always on: only members send to a room
            case "k": changes.append(.key(r.adding ? r.argument : nil))
            case "o": changes.append(.op(r.argument ?? "", on: r.adding))
            case "v": changes.append(.voice(r.argument ?? "", on: r.adding))
            case "b":
                guard let text = r.argument else { continue }
                switch BanMask.parse(text) {
                case .failure(let e): return .failure(ModeRefusal(reason: "invalid mask \(text): \(e)", mask: text))
                case .success(let mask): changes.append(.ban(mask, on: r.adding))
                }
            default: return .failure(ModeRefusal(reason: "unknown mode '\(r.letter)'", mask: nil))
            }
        }
        return .success(changes)
    }

    struct ModeRefusal: Error {
        let reason: String
        /// The mask that is not one (IRC 696 names it).
        let mask: String?
    }

    // MARK: server administration

    func executeAdministration(_ command: ModerationCommand, for conn: Connection) {
        guard isAdmin(conn) else { return refuse("only server admins can do that (log in to an admin account)", to: conn) }
        switch command {
        case .kill(let name, let reason):
            guard let target = hub.nicknames.lookup(name), target.id != .none else { return refuse("no such user: \(name)", to: conn) }
            logger.notice("user killed by an admin", metadata: meta(conn, reason: "\(target.name): \(reason)"))
            hub.disconnect(target.id, notice: "killed by \(conn.name)" + (reason.isEmpty ? "" : ": \(reason)"))
            serverNotice("killed \(target.name)", to: conn)
        case .gban(let text, let duration, let reason):
            switch BanMask.parse(text) {
            case .failure(let e): refuse("invalid mask \(text): \(e)", to: conn)
            case .success(let mask):
                let now = RoomEvent.now()
                let ban = ServerBan(mask: mask, reason: reason, setBy: conn.name, setAt: now, expires: duration.map { now + $0 })
                switch hub.serverBans.add(ban) {
                case .failure(let e): refuse(e.description, to: conn)
                case .success:
                    logger.notice("server ban added", metadata: meta(conn, reason: "\(mask)"))
                    hub.enforce(ban)
                    serverNotice("server ban \(mask) added" + (duration.map { " for \(ChatHub.durationText($0))" } ?? ""), to: conn)
                }
            }
        case .gunban(let text):
            guard case .success(let mask) = BanMask.parse(text), hub.serverBans.remove(mask) else {
                return refuse("no server ban \(text)", to: conn)
            }
            serverNotice("server ban \(mask) removed", to: conn)
        case .gbans:
            let bans = hub.serverBans.list()
            serverNotice(bans.isEmpty ? "no server bans" : "server bans:", to: conn)
            for ban in bans.prefix(Self.maxListed) {
                serverNotice("\(ban.mask) (by \(ban.setBy)\(ban.reason.isEmpty ? "" : ": \(ban.reason)"))", to: conn)
            }
        case .announce(let text):
            announceEverywhere(text, from: conn.name)
            serverNotice("announced", to: conn)
        default:
            break
        }
    }

    /// A notice from the server to every room (`/announce`, like `chatd ctl announce`).
    func announceEverywhere(_ text: String, from name: String) {
        let source = EventSource(nick: FramedEncoding.serverName, user: "chatd", host: "announce")
        for info in hub.rooms.list() {
            guard let room = hub.rooms.existing(named: info.name) else { continue }
            let event = RoomEvent(kind: .notice, room: room.name, source: source, text: "[\(name)] \(text)", time: RoomEvent.now())
            hub.publish(event, in: room, except: .none, currentLoop: loop.index)
        }
    }

    /// chatd.v1 `command`: the framed command text, about a room the browser is in (any room
    /// for the administration commands).
    func commandWeb(_ conn: Connection, room: String, text: String) {
        switch ChatCommand.parse(text) {
        case .moderation(let command):
            var target: Room?
            if case .success(let name) = Names.validateRoom(room), let i = conn.membershipIndex(roomKey: NameKey.fold(name)) {
                target = conn.rooms[i].room
            }
            executeModeration(command, in: target, for: conn)
        case .invalid(let reason): webError(conn, "bad-command", reason)
        default: webError(conn, "bad-command", "not a moderation command: use the chatd.v1 message for it")
        }
    }

    /// A new server ban closes the connections it matches at once, with its reason.
    func enforce(_ ban: ServerBan) {
        for case let conn? in slots where conn.closeReason == nil && conn.phase == .active && banned(conn, by: ban) {
            logger.notice("connection closed: server ban", metadata: meta(conn, reason: "\(ban.mask)"))
            closeGracefully(conn, .kicked, error: ban.refusal, reason: "server ban", quit: "banned")
        }
    }

    /// At log-in: a server-banned account is closed with the ban's reason. True when it was.
    func refuseServerBanned(_ conn: Connection, account: String) -> Bool {
        guard let ban = hub.serverBans.match(account: account) else { return false }
        logger.notice("connection closed: server ban", metadata: meta(conn, reason: "\(ban.mask)"))
        closeGracefully(conn, .refused, error: ban.refusal, reason: "server ban", quit: "banned")
        return true
    }

    func banned(_ conn: Connection, by ban: ServerBan) -> Bool {
        switch ban.mask {
        case .account(let key): conn.accountName.map(NameKey.fold) == key
        case .address(let network): IPNetwork.address(conn.address).map(network.contains) ?? false
        case .nick: false
        }
    }

    /// `/rooms`, IRC LIST: secret rooms (`+s`) only for their members and admins.
    func visibleRooms(to conn: Connection) -> [(name: String, members: Int)] {
        let admin = isAdmin(conn)
        return hub.rooms.list().filter { info in
            admin || conn.membershipIndex(roomKey: NameKey.fold(info.name)) != nil
                || !(hub.rooms.existing(named: info.name)?.isSecret ?? false)
        }
    }

    /// `.kicked`: the room already dropped the member and showed the kick; the loop drops its
    /// membership. A framed client (always in one room) goes back to the lobby.
    func kicked(_ conn: Connection, roomID: Int) {
        guard let i = conn.rooms.firstIndex(where: { $0.room.id == roomID }) else { return }
        let room = conn.rooms[i].room
        removeLocalMember(conn, at: i)
        hub.rooms.removeIfUnused(room)
        if conn.wire == .framed && NameKey.fold(room.name) != RoomDirectory.lobby { join(conn, room: RoomDirectory.lobby) }
    }
}
