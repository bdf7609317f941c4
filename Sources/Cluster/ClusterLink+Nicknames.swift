import EventLoop
import Logging
import Redis
import Room
import Synchronization

/// Nicknames unique cluster-wide: a name taken on this node (`NicknameRegistry` claims it
/// locally at once) is recorded in Redis (`ClusterScripts.lease`, SET … PX through a script
/// that compares the holder). A name is held while its node is alive — the node's `listing`
/// every third of the presence lease keeps its `liveNodes` entry fresh — so a killed node's
/// names free up when that lapses, and staying alive costs one script per node, not one per
/// name. The keys themselves have a long TTL (`nicknameKeyTTL`, so a dead node's keys do not
/// pile up), renewed a slice at a time (`renewSomeLeases`). If another live node holds a
/// name, the connection is closed with the reason. While the link is down names are held
/// locally only and recorded (or refused) once it is back.
extension ClusterLink {
    /// A nickname key's TTL: far longer than the renewal round (`renewalRound`).
    static let nicknameKeyTTL = "600000"
    /// Every held name's key is renewed at least this often (nanoseconds).
    static let renewalRound: UInt64 = 180_000_000_000

    var leaseMilliseconds: String { String(settings.nicknameLease / 1_000_000) }

    func holder(_ id: ConnectionID) -> String { "\(origin)|\(id.rawValue)" }

    func claim(_ name: String, by id: ConnectionID) {
        let key = ClusterKeys.nickname(name)
        if leases.updateValue((name, id), forKey: key) == nil { renewalOrder.append(key) }
        // A name released and claimed again is listed twice until renewal passes it: rebuild
        // before churn can grow the order beyond twice the names held.
        if renewalOrder.count > 2 * leases.count + 64 {
            renewalOrder = Array(leases.keys)
            renewalCursor = 0
        }
        sendLease(key, id)
    }

    func release(_ name: String, by id: ConnectionID) {
        let key = ClusterKeys.nickname(name)
        guard leases[key]?.id == id else { return }
        leases[key] = nil
        guard canPublish else { return }
        commands.send(["EVALSHA", scriptHash(ClusterScripts.Index.unlease.rawValue), "1", key, holder(id)], flush: false)
        enqueuePendingReply(.unlease)
    }

    /// Every name again: after a reconnect (Redis may have restarted empty, or this node's
    /// liveness lapsed and another node took a name).
    func refreshLeases() {
        for (key, lease) in leases { sendLease(key, lease.id) }
    }

    /// Every third of the lease: the next slice of names, so that each is renewed once per
    /// `renewalRound` (1/108 of them per tick with the default 5 s lease). Released names
    /// leave the order here, lazily.
    func renewSomeLeases() {
        guard canPublish, !renewalOrder.isEmpty else { return }
        let ticksPerRound = max(1, Self.renewalRound / max(1, settings.nicknameLease / 3))
        var budget = (renewalOrder.count + Int(ticksPerRound) - 1) / Int(ticksPerRound)
        while budget > 0 && !renewalOrder.isEmpty {
            if renewalCursor >= renewalOrder.count { renewalCursor = 0 }
            let key = renewalOrder[renewalCursor]
            if let lease = leases[key] {
                sendLease(key, lease.id)
                renewalCursor += 1
            } else {
                renewalOrder.swapAt(renewalCursor, renewalOrder.count - 1)
                renewalOrder.removeLast()
            }
            budget -= 1
        }
    }

    private func sendLease(_ key: String, _ id: ConnectionID) {
        guard canPublish else { return }
        commands.send(
            ["EVALSHA", scriptHash(ClusterScripts.Index.lease.rawValue), "2", key, ClusterKeys.liveNodes, holder(id),
             Self.nicknameKeyTTL, origin, leaseMilliseconds],
            flush: false)
        enqueuePendingReply(.lease(key: key, id: id))
    }

    func leaseReply(_ value: RedisValue, key: String, id: ConnectionID) {
        guard value.integer == 0, let lease = leases[key], lease.id == id else {
            if value.isError { logger.error("cluster nickname lease failed", metadata: ["chat.reason": "\(value)"]) }
            return
        }
        leases[key] = nil
        logger.notice("nickname held by another node; closing", metadata: ["chat.user": "\(lease.name)"])
        hubEvict(id, "nickname \(lease.name) is in use on another server")
    }
}

/// Private messages to a name held on another node: the whisper script finds the holder and
/// publishes on that node's channel; the holder's node hands it to the connection.
extension ClusterLink {
    func whisper(_ event: RoomEvent, to name: String, sender: ConnectionID) {
        guard canPublish else {
            status.refused.add(1, ordering: .relaxed)
            return hubRefuse(sender, "not sent: the cluster link is down; try again when it is back")
        }
        let payload = RelayedEvent(event, room: "", origin: origin, except: .none).encoded
        commands.send(RESPCommand.encode([
            Array("EVALSHA".utf8), Array(scriptHash(ClusterScripts.Index.whisper.rawValue).utf8), Array("1".utf8),
            Array(ClusterKeys.nickname(name).utf8), payload,
        ]), flush: false)
        enqueuePendingReply(.whisper(to: name, sender: sender))
    }

    /// `<connection> <payload>` on this node's channel.
    func receivedPrivate(_ data: [UInt8]) {
        guard let space = data.firstIndex(of: 0x20), let raw = UInt64(String(decoding: data[..<space], as: UTF8.self)),
              let relayed = try? RelayedEvent(decoding: data[(space + 1)...])
        else {
            status.malformed.add(1, ordering: .relaxed)
            return logger.error("cluster private message skipped: malformed")
        }
        let storage = SharedBytes.make(relayed.text)
        let event = RoomEvent(
            kind: relayed.kind, room: nil, source: EventSource(nick: relayed.nick, user: relayed.user, host: relayed.host),
            text: storage, start: 0, count: storage.count, time: relayed.time)
        hubSendPrivate(event, to: ConnectionID(rawValue: raw))
    }
}
