import EventLoop
import Glibc
import Logging
import Room
import Synchronization
import WebProtocol

/// What `chatd ctl` can ask of a running daemon (`ControlRequest`), answered on the control
/// thread from the hub's shared state; effects on connections go to their loops' mailboxes.
extension ControlLoop {
    static let drainNotice = "server is restarting: please reconnect"

    func controlSocketEvent(_ loop: EventLoop, token: UInt64, events: EpollEvents) {
        guard let socket = controlSocket else { return }
        let execute: ControlSocket.Execute = { request in
            switch request {
            case .success(let request): self.execute(request)
            case .failure(let error): ControlReply.failure(error.description)
            }
        }
        if token == ControlSocket.listenerToken {
            for client in socket.acceptAll(loop: loop, execute: execute) {
                loop.schedule(Timer(deadline: loop.now &+ ControlSocket.clientTimeout, token: client,
                                    kind: TimerKind.controlClient.rawValue))
            }
            return
        }
        if !events.isDisjoint(with: [.readable, .readHangup, .hangup, .error]) {
            socket.readable(token, execute: execute)
        }
        if events.contains(.writable) { socket.flush(token) }
    }

    func execute(_ request: ControlRequest) -> [UInt8] {
        server.logger.notice("control request: \(request)")
        let hub = server.hub!
        switch request {
        case .status:
            let s = server.stats
            return ControlReply.success { json in
                json.member("version", ChatDaemonVersion.description)
                json.member("pid", Int(getpid()))
                json.member("loops", server.loops.count)
                json.member("connections", s.connections)
                json.member("users", s.users)
                json.member("rooms", s.rooms)
                json.member("messages_in", s.messagesIn)
                json.member("deliveries", s.deliveries)
                json.member("slow_consumer_disconnects", s.slowConsumerDisconnects)
                json.member("history_bytes", hub.rooms.historyBytes.load(ordering: .relaxed))
                json.key("draining")
                json.bool(draining)
            }
        case .rooms:
            let rooms = hub.rooms.list().sorted { $0.name < $1.name }
            return ControlReply.success { json in
                json.key("rooms")
                json.beginArray()
                for room in rooms {
                    json.beginObject()
                    json.member("name", room.name)
                    json.member("members", room.members)
                    json.endObject()
                }
                json.endArray()
            }
        case .who(let name):
            guard let room = hub.rooms.existing(named: name) else { return ControlReply.failure("no room named #\(name)") }
            let members = room.memberNames
            return ControlReply.success { json in
                json.member("room", room.name)
                json.key("members")
                json.beginArray()
                for member in members { json.string(member) }
                json.endArray()
            }
        case .kick(let name, let reason):
            guard let entry = hub.nicknames.lookup(name) else { return ControlReply.failure("no user named \(name)") }
            hub.disconnect(entry.id, notice: "disconnected by the operator" + (reason.map { ": \($0)" } ?? ""))
            return ControlReply.success { $0.member("kicked", entry.name) }
        case .announce(let text):
            let rooms = hub.rooms.list().compactMap { hub.rooms.existing(named: $0.name) }
            let source = EventSource(nick: FramedEncoding.serverName, user: "chatd", host: "announce")
            for room in rooms {
                let event = RoomEvent(kind: .notice, room: room.name, source: source, text: text, time: RoomEvent.now())
                hub.publish(event, in: room, except: .none, currentLoop: -1)
            }
            return ControlReply.success { $0.member("rooms", rooms.count) }
        case .drain:
            let connections = server.stats.connections
            if !draining {
                draining = true
                hub.drain(notice: Self.drainNotice)
            }
            return ControlReply.success { $0.member("connections", connections) }
        case .reload:
            if let error = reload() { return ControlReply.failure(error) }
            return ControlReply.success()
        case .ban, .unban, .bans:
            return executeServerBan(request, hub: hub)
        }
    }
}

extension ControlLoop {
    /// `ban`, `unban`, `bans`: the server's bans (`ServerBans`), set by the operator.
    func executeServerBan(_ request: ControlRequest, hub: ChatHub) -> [UInt8] {
        switch request {
        case .ban(let text, let duration, let reason):
            guard case .success(let mask) = BanMask.parse(text) else { return ControlReply.failure("not a mask: \(text)") }
            let now = RoomEvent.now()
            let ban = ServerBan(mask: mask, reason: reason, setBy: "chatd ctl", setAt: now, expires: duration.map { now + $0 })
            if case .failure(let e) = hub.serverBans.add(ban) { return ControlReply.failure(e.description) }
            hub.enforce(ban)
            return ControlReply.success { json in
                json.member("banned", mask.description)
                if let expires = ban.expires { json.member("expires", expires / 1000) }
            }
        case .unban(let text):
            guard case .success(let mask) = BanMask.parse(text), hub.serverBans.remove(mask) else {
                return ControlReply.failure("no server ban \(text)")
            }
            return ControlReply.success { $0.member("unbanned", mask.description) }
        case .bans:
            let bans = hub.serverBans.list()
            return ControlReply.success { json in
                json.key("bans")
                json.beginArray()
                for ban in bans {
                    json.beginObject()
                    json.member("mask", ban.mask.description)
                    json.member("reason", ban.reason)
                    json.member("set_by", ban.setBy)
                    json.member("set_at", ban.setAt / 1000)
                    if let expires = ban.expires { json.member("expires", expires / 1000) }
                    json.endObject()
                }
                json.endArray()
            }
        default:
            return ControlReply.failure("not a ban request")
        }
    }
}
