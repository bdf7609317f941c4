import EventLoop
import Logging
import Redis
import Room
import Synchronization

/// Presence cluster-wide: who is in a room on every node, and the cluster's room list.
///
/// A room's members live in Redis beside its order (`ClusterKeys.members`, `.nodes`), changed
/// only by scripts that also number and publish the change (`ClusterScripts.presence`): a
/// join, part, quit or rename is an entry of the room's stream like a message, so every node
/// applies them in one order, recovers missed ones from the stream like messages, and a
/// snapshot's member set agrees with its last number. Each node refreshes its presence in
/// each of its rooms every third of the lease (`heartbeat`); a node that stops (killed, cut
/// off) has its members reaped by the next script touching the room after its lease, which
/// numbers a `gone` entry per member — so they vanish everywhere within lease + one heartbeat.
extension ClusterLink {
    var presenceLeaseMilliseconds: [UInt8] { Array(String(settings.nicknameLease / 1_000_000).utf8) }

    /// `EVALSHA script 4 meta log members nodes maxlen epoch channel origin lease extra…`.
    func presenceCommand(_ script: ClusterScripts.Index, _ keys: ClusterKeys, _ extra: [[UInt8]]) -> [UInt8] {
        let epochCandidate = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        var args: [[UInt8]] = [
            Array("EVALSHA".utf8), Array(scriptHash(script.rawValue).utf8), Array("4".utf8),
            Array(keys.meta.utf8), Array(keys.log.utf8), Array(keys.members.utf8), Array(keys.nodes.utf8),
            Array(String(settings.streamLength).utf8), Array(epochCandidate.utf8), Array(keys.channel.utf8),
            Array(origin.utf8), presenceLeaseMilliseconds,
        ]
        args.append(contentsOf: extra)
        return RESPCommand.encode(args)
    }

    /// The join record of a member: who it is now, as the members hash keeps it.
    func joinRecord(_ source: EventSource, room: Room, id: ConnectionID, time: Int64) -> [UInt8] {
        RelayedEvent(kind: .join, time: time, except: id.rawValue, origin: origin, room: room.name,
                     nick: source.nick, user: source.user, host: source.host, text: []).encoded
    }

    /// A member of this node joined, left or was renamed. While the link is down nothing is
    /// sent: the reconnect re-asserts the room's members as they are then.
    func publishPresence(_ event: RoomEvent, in room: Room, member id: ConnectionID) {
        guard canPublish else { return }
        let keys = ClusterKeys(roomName: room.name)
        let payload = RelayedEvent(event, room: room.name, origin: origin, except: id).encoded
        let member = Array(ClusterKeys.member(origin: origin, id: id.rawValue).utf8)
        var change: [[UInt8]]
        switch event.kind {
        case .join:
            change = [Array("set".utf8), payload]
        case .nick:
            let renamed = EventSource(nick: event.text, user: event.source.user, host: event.source.host)
            change = [Array("set".utf8), joinRecord(renamed, room: room, id: id, time: event.time)]
        case .part, .quit:
            change = [Array("del".utf8)]
        default:
            change = [Array("keep".utf8)]
        }
        commands.send(presenceCommand(.presence, keys, [payload, member] + change), flush: false)
        enqueuePendingReply(.presence)
    }

    /// Every third of the lease: this node's presence in each of its rooms (reaping dead nodes'
    /// members there), and its room list for everyone's `/rooms`.
    func heartbeat() {
        guard canPublish else { return }
        for (key, tracked) in rooms where tracked.stream.synced && !tracked.room.isRemoved {
            commands.send(presenceCommand(.heartbeat, ClusterKeys(roomName: tracked.room.name), []), flush: false)
            enqueuePendingReply(.heartbeat(room: key))
        }
        var args: [[UInt8]] = [
            Array("EVALSHA".utf8), Array(scriptHash(ClusterScripts.Index.listing.rawValue).utf8), Array("1".utf8),
            Array(ClusterKeys.liveNodes.utf8), Array(origin.utf8), presenceLeaseMilliseconds,
        ]
        for r in hubRooms?.localList() ?? [] where r.members > 0 {
            args.append(Array(r.name.utf8))
            args.append(Array(String(r.members).utf8))
        }
        commands.send(RESPCommand.encode(args), flush: false)
        enqueuePendingReply(.listing)
    }

    /// Makes Redis hold exactly this node's members of the room (after a reconnect, or when its
    /// presence there had lapsed and was reaped).
    func reassert(_ key: String) {
        guard canPublish, let tracked = rooms[key], !tracked.room.isRemoved else { return }
        var pairs: [[UInt8]] = []
        let now = RoomEvent.now()
        for m in tracked.room.localMembers {
            pairs.append(Array(ClusterKeys.member(origin: origin, id: m.id.rawValue).utf8))
            pairs.append(joinRecord(m.source, room: tracked.room, id: m.id, time: now))
        }
        commands.send(presenceCommand(.reassert, ClusterKeys(roomName: tracked.room.name), pairs), flush: false)
        enqueuePendingReply(.reassert)
    }

    /// The listing script's flat room / count pairs of the other live nodes.
    func listingArrived(_ value: RedisValue) {
        guard let flat = value.array else {
            return logger.error("cluster room listing: unexpected reply", metadata: ["chat.reason": "\(value)"])
        }
        var listed: [(name: String, members: Int)] = []
        var i = 0
        while i + 1 < flat.count {
            if let name = flat[i].text, let n = flat[i + 1].integer, n > 0 {
                listed.append((name, Int(clamping: n)))
            } else {
                status.malformed.add(1, ordering: .relaxed)
            }
            i += 2
        }
        hubRooms?.setElsewhere(listed)
    }

    /// The snapshot's members hash (flat field / join record pairs) as the other nodes'
    /// members; this node's own are its local ones, not Redis's.
    func remoteMembers(_ flat: [RedisValue]) -> [String: EventSource] {
        var out: [String: EventSource] = [:]
        var i = 0
        while i + 1 < flat.count {
            defer { i += 2 }
            guard let member = flat[i].text, ClusterKeys.isMember(member), let record = flat[i + 1].bytes,
                  case .event(let e)? = try? ClusterEntry(decoding: record), e.kind == .join
            else {
                status.malformed.add(1, ordering: .relaxed)
                continue
            }
            if member.hasPrefix(origin + "|") { continue }
            out[member] = EventSource(nick: e.nick, user: e.user, host: e.host)
        }
        return out
    }

    // MARK: joins while the link is down

    func scheduleJoinWait() {
        loop.schedule(Timer(deadline: loop.now + settings.joinWait, token: 0, kind: TimerKind.joinWait.rawValue))
    }

    /// Joins to a room new to this node wait for its past; while the link is down it cannot
    /// be read, so after `Settings.joinWait` they are refused with the reason, and the room is
    /// forgotten (the next join asks again).
    func refuseLateJoins() {
        var earliest: UInt64?
        for (key, tracked) in rooms where !tracked.stream.synced {
            let due = tracked.since + settings.joinWait
            if due <= loop.now && !up {
                rooms[key] = nil
                let n = hubRefuseJoins(tracked.room, "the cluster link is down; try again when it is back")
                if n > 0 {
                    status.refused.add(n, ordering: .relaxed)
                    logger.warning("joins refused: the cluster link is down", metadata: ["chat.room": "\(tracked.room.name)", "chat.count": "\(n)"])
                }
            } else if !up {
                earliest = min(earliest ?? due, due)
            }
        }
        if let earliest { loop.schedule(Timer(deadline: earliest, token: 0, kind: TimerKind.joinWait.rawValue)) }
    }
}
