import EventLoop
import IRCProtocol
import Room

extension EventSource {
    /// `nick!user@host`: the IRC source of everything this user does.
    var mask: String { "\(nick)!\(user)@\(host)" }
}

/// IRC bytes of room events (Modern IRC message format, IRCv3 server-time and message-ids). A
/// room event is encoded once for all IRC recipients with its tags first (`@time=…`, and
/// `;msgid=…` when the history store archived it, for CHATHISTORY references); recipients that
/// did not negotiate server-time are sent the same bytes from past the tag section. Clients
/// that negotiated server-time but not message-tags get the msgid too: one shared encoding per
/// event keeps deliveries allocation-free, and tag parsing is generic in IRCv3 clients. Text
/// from other protocols that does not fit one line (longer than 512 bytes, or with line breaks)
/// becomes several lines; then the tag-less recipients need their own copy, made once in a
/// second slot.
public enum IRCEncoding {
    /// The slot of the tag-less copy of multi-line encodings.
    static let plainSlot = ProtocolSlot.irc + 1

    /// One message as a shared line (replies, numerics); an unwritable message becomes nothing.
    static func line(_ message: IRCMessage) -> SharedBytes {
        lines([message])
    }

    static func lines(_ messages: [IRCMessage]) -> SharedBytes {
        var buffer: [UInt8] = []
        for m in messages { try? m.write(into: &buffer) }
        return SharedBytes.make(buffer)
    }

    /// The tagged encoding every IRC member of the event's room shares; nil when IRC clients are
    /// not shown the event.
    @inline(__always)
    public static func bytes(for event: RoomEvent) -> SharedBytes? {
        if let done = event.encoded(slot: ProtocolSlot.irc) { return done }
        guard let fresh = encode(event, serverTime: true, msgid: true, accountTag: true) else { return nil }
        return event.storeEncoding(fresh, slot: ProtocolSlot.irc)
    }

    /// For recipients without server-time: the tagged bytes and the offset to send them from,
    /// or (for multi-line encodings) a tag-less copy.
    public static func plain(for event: RoomEvent, tagged: SharedBytes) -> (SharedBytes, Int)? {
        if isSingleLine(tagged) { return (tagged, tagSectionLength(tagged)) }
        if let done = event.encoded(slot: plainSlot) { return (done, 0) }
        guard let fresh = encode(event, serverTime: false) else { return nil }
        return (event.storeEncoding(fresh, slot: plainSlot), 0)
    }

    /// The extended-join form of a join event, shared by the IRC members that negotiated it. Joins
    /// are never multi-line, so the tag-less copy's slot is free to hold it.
    static func extendedJoin(for event: RoomEvent) -> SharedBytes? {
        if let done = event.encoded(slot: plainSlot) { return done }
        guard let fresh = encode(event, serverTime: true, msgid: true, accountTag: true, extendedJoin: true) else { return nil }
        return event.storeEncoding(fresh, slot: plainSlot)
    }

    /// Bytes of the leading tag section (`@…` and the space after it), 0 without one.
    static func tagSectionLength(_ bytes: SharedBytes) -> Int {
        bytes.withBytes { b in
            guard b.first == UInt8(ascii: "@"), let space = b.firstIndex(of: 0x20) else { return 0 }
            return space &+ 1
        }
    }

    static func isSingleLine(_ bytes: SharedBytes) -> Bool {
        bytes.withBytes { b in
            var lines = 0
            for byte in b where byte == 0x0A { lines &+= 1 }
            return lines == 1
        }
    }

    /// Encodes `event` (for a private message: to `target`), optionally with the server-time tag,
    /// a batch tag (history replay) and, with `msgid`, the archive's id of the event (IRCv3
    /// message-ids; CHATHISTORY references it).
    static func encode(
        _ event: RoomEvent, serverTime: Bool, target privateTarget: String? = nil, batch: String? = nil, msgid: Bool = false,
        accountTag: Bool = false, extendedJoin: Bool = false
    ) -> SharedBytes? {
        let source = event.source.mask
        let target = event.room.map(IRCNames.channel(forRoom:)) ?? privateTarget ?? "*"
        let time: Int64? = serverTime ? event.time : nil
        var extra = batch.map { [IRCTag("batch", $0)] } ?? []
        if msgid && event.archiveID > 0 { extra.append(IRCTag("msgid", String(event.archiveID))) }
        // IRCv3 account-tag: in the shared tagged copy, like msgid (see the type's comment).
        if accountTag, let account = event.source.account { extra.append(IRCTag("account", account)) }
        var buffer: [UInt8] = []
        switch event.kind {
        case .message, .notice, .action:
            let kind: IRCChatKind = event.kind == .notice ? .notice : .privmsg
            let ok = event.withText { text -> Bool in
                var offset = 0
                repeat {
                    guard let line = IRCChatLine.append(
                        kind, source: source, target: target, text: UnsafeRawBufferPointer(rebasing: text[offset...]),
                        action: event.kind == .action, serverTime: time, tags: extra, to: &buffer)
                    else { return false }
                    offset &+= line.textConsumed
                } while offset < text.count
                return true
            }
            guard ok else { return nil }
        default:
            var tags: [IRCTag] = []
            if let time { tags.append(IRCTag("time", IRCServerTime.format(millisecondsSince1970: time))) }
            tags += extra
            let params: [String]
            let command: String
            switch event.kind {
            case .join:
                // IRCv3 extended-join: `JOIN <channel> <account|*> :<realname>`; chatd shows the
                // nick as the real name (other protocols have none, and IRC's is not kept on events).
                (command, params) = ("JOIN", extendedJoin ? [target, event.source.account ?? "*", event.source.nick] : [target])
            case .part: (command, params) = ("PART", event.textCount == 0 ? [target] : [target, IRCReply.text(event.text)])
            case .quit: (command, params) = ("QUIT", [event.textCount == 0 ? "Client Quit" : IRCReply.text(event.text)])
            case .nick: (command, params) = ("NICK", [event.text])
            case .topic: (command, params) = ("TOPIC", [target, IRCReply.text(event.text)])
            case .away: (command, params) = ("AWAY", event.textCount == 0 ? [] : [IRCReply.text(event.text)])
            case .mode: (command, params) = ("MODE", [target] + event.text.split(separator: " ").map(String.init))
            case .kick:
                let (nick, reason) = ModerationText.kick(event.text)
                (command, params) = ("KICK", [target, nick, IRCReply.text(reason.isEmpty ? nick : reason)])
            // Mutes and invites have no IRC command of their own: a NOTICE from the moderator.
            case .moderation: (command, params) = ("NOTICE", [target, IRCReply.text(event.text)])
            case .message, .notice, .action: return nil
            }
            do {
                try IRCMessage(tags: tags, source: source, command: command, params: params).write(into: &buffer)
            } catch {
                return nil
            }
        }
        return SharedBytes.make(buffer)
    }
}
