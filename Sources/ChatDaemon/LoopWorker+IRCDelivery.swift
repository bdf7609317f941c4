import EventLoop
import IRCProtocol
import Room

/// What IRC clients are shown: room events (shared encodings), joins (JOIN, topic, NAMES, then
/// history as a `chathistory` batch) and private messages.
extension LoopWorker {
    /// `.deliver` to the loop's IRC members of a room: one tagged encoding for all, sent from
    /// past the tag to clients without server-time.
    @inline(__always)
    func deliverIRC(_ event: RoomEvent, to list: [Connection], except: ConnectionID) {
        guard let tagged = IRCEncoding.bytes(for: event) else { return }
        var plain: (SharedBytes, Int)?
        let shared = event.action
        for conn in list where conn.id != except {
            guard let state = conn.irc else { continue }
            if event.kind == .away && !state.awayNotify { continue }
            if shared != 0 {
                // A nick change or quit reaches a client once, however many rooms it shares.
                if state.lastAction == shared { continue }
                state.lastAction = shared
            }
            if event.kind == .join && state.extendedJoin, let bytes = IRCEncoding.extendedJoin(for: event) {
                enqueue(bytes, from: state.serverTime || state.accountTag ? 0 : IRCEncoding.tagSectionLength(bytes), to: conn)
            } else if state.serverTime || state.accountTag {
                enqueue(tagged, to: conn)
            } else {
                if plain == nil { plain = IRCEncoding.plain(for: event, tagged: tagged) }
                if let (bytes, offset) = plain { enqueue(bytes, from: offset, to: conn) }
            }
        }
    }

    /// A private message to an IRC client: encoded for this one recipient (its nick is the target).
    func deliverDirectIRC(_ event: RoomEvent, to conn: Connection) {
        guard let state = conn.irc,
              let bytes = IRCEncoding.encode(
                  event, serverTime: state.serverTime, target: conn.name, msgid: state.messageTags, accountTag: state.accountTag)
        else { return }
        enqueue(bytes, to: conn)
    }

    /// `.joined` for an IRC client, in the order clients expect (Modern IRC "JOIN"): the JOIN
    /// echo, 332/333 when a topic is set, 353/366, then the room's history.
    func showJoinIRC(_ conn: Connection, _ joined: JoinedRoom) {
        guard let state = conn.irc else { return }
        let channel = IRCNames.channel(forRoom: joined.room.name)
        let rp = ircReply(conn)
        var tags: [IRCTag] = []
        if state.serverTime { tags.append(IRCTag("time", IRCServerTime.format(millisecondsSince1970: RoomEvent.now()))) }
        let joinParams = state.extendedJoin ? [channel, conn.accountName ?? "*", conn.irc?.registration.realname ?? conn.name] : [channel]
        if state.accountTag, let account = conn.accountName { tags.append(IRCTag("account", account)) }
        var lines = [IRCMessage(tags: tags, source: conn.source.mask, command: "JOIN", params: joinParams)]
        if let topic = joined.topic, !topic.text.isEmpty {
            lines.append(rp.topic(channel: channel, topic: topic.text))
            lines.append(rp.topicWhoTime(channel: channel, setter: topic.setBy, setAt: Int(topic.time)))
        }
        lines += rp.namesReply(channel: channel, names: (joined.prefixedRoster ?? [conn.name]).sorted())
        lines.append(rp.endOfNames(channel: channel))
        send(conn, lines)
        // A draft/chathistory client asks for what it lacks (CHATHISTORY LATEST), as soju expects.
        guard !joined.history.isEmpty, !state.chatHistory else { return }
        if state.batch {
            // IRCv3 batch + chathistory: the replay is marked as such, every line with its time.
            state.batches &+= 1
            let id = "h\(state.batches)"
            send(conn, IRCMessage(source: irc.serverName, command: "BATCH", params: ["+" + id, "chathistory", channel]))
            for event in joined.history {
                if let bytes = IRCEncoding.encode(event, serverTime: true, batch: id, msgid: state.messageTags, accountTag: state.accountTag) {
                    reply(conn, bytes)
                }
            }
            send(conn, IRCMessage(source: irc.serverName, command: "BATCH", params: ["-" + id]))
        } else {
            send(conn, IRCMessage(
                source: irc.serverName, command: "NOTICE", params: [channel, "history: \(joined.history.count) messages"]))
            for event in joined.history {
                if state.serverTime {
                    if let bytes = IRCEncoding.bytes(for: event) { reply(conn, bytes) }
                } else if let tagged = IRCEncoding.bytes(for: event), let (bytes, offset) = IRCEncoding.plain(for: event, tagged: tagged) {
                    conn.outbound.enqueue(bytes, from: offset)
                    markDirty(conn)
                }
            }
            send(conn, IRCMessage(source: irc.serverName, command: "NOTICE", params: [channel, "end of history"]))
        }
    }
}
