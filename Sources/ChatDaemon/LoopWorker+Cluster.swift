import IRCProtocol
import Room

/// What the cluster link (`--cluster`) hands a loop beyond room traffic.
extension LoopWorker {
    /// A framed client in no room: only after a join the cluster could not complete.
    static let inNoRoom = "not sent: you are in no room; /join one"

    /// A join that waited for the room's past was refused (the cluster link stayed down past
    /// the bound, `ClusterLink.Settings.joinWait`): the connection is no member of the room, and
    /// is told why in its protocol. A framed client, in one room at a time, is then in none
    /// until it joins again.
    func joinRefused(_ id: ConnectionID, room: Room, sequence: UInt32, reason: String) {
        guard let conn = connection(for: id), conn.closeReason == nil, let i = conn.membershipIndex(of: room),
              conn.rooms[i].sequence == sequence, conn.rooms[i].index < 0
        else { return }
        conn.rooms.remove(at: i)
        let text = "cannot join #\(room.name): \(reason)"
        switch conn.wire {
        case .framed: reply(conn, FramedEncoding.error(text))
        case .irc: send(conn, ircReply(conn).unavailableResource(IRCNames.channel(forRoom: room.name), reason: text))
        case .http: reply(conn, WebEncoding.error("join_failed", text))
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }
}

extension LoopWorker {
    /// IRC WHO of a room: its members on other nodes (`--cluster`), as their join showed them.
    /// Away state and real name live on their own node: shown as here, and the nickname.
    func whoElsewhere(_ rp: IRCReply, _ room: Room, channel: String, into lines: inout [IRCMessage]) {
        for s in room.remoteMembers.prefix(max(0, 1000 - lines.count)) {
            lines.append(rp.whoReply(channel: channel, user: s.user, host: s.host, server: irc.serverName, nick: s.nick,
                                     flags: "H", realname: s.nick))
        }
    }
}
