import EventLoop
import Glibc
import Room
import Synchronization

/// SplitMix64: seeded so every run sees the same "random" inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func increment() { value.wrappingAdd(1, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

final class StartBarrier: Sendable {
    let arrived = Atomic<Int>(0)
    let parties: Int
    init(parties: Int) { self.parties = parties }
    func arriveAndWait() {
        arrived.wrappingAdd(1, ordering: .acquiringAndReleasing)
        while arrived.load(ordering: .acquiring) < parties { sched_yield() }
    }
}

/// A ChatHub wired to fake loops: each loop's doorbell only counts, and the test reads the
/// loop's mailbox itself with `take(into:)`.
final class FakeLoops {
    let doorbells: [Counter]
    let hub: ChatHub

    init(count: Int = 3, limits: ChatLimits = ChatLimits(), relay: (any RoomRelay)? = nil, settings: (any RoomSettingsStore)? = nil) {
        let bells = (0..<count).map { _ in Counter() }
        doorbells = bells
        hub = ChatHub(
            loopCount: count, limits: limits, doorbells: bells.map { b in { b.increment() } }, relay: relay, settingsStore: settings)
    }

    var rings: [Int] { doorbells.map(\.current) }

    /// Everything queued for `loop`, oldest first.
    func take(_ loop: Int) -> [LoopMessage] {
        var batch = ContiguousArray<LoopMessage>()
        hub.mailboxes[loop].take(into: &batch)
        return Array(batch)
    }

    func takeAll() -> [[LoopMessage]] { (0..<doorbells.count).map { take($0) } }

    /// Joins and empties every mailbox, so a test starts from quiet queues.
    @discardableResult
    func join(_ id: ConnectionID, _ name: String, _ room: String, sequence: UInt32 = 1) -> Room {
        guard case .success(let r) = hub.join(id, source: source(name), roomName: room, sequence: sequence, currentLoop: id.loop) else {
            fatalError("join failed")
        }
        return r
    }
}

func user(_ loop: Int, _ slot: Int) -> ConnectionID { ConnectionID(loop: loop, slot: slot, generation: 1) }

func source(_ name: String) -> EventSource { EventSource(nick: name, user: name, host: "test") }

/// A chat message event from `sender`.
func msg(_ sender: String, _ text: String, room: String? = "r") -> RoomEvent {
    RoomEvent(kind: .message, room: room, source: source(sender), text: text, time: 0)
}

func event(_ kind: RoomEventKind, _ sender: String, _ room: String, _ text: String = "") -> RoomEvent {
    RoomEvent(kind: kind, room: room, source: source(sender), text: text, time: 0)
}

/// "sender: text" for a message; the framed notice wording for presence.
func text(_ e: RoomEvent) -> String {
    let nick = e.source.nick
    switch e.kind {
    case .message, .notice: return "\(nick): \(e.text)"
    case .action: return "\(nick): /me \(e.text)"
    case .join: return "*: \(nick) joined #\(e.room ?? "")"
    case .part: return "*: \(nick) left #\(e.room ?? "")"
    case .quit: return "*: \(nick) disconnected"
    case .nick: return "*: \(nick) is now known as \(e.text)"
    case .topic: return "*: \(nick) set the topic: \(e.text)"
    case .away: return "*: \(nick) away \(e.text)"
    case .mode: return "*: \(nick) sets mode \(e.text)"
    case .kick: return "*: \(nick) kicked \(e.text)"
    case .moderation: return "*: \(nick) \(e.text)"
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

/// A compact description of a mailbox message for exact comparisons.
func describe(_ m: LoopMessage) -> String {
    switch m {
    case .deliver(let roomID, let event, let except):
        return "deliver r\(roomID) [\(text(event))] except \(except)"
    case .joined(let j):
        return "joined \(j.id) #\(j.room.name) seq \(j.sequence) history \(j.history.map(text))"
    case .direct(let id, let event):
        return "direct \(id) [\(text(event))]"
    case .refused(let id, let reason):
        return "refused \(id) \(reason)"
    case .evict(let id, let reason):
        return "evict \(id) \(reason)"
    case .joinRefused(let id, let room, let sequence, let reason):
        return "join refused \(id) #\(room.name) seq \(sequence) \(reason)"
    case .noticeToAll(let text):
        return "notice to all \(text)"
    case .roomNotice(let roomID, let text):
        return "notice r\(roomID) \(text)"
    case .reconfigure(let limits):
        return "reconfigure history \(limits.history)"
    case .shutdown(let deadline):
        return "shutdown \(deadline)"
    case .kicked(let id, let roomID):
        return "kicked \(id) r\(roomID)"
    case .serverBan(let ban):
        return "server ban \(ban.mask)"
    case .disconnect(let id, let notice):
        return "disconnect \(id) [\(notice)]"
    case .drain(let notice):
        return "drain [\(notice)]"
    case .account(let id, let outcome):
        return "account \(id) \(outcome)"
    }
}
