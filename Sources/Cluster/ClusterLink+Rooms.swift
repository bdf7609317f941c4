import EventLoop
import Logging
import Redis
import Room
import Synchronization

/// Room traffic over the link: publishing through the script, the subscription, snapshots
/// and gap fetches, and what the rooms' stream state machines ask for.
extension ClusterLink {
    func publish(_ event: RoomEvent, in room: Room, sender: ConnectionID, except: ConnectionID) {
        guard canPublish, commands.pendingOutputBytes < settings.maxQueuedBytes else {
            status.refused.add(1, ordering: .relaxed)
            hubRefuse(sender, canPublish
                ? "not sent: the cluster link is busy; try again"
                : "not sent: the cluster link is down; try again when it is back")
            return
        }
        let keys = ClusterKeys(roomName: room.name)
        let payload = RelayedEvent(event, room: room.name, origin: origin, except: except).encoded
        let epochCandidate = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        commands.send(RESPCommand.encode([
            Array("EVALSHA".utf8), Array(scriptHash(ClusterScripts.Index.publish.rawValue).utf8), Array("2".utf8), Array(keys.meta.utf8), Array(keys.log.utf8),
            Array(String(settings.streamLength).utf8), payload, Array(epochCandidate.utf8),
            Array((event.kind == .topic ? "1" : "0").utf8), Array(keys.channel.utf8),
        ]), flush: false)
        enqueuePendingReply(.publish(sender: sender))
    }

    /// A room created on this node: follow its order from its past on.
    func track(_ room: Room) {
        let key = ClusterKeys(roomName: room.name).room
        if let existing = rooms[key], existing.room === room { return }
        rooms[key] = TrackedRoom(room: room, since: loop.now)
        if !up { scheduleJoinWait() }
        guard let actions = rooms[key]?.stream.start() else { return }
        run(actions, room: key)
    }

    func commandReply(_ value: RedisValue) {
        guard let p = dequeuePendingReply() else {
            return commands.close(reason: "a reply nobody asked for")
        }
        switch p {
        case .handshake:
            if case .error(let e) = value { commands.close(reason: "login refused: \(e)") }
        case .loadScript(let i):
            guard case .bulk(let sha) = value else {
                return commands.close(reason: "SCRIPT LOAD failed: \(value)")
            }
            setScriptHash(i, String(decoding: sha, as: UTF8.self))
            if i == ClusterScripts.all.count - 1 { commandsAreReady() }
        case .publish(let sender):
            if case .error(let e) = value {
                status.refused.add(1, ordering: .relaxed)
                logger.error("cluster publish failed", metadata: ["chat.reason": "\(e)"])
                hubRefuse(sender, "not sent: the cluster refused it (\(e))")
            } else {
                status.published.add(1, ordering: .relaxed)
            }
        case .snapshot(let key, let request):
            guard rooms[key] != nil else { return }
            guard let parts = value.array, parts.count == 5, let entries = parts[3].array, let members = parts[4].array else {
                return logger.error("cluster snapshot: unexpected reply", metadata: ["chat.room": "\(key)", "chat.reason": "\(value)"])
            }
            let epoch = parts[0].text
            let last = parts[1].integer.map { UInt64(max(0, $0)) } ?? 0
            if let topicBytes = parts[2].bytes, case .event(let topic)? = decode(topicBytes, room: key) {
                rooms[key]?.topic = RoomTopic(text: String(decoding: topic.text, as: UTF8.self), setBy: topic.nick, time: topic.time / 1000)
            }
            rooms[key]?.remote = remoteMembers(members)
            let newest = streamEntries(entries, room: key).reversed()
            guard let actions = rooms[key]?.stream.snapshotArrived(request: request, epoch: epoch, last: last, newest: Array(newest)) else { return }
            run(actions, room: key)
        case .lease(let key, let id):
            leaseReply(value, key: key, id: id)
        case .unlease:
            break
        case .presence, .reassert:
            if value.isError { logger.error("cluster presence update failed", metadata: ["chat.reason": "\(value)"]) }
        case .heartbeat(let key):
            if value.integer == 1 { reassert(key) }
        case .listing:
            listingArrived(value)
        case .whisper(let name, let sender):
            if value.isError { logger.error("cluster private message failed", metadata: ["chat.reason": "\(value)"]) }
            if value.integer ?? 0 == 0 { hubRefuse(sender, "not sent: no such user: \(name)") }
        case .range(let key, let request):
            guard rooms[key] != nil else { return }
            guard let parts = value.array, parts.count == 2, let entries = parts[1].array else {
                return logger.error("cluster fetch: unexpected reply", metadata: ["chat.room": "\(key)", "chat.reason": "\(value)"])
            }
            let fetched = streamEntries(entries, room: key)
            guard let actions = rooms[key]?.stream.rangeArrived(request: request, epoch: parts[0].text, entries: fetched) else { return }
            let recovered = actions.reduce(0) { n, a in if case .deliver = a { n + 1 } else { n } }
            if recovered > 0 {
                status.recovered.add(recovered, ordering: .relaxed)
                logger.info("cluster gap recovered from the stream", metadata: ["chat.room": "\(key)", "chat.count": "\(recovered)"])
            }
            run(actions, room: key)
        }
    }

    func subscriberMessage(_ value: RedisValue) {
        if subscriberHandshakeLeft > 0 {
            subscriberHandshakeLeft -= 1
            if case .error(let e) = value { subscriber.close(reason: "login refused: \(e)") }
            return
        }
        guard let parts = value.array, let kind = parts.first?.text else {
            return subscriber.close(reason: "unexpected message on the subscription: \(value)")
        }
        switch kind {
        case "pmessage":
            guard parts.count == 4, let data = parts[3].bytes else { return }
            received(data, channel: parts[2].text ?? "")
        case "message":
            guard parts.count == 3, let data = parts[2].bytes else { return }
            receivedPrivate(data)
        case "psubscribe":
            subscriptionConfirmed()
        default:
            break
        }
    }

    /// `<epoch> <number> <payload>` from the publish script, on `channel` (`ClusterKeys.channel`).
    private func received(_ data: [UInt8], channel: String) {
        // Rooms nobody joined on this node are not followed (their past is read on first
        // join): the channel names the room, so their payloads are not even decoded.
        guard let key = ClusterKeys.room(ofChannel: channel), rooms[key] != nil else { return }
        guard let s1 = data.firstIndex(of: 0x20), let s2 = data[(s1 + 1)...].firstIndex(of: 0x20),
              let number = UInt64(String(decoding: data[(s1 + 1)..<s2], as: UTF8.self))
        else {
            status.malformed.add(1, ordering: .relaxed)
            return logger.error("cluster message without epoch and number; skipped")
        }
        let epoch = String(decoding: data[..<s1], as: UTF8.self)
        let entry: ClusterEntry
        do {
            entry = try ClusterEntry(decoding: data[(s2 + 1)...])
        } catch {
            status.malformed.add(1, ordering: .relaxed)
            return logger.error("cluster message skipped", metadata: ["chat.reason": "\(error)"])
        }
        if case .event(let event) = entry, ClusterKeys(roomName: event.room).room != key {
            status.malformed.add(1, ordering: .relaxed)
            return logger.error("cluster message on another room's channel; skipped", metadata: ["chat.room": "\(key)"])
        }
        guard let actions = rooms[key]?.stream.published(StreamEntry(number: number, payload: entry), epoch: epoch) else { return }
        run(actions, room: key)
    }

    /// Does what a room's stream asks for, in order.
    func run(_ actions: [RoomStream<ClusterEntry>.Action], room key: String) {
        for action in actions {
            guard let tracked = rooms[key] else { return }
            switch action {
            case .snapshot(let request):
                // Not up: the request is asked again when the link is (`reconnected`).
                guard up else { continue }
                let keys = ClusterKeys(roomName: tracked.room.name)
                commands.send(presenceCommand(.snapshot, keys, [Array(String(max(1, settings.replay)).utf8)]), flush: false)
                enqueuePendingReply(.snapshot(room: key, request: request))
            case .fetch(let after, let request):
                guard up else { continue }
                let keys = ClusterKeys(roomName: tracked.room.name)
                commands.send(
                    ["EVALSHA", scriptHash(ClusterScripts.Index.range.rawValue), "2", keys.meta, keys.log, String(after &+ 1), String(tracked.stream.fetchLimit)],
                    flush: false)
                enqueuePendingReply(.range(room: key, request: request))
            case .restore(let last, let entries):
                let history = entries.suffix(settings.replay).compactMap { e -> RoomEvent? in
                    guard case .event(let p) = e.payload, p.kind.isArchived, p.kind != .topic else { return nil }
                    return RoomEvent.restored(
                        kind: p.kind, room: tracked.room.name, source: EventSource(nick: p.nick, user: p.user, host: p.host),
                        text: String(decoding: p.text, as: UTF8.self), time: p.time, sequence: e.number)
                }
                hubRestore(tracked.room, last: last, history: history, topic: tracked.topic, remote: tracked.remote)
                rooms[key]?.remote = [:]
            case .deliver(let entry):
                status.delivered.add(1, ordering: .relaxed)
                if !deliver(entry, in: tracked.room) { rooms[key] = nil }
            case .lost(let count):
                status.lost.add(Int(clamping: count), ordering: .relaxed)
                logger.warning("cluster messages lost (trimmed from the stream before this node fetched them)",
                               metadata: ["chat.room": "\(tracked.room.name)", "chat.count": "\(count)"])
                hubTell(room: tracked.room,
                        "\(count) message\(count == 1 ? " was" : "s were") lost in this room: the cluster dropped \(count == 1 ? "it" : "them") before this server could fetch \(count == 1 ? "it" : "them")")
            case .reset:
                hubResetRemote(tracked.room)
                logger.warning("cluster lost a room's stored messages (Redis restarted without them); numbering restarts",
                               metadata: ["chat.room": "\(tracked.room.name)"])
                hubTell(room: tracked.room, "the cluster lost this room's stored messages; numbering starts again")
            }
        }
    }

    /// One entry of the room's order: messages to every member (the sender's node honours
    /// `except`); presence of other nodes' members to this node's copy of the member list (this
    /// node's own presence was shown when it happened). False if the room is gone.
    private func deliver(_ entry: StreamEntry<ClusterEntry>, in room: Room) -> Bool {
        switch entry.payload {
        case .event(let e) where e.kind.isPresence:
            guard e.origin != origin else { return !room.isRemoved }
            return hubPresence(e.roomEvent(in: room), in: room, number: entry.number,
                               member: ClusterKeys.member(origin: e.origin, id: e.except))
        case .event(let e):
            let except = e.origin == origin ? ConnectionID(rawValue: e.except) : .none
            return hubDeliver(e.roomEvent(in: room), in: room, number: entry.number, except: except)
        case .gone(let member):
            // This node's own members reaped (it was cut off too long): re-asserted on reconnect.
            guard !member.hasPrefix(origin + "|") else { return !room.isRemoved }
            return hubGone(member, in: room, number: entry.number)
        }
    }

    /// Stream entries `[id, [field, value, …]]` with IDs `<number>-0` and the payload in `e`.
    private func streamEntries(_ values: [RedisValue], room key: String) -> [StreamEntry<ClusterEntry>] {
        values.compactMap { v -> StreamEntry<ClusterEntry>? in
            guard let parts = v.array, parts.count == 2, let id = parts[0].text, let fields = parts[1].array,
                  let number = id.split(separator: "-").first.flatMap({ UInt64($0) })
            else {
                status.malformed.add(1, ordering: .relaxed)
                return nil
            }
            var i = 0
            while i + 1 < fields.count {
                if fields[i].text == "e", let bytes = fields[i + 1].bytes, let event = decode(bytes, room: key) {
                    return StreamEntry(number: number, payload: event)
                }
                i += 2
            }
            return nil
        }
    }

    private func decode(_ bytes: [UInt8], room key: String) -> ClusterEntry? {
        do {
            return try ClusterEntry(decoding: bytes)
        } catch {
            status.malformed.add(1, ordering: .relaxed)
            logger.error("cluster stream entry skipped", metadata: ["chat.room": "\(key)", "chat.reason": "\(error)"])
            return nil
        }
    }
}
