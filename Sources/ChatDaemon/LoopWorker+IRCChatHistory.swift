import ChatProtocol
import IRCProtocol
import Room

/// IRCv3 `draft/chathistory`: scroll-back for IRC clients, answered from the room archive (the
/// history store) as a `chathistory` batch whose lines carry `time` and `msgid`. Offered only
/// when the daemon has an archive (`--history-store sqlite`, the default).
///
/// References become exclusive sequence bounds: a `msgid` is the archived event's own sequence;
/// a `timestamp` T is "the events with time > T" as a lower bound and "time < T" as an upper
/// bound (found with the store's time index, since a room's order is its sequence, not its clock).
extension LoopWorker {
    /// `CHATHISTORY=` in 005: the most one request returns (more is capped, not refused).
    static let chatHistoryLimit = 100
    /// A sequence bound above every sequence (the store binds sequences as SQLite integers).
    static let unboundedSequence = UInt64(Int64.max)

    func chatHistory(_ m: IRCMessage, for conn: Connection) {
        guard let state = conn.irc, let archive = hub.archive else {
            return send(conn, ircReply(conn).unknownCommand(m.command))
        }
        let request: IRCChatHistoryRequest
        switch IRCChatHistoryRequest.parse(m.params) {
        case .success(let r): request = r
        case .failure(let f): return send(conn, f.message(server: irc.serverName))
        }
        let sub = request.subcommand.rawValue
        guard let key = archiveKey(conn, request.target) else {
            let f = IRCChatHistoryRequest.Failure("INVALID_TARGET", [sub, request.target], "Messages could not be retrieved")
            return send(conn, f.message(server: irc.serverName))
        }
        let limit = min(request.limit, Self.chatHistoryLimit)
        let events = selection(request, key: key, archive: archive).map { archive.select(room: key, $0, limit: limit) } ?? []
        state.batches &+= 1
        let id = "h\(state.batches)"
        send(conn, IRCMessage(source: irc.serverName, command: "BATCH", params: ["+" + id, "chathistory", request.target]))
        // Topics are archived too, but without draft/event-playback (not offered) a client
        // expects only PRIVMSG and NOTICE in the batch.
        for event in events where event.kind != .topic {
            // A private message is shown as it was delivered: to the requester, or by the
            // requester to the other nick (the target asked for).
            let target = NameKey.fold(event.source.nick) == NameKey.fold(conn.name) ? request.target : conn.name
            if let bytes = IRCEncoding.encode(event, serverTime: true, target: target, batch: id, msgid: true) {
                reply(conn, bytes)
            }
        }
        send(conn, IRCMessage(source: irc.serverName, command: "BATCH", params: ["-" + id]))
    }

    /// The archive's name for a CHATHISTORY target: a valid channel's room (history is public:
    /// anyone may join and get the replay), or, with `--history-private`, the conversation of
    /// the requester's nick with the target nick. nil: not a target with history.
    func archiveKey(_ conn: Connection, _ target: String) -> String? {
        if target.hasPrefix("#") {
            // The archive knows a room by the name it was created with; the request may differ in case.
            guard let name = roomName(target) else { return nil }
            return hub.rooms.existing(named: name)?.name ?? name
        }
        guard limits.historyPrivate, case .success = IRCNames.validateNick(target), case .success = Names.validateUsername(target)
        else { return nil }
        return PrivateConversation.key(conn.name, target)
    }

    /// What the request selects, nil when a reference names nothing of this target (an
    /// unknown or pruned msgid, a timestamp past the newest event for AFTER): an empty batch.
    func selection(_ r: IRCChatHistoryRequest, key: String, archive: any RoomArchive) -> ArchiveSelection? {
        switch r.subcommand {
        case .latest:
            if r.reference == .unbounded { return .latest }
            guard let lower = lowerBound(r.reference, key, archive) else { return nil }
            return .between(lower: lower, upper: Self.unboundedSequence, newestFirst: true)
        case .before:
            return upperBound(r.reference, key, archive).map(ArchiveSelection.before)
        case .after:
            return lowerBound(r.reference, key, archive).map(ArchiveSelection.after)
        case .around:
            return upperBound(r.reference, key, archive).map(ArchiveSelection.around)
        case .between:
            guard let second = r.secondReference else { return nil }
            // Newer reference first: the events nearest it (IRCv3: "starting from the first").
            let descending: Bool
            switch (r.reference, second) {
            case (.timestamp(let a), .timestamp(let b)): descending = a > b
            default:
                guard let a = upperBound(r.reference, key, archive), let b = upperBound(second, key, archive) else { return nil }
                descending = a > b
            }
            let (older, newer) = descending ? (second, r.reference) : (r.reference, second)
            guard let lower = lowerBound(older, key, archive), let upper = upperBound(newer, key, archive) else { return nil }
            return .between(lower: lower, upper: upper, newestFirst: descending)
        }
    }

    /// The exclusive lower bound "after this reference".
    func lowerBound(_ ref: IRCMessageReference, _ key: String, _ archive: any RoomArchive) -> UInt64? {
        switch ref {
        case .unbounded: return 0
        case .msgid(let text): return sequence(ofMessage: text, key, archive)
        case .timestamp(let t):
            guard let first = archive.firstSequence(room: key, atOrAfter: t &+ 1) else { return nil }
            return first &- 1
        }
    }

    /// The exclusive upper bound "before this reference".
    func upperBound(_ ref: IRCMessageReference, _ key: String, _ archive: any RoomArchive) -> UInt64? {
        switch ref {
        case .unbounded: return Self.unboundedSequence
        case .msgid(let text): return sequence(ofMessage: text, key, archive)
        case .timestamp(let t): return archive.firstSequence(room: key, atOrAfter: t) ?? Self.unboundedSequence
        }
    }

    /// The sequence of the archived event with msgid `text` if it belongs to `key` (a msgid of
    /// another room or conversation names nothing here).
    func sequence(ofMessage text: String, _ key: String, _ archive: any RoomArchive) -> UInt64? {
        guard let id = Int64(text), id > 0, let found = archive.locate(id: id), found.room == key else { return nil }
        return found.sequence
    }
}
