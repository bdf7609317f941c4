import ChatProtocol
import EventLoop
import IRCProtocol
import Logging
import Room

/// Commands of a registered IRC client (Modern IRC; replies and error numerics with the exact
/// layouts of `IRCReply`). Room traffic goes through the hub like framed traffic.
extension LoopWorker {
    func executeIRC(_ m: IRCMessage, for conn: Connection) {
        guard let state = conn.irc else { return }
        if executeIRCModeration(m, for: conn) { return }
        let rp = ircReply(conn)
        let p = m.params
        switch m.verb {
        case "PING":
            guard let token = p.first, !token.isEmpty else { return send(conn, rp.noOrigin()) }
            send(conn, rp.pong(token: token))
        case "PONG":
            break  // any input already counts as life
        case "CAP", "PASS", "USER":
            perform(state.registration.handle(m), for: conn)
            if m.verb == "CAP" { state.apply(capabilities: state.registration.capabilities) }
        case "NICK":
            guard let wanted = p.first, !wanted.isEmpty else { return send(conn, rp.noNicknameGiven()) }
            guard case .success = IRCNames.validateNick(wanted), case .success = Names.validateUsername(wanted) else {
                return send(conn, rp.erroneousNickname(wanted))
            }
            if wanted == conn.name { return }
            if !rename(conn, to: wanted) { send(conn, rp.nicknameInUse(wanted)) }
        case "JOIN":
            guard let list = p.first, !list.isEmpty else { return send(conn, rp.needMoreParams("JOIN")) }
            if list == "0" {
                while let last = conn.rooms.last { partIRC(conn, last.room, reason: "") }
                return
            }
            let keys = p.count > 1 ? p[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
            for (i, channel) in list.split(separator: ",").map(String.init).enumerated() {
                joinIRC(conn, channel, key: i < keys.count && !keys[i].isEmpty ? keys[i] : nil, rp)
            }
        case "PART":
            guard let list = p.first, !list.isEmpty else { return send(conn, rp.needMoreParams("PART")) }
            let reason = p.count > 1 ? p[1] : ""
            for channel in list.split(separator: ",").map(String.init) {
                guard let room = memberRoom(conn, channel) else {
                    send(conn, roomExists(channel) ? rp.notOnChannel(channel) : rp.noSuchChannel(channel))
                    continue
                }
                partIRC(conn, room, reason: reason)
            }
        case "PRIVMSG", "NOTICE":
            let notice = m.verb == "NOTICE"
            guard let target = p.first, !target.isEmpty else {
                return notice ? () : send(conn, rp.noRecipient(command: m.verb))
            }
            guard p.count > 1, !p[1].isEmpty else { return notice ? () : send(conn, rp.noTextToSend()) }
            chat(conn, target: target, text: p[1], notice: notice, rp)
        case "NAMES":
            guard let channel = p.first else { return send(conn, rp.endOfNames(channel: "*")) }
            if let room = existingRoom(channel) {
                send(conn, rp.namesReply(channel: channel, names: room.prefixedMemberNames.sorted()))
            }
            send(conn, rp.endOfNames(channel: channel))
        case "LIST":
            var lines = [rp.listStart()]
            for r in visibleRooms(to: conn).prefix(1000) {
                lines.append(rp.list(channel: IRCNames.channel(forRoom: r.name), count: r.members, topic: ""))
            }
            lines.append(rp.listEnd())
            send(conn, lines)
        case "WHO":
            let mask = p.first ?? "*"
            var lines: [IRCMessage] = []
            if let room = existingRoom(mask) {
                for name in room.memberNames.prefix(1000) {
                    if let e = hub.nicknames.lookup(name) { lines.append(who(rp, e, channel: mask)) }
                }
                whoElsewhere(rp, room, channel: mask, into: &lines)
            } else if let e = hub.nicknames.lookup(mask) {
                lines.append(who(rp, e, channel: "*"))
            }
            lines.append(rp.endOfWho(mask: mask))
            send(conn, lines)
        case "WHOIS":
            guard let nick = p.last, !nick.isEmpty else { return send(conn, rp.noNicknameGiven()) }
            guard let e = hub.nicknames.lookup(nick) else { return send(conn, rp.noSuchNick(nick), rp.endOfWhois(nick: nick)) }
            var lines = [rp.whoisUser(nick: e.name, user: e.user, host: e.host, realname: e.realName)]
            lines.append(rp.whoisServer(nick: e.name, server: irc.serverName, info: irc.networkName))
            if let away = e.away { lines.append(rp.away(nick: e.name, message: away)) }
            lines.append(rp.endOfWhois(nick: e.name))
            send(conn, lines)
        case "MODE":
            guard let target = p.first else { return send(conn, rp.needMoreParams("MODE")) }
            if NameKey.fold(target) == NameKey.fold(conn.name) {
                send(conn, p.count < 2 ? rp.userModeIs("+i") : rp.unknownModeFlag())
            } else if hub.nicknames.lookup(target) == nil {
                send(conn, rp.noSuchNick(target))
            } else {
                send(conn, rp.usersDontMatch())
            }
        case "AWAY":
            let text = p.first.map { String($0.utf8.prefix(390)) ?? $0 } ?? ""
            hub.nicknames.setAway(conn.name, for: conn.id, message: text.isEmpty ? nil : text)
            send(conn, text.isEmpty ? rp.unaway() : rp.nowAway())
            for mship in conn.rooms {
                let event = RoomEvent(kind: .away, room: mship.room.name, source: conn.source, text: text, time: RoomEvent.now())
                hub.publish(event, in: mship.room, except: conn.id, currentLoop: loop.index)
            }
        case "ISON":
            let nicks = p.flatMap { $0.split(separator: " ").map(String.init) }
            send(conn, rp.isOn(nicks.compactMap { hub.nicknames.lookup($0)?.name }))
        case "USERHOST":
            let replies = p.prefix(5).compactMap { nick -> String? in
                guard let e = hub.nicknames.lookup(nick) else { return nil }
                return "\(e.name)=\(e.away == nil ? "+" : "-")\(e.user)@\(e.host)"
            }
            if p.isEmpty { return send(conn, rp.needMoreParams("USERHOST")) }
            send(conn, rp.userHost(replies))
        case "CHATHISTORY":
            chatHistory(m, for: conn)
        case "QUIT":
            let reason = p.first.map { "Quit: " + $0 } ?? "Client Quit"
            closeGracefully(conn, .quit, error: "Closing Link: \(conn.name) (\(reason))", reason: "quit", quit: reason)
        default:
            send(conn, rp.unknownCommand(m.command))
        }
    }

    func who(_ rp: IRCReply, _ e: NicknameRegistry.Entry, channel: String) -> IRCMessage {
        rp.whoReply(channel: channel, user: e.user, host: e.host, server: irc.serverName, nick: e.name,
                    flags: e.away == nil ? "H" : "G", realname: e.realName)
    }

    /// `#name` → the room's name, if it is a valid channel and room name.
    func roomName(_ channel: String) -> String? {
        guard channel.hasPrefix("#"), case .success = IRCNames.validateChannel(channel),
              case .success(let name) = Names.validateRoom(channel)
        else { return nil }
        return name
    }

    func roomExists(_ channel: String) -> Bool { existingRoom(channel) != nil }

    /// The existing room a channel names (NAMES, TOPIC, WHO, MODE do not create rooms).
    func existingRoom(_ channel: String) -> Room? {
        guard let name = roomName(channel) else { return nil }
        return hub.rooms.existing(named: name)
    }

    func memberRoom(_ conn: Connection, _ channel: String) -> Room? {
        guard let name = roomName(channel), let i = conn.membershipIndex(roomKey: NameKey.fold(name)) else { return nil }
        return conn.rooms[i].room
    }

    func joinIRC(_ conn: Connection, _ channel: String, key: String? = nil, _ rp: IRCReply) {
        guard let name = roomName(channel) else { return send(conn, rp.noSuchChannel(channel)) }
        if conn.membershipIndex(roomKey: NameKey.fold(name)) != nil { return }
        guard conn.rooms.count < IRCServerSettings.maxChannels else { return send(conn, rp.tooManyChannels(channel)) }
        conn.joinSequence &+= 1
        let sequence = conn.joinSequence
        switch hub.join(conn.id, source: conn.source, roomName: name, sequence: sequence, currentLoop: loop.index, wantsRoster: true,
                        identity: identity(conn), key: key) {
        case .failure(.refused(let refusal)):
            conn.joinSequence &-= 1
            send(conn, ircJoinRefusal(refusal, channel: channel, rp))
        case .failure:
            send(conn, rp.noSuchChannel(channel))
        case .success(let room):
            conn.rooms.append(Membership(room: room, sequence: sequence))
            logger.debug("joined room", metadata: meta(conn))
        }
    }

    func partIRC(_ conn: Connection, _ room: Room, reason: String) {
        guard let i = conn.membershipIndex(of: room) else { return }
        removeLocalMember(conn, at: i)
        let event = RoomEvent(kind: .part, room: room.name, source: conn.source, text: reason, time: RoomEvent.now())
        hub.leave(conn.id, room: room, event: event, currentLoop: loop.index)
        // The leaver sees its own PART (the room's copy excludes it).
        if let bytes = IRCEncoding.encode(event, serverTime: conn.irc?.serverTime ?? false) { reply(conn, bytes) }
    }

    /// PRIVMSG/NOTICE to a channel or a nick. CTCP ACTION is `/me`; other CTCP requests are not
    /// relayed into rooms (framed clients would see raw \x01 bytes).
    func chat(_ conn: Connection, target: String, text: String, notice: Bool, _ rp: IRCReply) {
        var kind: RoomEventKind = notice ? .notice : .message
        var body = text
        if let action = CTCP.actionText(text) {
            kind = .action
            body = String(action)
        } else if CTCP.parse(text) != nil {
            return
        }
        let echo = conn.irc?.echoMessage ?? false
        if target.hasPrefix("#") {
            guard let room = memberRoom(conn, target) else {
                if notice { return }
                return send(conn, roomExists(target) ? rp.cannotSendToChannel(target) : rp.noSuchChannel(target))
            }
            let event = RoomEvent(kind: kind, room: room.name, source: conn.source, text: body, time: RoomEvent.now())
            // echo-message: the sender gets its own message back through the room, in order.
            if hub.publish(event, in: room, sender: conn.id, except: echo ? .none : conn.id, currentLoop: loop.index) != nil, !notice {
                send(conn, rp.cannotSendToChannel(target))
            }
            return
        }
        guard let entry = privateTarget(target) else { return notice ? () : send(conn, rp.noSuchNick(target)) }
        let event = sendPrivate(kind, body, from: conn, to: entry)
        if echo {
            let tags = conn.irc.map { ($0.serverTime, $0.messageTags) } ?? (false, false)
            if let bytes = IRCEncoding.encode(event, serverTime: tags.0, target: entry.name, msgid: tags.1) { reply(conn, bytes) }
        }
        if !notice, let away = entry.away { send(conn, rp.away(nick: entry.name, message: away)) }
    }
}
