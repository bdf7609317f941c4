import ChatProtocol
import EventLoop
import IRCProtocol
import Logging
import Room

/// Channel moderation for IRC clients (Modern IRC MODE, TOPIC, KICK, INVITE, KILL), on the same
/// hub calls as the framed and browser commands; every refusal is its numeric. chatd's own
/// verbs MUTE, UNMUTE, GBAN, GUNBAN, GBANS and ANNOUNCE take the framed commands' arguments
/// (irssi and WeeChat send an unknown `/mute …` as `MUTE …`).
extension LoopWorker {
    /// Handles the moderation verbs; false for every other message.
    func executeIRCModeration(_ m: IRCMessage, for conn: Connection) -> Bool {
        let rp = ircReply(conn)
        let p = m.params
        switch m.verb {
        case "MODE":
            guard let channel = p.first, channel.hasPrefix("#") else { return false }
            channelMode(channel, Array(p.dropFirst()), conn, rp)
        case "TOPIC":
            guard let channel = p.first else { send(conn, rp.needMoreParams("TOPIC")); break }
            topicIRC(channel, text: p.count > 1 ? p[1] : nil, conn, rp)
        case "KICK":
            guard p.count >= 2 else { send(conn, rp.needMoreParams("KICK")); break }
            guard let room = existingRoom(p[0]) else { send(conn, rp.noSuchChannel(p[0])); break }
            let reason = p.count > 2 ? p[2] : ""
            for nick in p[1].split(separator: ",").prefix(IRCServerSettings.maxKickTargets) {
                if let refusal = hub.kick(String(nick), reason: reason, from: room, by: moderator(conn), currentLoop: loop.index) {
                    send(conn, ircRefusal(refusal, channel: p[0], rp))
                }
            }
        case "INVITE":
            guard p.count >= 2 else { send(conn, rp.needMoreParams("INVITE")); break }
            let (nick, channel) = (p[0], p[1])
            guard let target = hub.nicknames.lookup(nick) else { send(conn, rp.noSuchNick(nick)); break }
            guard let room = existingRoom(channel) else { send(conn, rp.noSuchChannel(channel)); break }
            if target.id != .none && room.contains(target.id) { send(conn, rp.userOnChannel(nick: target.name, channel: channel)); break }
            switch hub.invite(target.name, to: room, by: moderator(conn), currentLoop: loop.index) {
            case .failure(let refusal): send(conn, ircRefusal(refusal, channel: channel, rp))
            case .success(let id):
                send(conn, rp.inviting(nick: target.name, channel: channel))
                if id != .none {
                    hub.send(RoomEvent(kind: .notice, room: nil, source: conn.source,
                                       text: "invites you to \(channel) (/join \(channel))", time: RoomEvent.now()),
                             to: id, currentLoop: loop.index)
                }
            }
        case "KILL":
            guard let nick = p.first else { send(conn, rp.needMoreParams("KILL")); break }
            guard isAdmin(conn) else { send(conn, rp.noPrivileges()); break }
            guard hub.nicknames.lookup(nick) != nil else { send(conn, rp.noSuchNick(nick)); break }
            executeAdministration(.kill(nick, reason: p.count > 1 ? p[1] : ""), for: conn)
        case "MUTE", "UNMUTE", "GBAN", "GUNBAN", "GBANS", "ANNOUNCE":
            chatdVerb(m, conn, rp)
        default:
            return false
        }
        return true
    }

    /// MUTE #chan NICK [TIME], UNMUTE #chan NICK, GBAN MASK [TIME] [REASON], GUNBAN MASK, GBANS,
    /// ANNOUNCE TEXT: the framed command line, with the channel taken off the front.
    private func chatdVerb(_ m: IRCMessage, _ conn: Connection, _ rp: IRCReply) {
        var params = m.params
        var room: Room?
        if m.verb == "MUTE" || m.verb == "UNMUTE" {
            guard let channel = params.first, params.count >= 2 else { return send(conn, rp.needMoreParams(m.verb)) }
            guard let r = existingRoom(channel) else { return send(conn, rp.noSuchChannel(channel)) }
            room = r
            params.removeFirst()
        }
        let line = "/" + m.verb.lowercased() + (params.isEmpty ? "" : " " + params.joined(separator: " "))
        switch ChatCommand.parse(line) {
        case .moderation(let command): executeModeration(command, in: room, for: conn)
        case .invalid(let reason): send(conn, rp.notice(reason))
        default: send(conn, rp.unknownCommand(m.command))
        }
    }

    private func channelMode(_ channel: String, _ args: [String], _ conn: Connection, _ rp: IRCReply) {
        guard let room = existingRoom(channel) else { return send(conn, rp.noSuchChannel(channel)) }
        guard let modes = args.first else {
            let (flags, key) = room.modes
            // The key is shown to members only, as ircds do.
            let keyArgs = key.map { conn.membershipIndex(of: room) != nil ? [$0] : ["*"] } ?? []
            return send(conn, rp.channelModeIs(channel: channel, modes: "+n" + flags.text + (key == nil ? "" : "k"), arguments: keyArgs),
                        rp.creationTime(channel: channel, created: 0))
        }
        let requests: [ModeRequest]
        switch ModeString.parse(modes, arguments: Array(args.dropFirst())) {
        case .failure(let e):
            if let letter = e.unknownLetter { return send(conn, rp.unknownMode(String(letter))) }
            return send(conn, rp.needMoreParams("MODE"))
        case .success(let r): requests = r
        }
        // `b` without a mask (`MODE #c b`, `MODE #c +b`): the ban list, 367 per ban then 368.
        if requests.contains(where: { $0.letter == "b" && $0.argument == nil }) {
            var lines = room.bans.map { rp.banList(channel: channel, mask: $0.mask.description, setter: $0.setBy, setAt: Int($0.setAt / 1000)) }
            lines.append(rp.endOfBanList(channel: channel))
            send(conn, lines)
        }
        let changes: [RoomModeChange]
        switch Self.roomModeChanges(requests) {
        case .failure(let e):
            return send(conn, rp.invalidModeParameter(target: channel, mode: "b", parameter: e.mask ?? "", description: e.reason))
        case .success(let c): changes = c
        }
        guard !changes.isEmpty else { return }
        let result = hub.changeModes(changes, in: room, by: moderator(conn), currentLoop: loop.index)
        for refusal in result.refusals { send(conn, ircRefusal(refusal, channel: channel, rp)) }
    }

    private func topicIRC(_ channel: String, text: String?, _ conn: Connection, _ rp: IRCReply) {
        guard let room = existingRoom(channel) else { return send(conn, rp.noSuchChannel(channel)) }
        guard let text else {
            if let topic = room.topic, !topic.text.isEmpty {
                return send(conn, rp.topic(channel: channel, topic: topic.text),
                            rp.topicWhoTime(channel: channel, setter: topic.setBy, setAt: Int(topic.time)))
            }
            return send(conn, rp.noTopic(channel: channel))
        }
        if let refusal = hub.topicRefusal(in: room, by: moderator(conn)) { return send(conn, ircRefusal(refusal, channel: channel, rp)) }
        let bounded = String(text.utf8.prefix(Self.maxTopicBytes)) ?? text
        let event = RoomEvent(kind: .topic, room: room.name, source: conn.source, text: bounded, time: RoomEvent.now())
        hub.publish(event, in: room, sender: conn.id, except: .none, currentLoop: loop.index)
    }

    /// The numeric of a refusal (Modern IRC): 482, 442, 441, 478; the rest as a server NOTICE.
    func ircRefusal(_ refusal: ModerationRefusal, channel: String, _ rp: IRCReply) -> IRCMessage {
        switch refusal {
        case .notOperator: rp.channelOperatorPrivilegesNeeded(channel)
        case .notInRoom: rp.notOnChannel(channel)
        case .targetNotInRoom(let nick, _): rp.userNotInChannel(nick: nick, channel: channel)
        case .banListFull: rp.banListFull(channel: channel)
        case .founderProtected, .noSuchBan, .tooManyOperators, .tooManyMutes: rp.notice(refusal.description)
        }
    }

    /// A refused join's numeric: 474 (+b), 473 (+i), 475 (+k).
    func ircJoinRefusal(_ refusal: AdmissionRefusal, channel: String, _ rp: IRCReply) -> IRCMessage {
        switch refusal {
        case .banned: rp.bannedFromChannel(channel)
        case .inviteOnly: rp.inviteOnlyChannel(channel)
        case .badKey: rp.badChannelKey(channel)
        }
    }
}
