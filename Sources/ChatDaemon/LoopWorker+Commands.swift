import ChatProtocol
import EventLoop
import Logging
import Room

/// Slash commands (DESIGN.md §2). Replies are `*` notices to the sender; everything that
/// touches other connections goes through the hub so it is ordered with the room's traffic.
extension LoopWorker {
    /// Lines of `/who` and `/rooms` replies are capped so a reply stays a bounded size.
    static let maxListed = 100

    func execute(_ input: ChatInput, for conn: Connection) {
        switch input {
        case .message(let text):
            // "//text" → "/text": relayed like any message.
            guard let room = conn.room else { return }
            let frame = ChatFrames.message(sender: conn.name, text: text)
            hub.publish(frame, in: room, from: conn.id, currentLoop: loop.index)
        case .join(let roomName):
            if let current = conn.room, Names.foldForUniqueness(current.name) == Names.foldForUniqueness(roomName) {
                reply(conn, ChatFrames.notice("you are already in #\(current.name)"))
                return
            }
            join(conn, room: roomName)
        case .leave:
            if let current = conn.room, Names.foldForUniqueness(current.name) == RoomDirectory.lobby {
                reply(conn, ChatFrames.notice("you are in #\(RoomDirectory.lobby); /quit to leave the server"))
                return
            }
            join(conn, room: RoomDirectory.lobby)
        case .rooms:
            let all = hub.rooms.list()
            var text = "rooms: " + all.prefix(Self.maxListed).map { "#\($0.name) (\($0.members))" }.joined(separator: ", ")
            if all.count > Self.maxListed { text += ", … and \(all.count - Self.maxListed) more" }
            reply(conn, ChatFrames.notice(text))
        case .who:
            guard let room = conn.room else { return }
            let names = room.memberNames
            var text = "in #\(room.name): " + names.prefix(Self.maxListed).joined(separator: ", ")
            if names.count > Self.maxListed { text += ", … and \(names.count - Self.maxListed) more" }
            reply(conn, ChatFrames.notice(text))
        case .nick(let newName):
            rename(conn, to: newName)
        case .privateMessage(let to, let text):
            guard let target = hub.nicknames.lookup(to) else {
                reply(conn, ChatFrames.error("no such user: \(to)"))
                return
            }
            hub.send(ChatFrames.message(sender: conn.name, text: "(private) " + text), to: target.id, currentLoop: loop.index)
            reply(conn, ChatFrames.notice("(private to \(target.name)) \(text)"))
        case .me(let text):
            guard let room = conn.room else { return }
            hub.publish(ChatFrames.message(sender: conn.name, text: "/me " + text), in: room, from: conn.id, currentLoop: loop.index)
        case .help:
            for line in ChatCommand.helpText { reply(conn, ChatFrames.notice(line)) }
        case .quit:
            closeGracefully(conn, notice: "bye", reason: "quit")
        case .invalid(let text):
            reply(conn, ChatFrames.error(text))
        }
    }

    /// Joins `room`, leaving the current one afterwards (so a failed join leaves the client
    /// where it was).
    func join(_ conn: Connection, room roomName: String) {
        conn.joinSequence &+= 1
        switch hub.join(conn.id, name: conn.name, roomName: roomName, sequence: conn.joinSequence, currentLoop: loop.index) {
        case .failure(let e):
            conn.joinSequence &-= 1
            reply(conn, ChatFrames.error(e.description))
        case .success(let room):
            if let old = conn.room {
                removeLocalMember(conn)
                hub.leave(conn.id, room: old, notice: "\(conn.name) left #\(old.name)", currentLoop: loop.index)
            }
            conn.room = room
            if Names.foldForUniqueness(room.name) != RoomDirectory.lobby || conn.joinSequence > 1 {
                reply(conn, ChatFrames.notice("you joined #\(room.name) (\(room.memberCount) members)"))
            }
            logger.debug("joined room", metadata: meta(conn))
        }
    }

    func rename(_ conn: Connection, to newName: String) {
        switch Names.validateUsername(newName) {
        case .failure(let e):
            reply(conn, ChatFrames.error(e.description))
        case .success(let name):
            guard hub.nicknames.rename(conn.name, to: name, for: conn.id) else {
                reply(conn, ChatFrames.error("username \(name) is taken"))
                return
            }
            let old = conn.name
            conn.name = name
            conn.nameBytes = Array(name.utf8)
            if let room = conn.room {
                hub.renamed(conn.id, in: room, from: old, to: name, currentLoop: loop.index)
            } else {
                reply(conn, ChatFrames.notice("\(old) is now known as \(name)"))
            }
            logger.info("user renamed", metadata: meta(conn, reason: "was \(old)"))
        }
    }

    func addLocalMember(_ conn: Connection, roomID: Int) {
        conn.memberIndex = members[roomID, default: []].count
        members[roomID, default: []].append(conn)
    }

    func removeLocalMember(_ conn: Connection) {
        guard let room = conn.room, conn.memberIndex >= 0 else { return }
        let idx = conn.memberIndex
        conn.memberIndex = -1
        // Mutated in place through the dictionary (no copy of the member array).
        guard let count = members[room.id]?.count, idx < count, members[room.id]![idx] === conn else { return }
        let lastIdx = count - 1
        if idx != lastIdx {
            members[room.id]![lastIdx].memberIndex = idx
            members[room.id]!.swapAt(idx, lastIdx)
        }
        members[room.id]!.removeLast()
        if members[room.id]!.isEmpty { members[room.id] = nil }
    }
}
