import EventLoop
import Logging
import Redis
import Room
import Synchronization

/// Nicknames unique cluster-wide: a name taken on this node (`NicknameRegistry` claims it
/// locally at once) is leased in Redis (`ClusterScripts.lease`, SET … PX through a script
/// that compares the holder) and refreshed every third of the lease. If another node holds
/// it, the connection is closed with the reason; a killed node's names free up when their
/// lease runs out. While the link is down names are held locally only and leased (or
/// refused) once it is back.
extension ClusterLink {
    var leaseMilliseconds: String { String(settings.nicknameLease / 1_000_000) }

    func holder(_ id: ConnectionID) -> String { "\(origin)|\(id.rawValue)" }

    func claim(_ name: String, by id: ConnectionID) {
        let key = ClusterKeys.nickname(name)
        leases[key] = (name, id)
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

    func refreshLeases() {
        for (key, lease) in leases { sendLease(key, lease.id) }
    }

    private func sendLease(_ key: String, _ id: ConnectionID) {
        guard canPublish else { return }
        commands.send(
            ["EVALSHA", scriptHash(ClusterScripts.Index.lease.rawValue), "1", key, holder(id), leaseMilliseconds], flush: false)
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
