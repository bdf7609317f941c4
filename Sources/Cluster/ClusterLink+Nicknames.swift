import EventLoop
import Logging
import Redis
import Room

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
