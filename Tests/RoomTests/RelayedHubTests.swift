import EventLoop
import Room
import Testing

/// What a relay (`--cluster`) was asked, in order.
final class RecordingRelay: RoomRelay, @unchecked Sendable {
    // @unchecked: tests call in from one thread.
    private let log = Locked<[String]>([])
    var calls: [String] { log.withLock { $0 } }

    func publish(_ event: RoomEvent, in room: Room, sender: ConnectionID, except: ConnectionID) {
        log.withLock { $0.append("publish \(room.name) \(event.text) from \(sender) except \(except)") }
    }
    func sync(_ room: Room) { log.withLock { $0.append("sync \(room.name)") } }
    func claimed(_ name: String, by id: ConnectionID) { log.withLock { $0.append("claimed \(name) \(id)") } }
    func released(_ name: String, by id: ConnectionID) { log.withLock { $0.append("released \(name) \(id)") } }
    func sendPrivate(_ event: RoomEvent, to name: String, sender: ConnectionID) {
        log.withLock { $0.append("private to \(name) from \(sender)") }
    }
    func presence(_ event: RoomEvent, in room: Room, member: ConnectionID) {
        log.withLock { $0.append("presence \(event.kind) \(room.name) \(event.source.nick) \(member)") }
    }
}

/// ChatHub with a relay: archived kinds go out and come back numbered; joins wait for the past.
@Suite struct RelayedHubTests {
    let a = ConnectionID(loop: 0, slot: 1, generation: 1)
    let b = ConnectionID(loop: 1, slot: 1, generation: 1)
    let c = ConnectionID(loop: 2, slot: 1, generation: 1)

    func source(_ nick: String) -> EventSource { EventSource(nick: nick, user: nick, host: "framed") }

    @Test func joinsWaitForThePastThenCompleteInOrder() throws {
        let relay = RecordingRelay()
        let loops = FakeLoops(relay: relay)
        let room = try loops.hub.join(a, source: source("ann"), roomName: "ops", sequence: 1, currentLoop: 0).get()
        _ = try loops.hub.join(b, source: source("bob"), roomName: "ops", sequence: 1, currentLoop: 1).get()
        #expect(relay.calls == ["sync ops"])
        let queued = loops.takeAll()
        #expect(queued.allSatisfy { $0.isEmpty })
        let past = RoomEvent.restored(kind: .message, room: "ops", source: source("zed"), text: "old", time: 1, sequence: 41)
        loops.hub.restoreRelayed(room, lastSequence: 41, history: [past], topic: RoomTopic(text: "t", setBy: "zed", time: 1))
        let toA = loops.take(0).map(describe)
        let toB = loops.take(1).map(describe)
        #expect(toA == [
            "joined \(a) #ops seq 1 history [\"zed: old\"]", "deliver r\(room.id) [*: ann joined #ops] except \(a)",
            "deliver r\(room.id) [*: bob joined #ops] except \(b)",
        ])
        #expect(toB == ["joined \(b) #ops seq 1 history [\"zed: old\"]", "deliver r\(room.id) [*: bob joined #ops] except \(b)"])
        #expect(room.topic?.text == "t")
        // Both joins are told to the other nodes once they happened, in order.
        #expect(relay.calls == ["sync ops", "presence join ops ann \(a)", "presence join ops bob \(b)"])
    }

    /// Members on other nodes: installed with the past, kept by relayed presence in the
    /// relay's order, shown in /who and the count, and told to local members when they change.
    @Test func membersOnOtherNodes() throws {
        let relay = RecordingRelay()
        let loops = FakeLoops(relay: relay)
        let room = try loops.hub.join(a, source: source("ann"), roomName: "ops", sequence: 1, currentLoop: 0).get()
        loops.hub.restoreRelayed(room, lastSequence: 3, history: [], topic: nil, remoteMembers: ["B#1|7": source("zed")])
        _ = loops.takeAll()
        #expect(room.memberNames == ["ann", "zed"] && room.memberCount == 2 && room.localMemberCount == 1)
        let join = RoomEvent(kind: .join, room: "ops", source: source("yan"), text: "", time: 1)
        #expect(loops.hub.deliverRelayedPresence(join, in: room, number: 4, member: "C#2|9"))
        #expect(loops.take(0).map(describe) == ["deliver r\(room.id) [*: yan joined #ops] except \(ConnectionID.none)"])
        #expect(join.sequence == 4 && room.memberNames == ["ann", "yan", "zed"])
        #expect(room.remoteMembers.map(\.nick) == ["yan", "zed"])
        // A join of a member already known (re-asserted after a reconnect) changes nothing visible.
        #expect(loops.hub.deliverRelayedPresence(join, in: room, number: 5, member: "C#2|9"))
        #expect(loops.take(0).isEmpty)
        let nick = RoomEvent(kind: .nick, room: "ops", source: source("yan"), text: "yana", time: 2)
        #expect(loops.hub.deliverRelayedPresence(nick, in: room, number: 6, member: "C#2|9"))
        #expect(room.memberNames == ["ann", "yana", "zed"] && loops.take(0).count == 1)
        // The reaper's removal of a dead node's member is a quit with a reason.
        #expect(loops.hub.relayedMemberGone("B#1|7", in: room, number: 7, reason: "server lost"))
        #expect(loops.take(0).map(describe) == ["deliver r\(room.id) [*: zed disconnected] except \(ConnectionID.none)"])
        // A part of a member nobody knew is not shown.
        let part = RoomEvent(kind: .part, room: "ops", source: source("who"), text: "", time: 3)
        #expect(loops.hub.deliverRelayedPresence(part, in: room, number: 8, member: "D#3|1"))
        #expect(loops.take(0).isEmpty && room.memberNames == ["ann", "yana"])
        loops.hub.resetRelayedMembers(room)
        #expect(room.memberNames == ["ann"])
        // The cluster's other rooms show in the listing; this node's counts come from its rooms.
        loops.hub.rooms.setElsewhere([("far", 2), ("Far", 1), ("ops", 9)])
        let listed = loops.hub.rooms.list().map { "\($0.name) \($0.members)" }
        #expect(listed.contains("far 3") && listed.contains("ops 1") && !listed.contains("ops 9"))
        #expect(!loops.hub.rooms.localList().contains { $0.name == "far" })
    }

    /// Joins waiting for a past that cannot be read (the link is down) are refused, and the
    /// next join asks for the past again.
    @Test func waitingJoinsRefused() throws {
        let relay = RecordingRelay()
        let loops = FakeLoops(relay: relay)
        let room = try loops.hub.join(a, source: source("ann"), roomName: "ops", sequence: 3, currentLoop: 0).get()
        #expect(loops.hub.refusePendingJoins(room, reason: "link down") == 1)
        #expect(loops.take(0).map(describe) == ["join refused \(a) #ops seq 3 link down"])
        #expect(room.isRemoved && !room.contains(a))
        _ = try loops.hub.join(a, source: source("ann"), roomName: "ops", sequence: 4, currentLoop: 0).get()
        #expect(relay.calls == ["sync ops", "sync ops"])
    }

    @Test func messagesGoToTheRelayAndComeBackNumbered() throws {
        let relay = RecordingRelay()
        let loops = FakeLoops(relay: relay)
        let room = try loops.hub.join(a, source: source("ann"), roomName: "ops", sequence: 1, currentLoop: 0).get()
        loops.hub.restoreRelayed(room, lastSequence: 7, history: [], topic: nil)
        _ = loops.takeAll()
        let said = RoomEvent(kind: .message, room: "ops", source: source("ann"), text: "hi", time: 1)
        loops.hub.publish(said, in: room, sender: a, except: a, currentLoop: 0)
        #expect(relay.calls.last == "publish ops hi from \(a) except \(a)")
        #expect(loops.take(0).isEmpty)
        let back = RoomEvent(kind: .message, room: "ops", source: source("ann"), text: "hi", time: 1)
        #expect(loops.hub.deliverRelayed(back, in: room, number: 8, except: a))
        #expect(loops.take(0).map(describe) == ["deliver r\(room.id) [ann: hi] except \(a)"])
        #expect(back.sequence == 8 && room.historyCount == 1)
        // Presence stays local, numbered after the last relayed message.
        let away = RoomEvent(kind: .away, room: "ops", source: source("ann"), text: "lunch", time: 2)
        loops.hub.publish(away, in: room, sender: a, except: .none, currentLoop: 0)
        #expect(away.sequence == 8 && loops.take(0).count == 1)
    }

    /// A joiner that leaves before the past arrives is not admitted afterwards.
    @Test func leavingWhileWaiting() throws {
        let relay = RecordingRelay()
        let loops = FakeLoops(relay: relay)
        let room = try loops.hub.join(c, source: source("cy"), roomName: "ops", sequence: 1, currentLoop: 2).get()
        loops.hub.leave(c, room: room, event: nil, currentLoop: 2)
        loops.hub.restoreRelayed(room, lastSequence: 0, history: [], topic: nil)
        #expect(loops.take(2).isEmpty)
        #expect(!room.contains(c))
    }

    @Test func nicknamesAreReported() {
        let relay = RecordingRelay()
        let registry = NicknameRegistry(relay: relay)
        #expect(registry.claim("Ann", for: a))
        #expect(!registry.claim("ann", for: b))
        #expect(registry.rename("Ann", to: "Anna", for: a))
        registry.release("Anna", for: b)
        registry.release("Anna", for: a)
        #expect(relay.calls == ["claimed Ann \(a)", "released Ann \(a)", "claimed Anna \(a)", "released Anna \(a)"])
    }

    /// Leaving and renaming are told to the relay; a silent leave (shutdown) as a quit.
    @Test func presenceIsReported() throws {
        let relay = RecordingRelay()
        let loops = FakeLoops(relay: relay)
        let room = try loops.hub.join(a, source: source("ann"), roomName: "ops", sequence: 1, currentLoop: 0).get()
        _ = try loops.hub.join(b, source: source("bob"), roomName: "ops", sequence: 1, currentLoop: 1).get()
        loops.hub.restoreRelayed(room, lastSequence: 0, history: [], topic: nil)
        loops.hub.renamed(a, in: room, event: RoomEvent(kind: .nick, room: "ops", source: source("ann"), text: "anna", time: 1), currentLoop: 0)
        loops.hub.leave(a, room: room, event: RoomEvent(kind: .part, room: "ops", source: source("anna"), text: "", time: 2), currentLoop: 0)
        loops.hub.leave(b, room: room, event: nil, currentLoop: 1)
        #expect(relay.calls == [
            "sync ops", "presence join ops ann \(a)", "presence join ops bob \(b)", "presence nick ops ann \(a)",
            "presence part ops anna \(a)", "presence quit ops bob \(b)",
        ])
    }
}
