import EventLoop
import Room
import Testing

/// Room moderation on a hub with fake loops: rights, bans, keys, invites, mutes, limits, kicks.
@Suite("Room moderation")
struct ModerationTests {
    let alice = user(0, 1), bob = user(1, 2), carol = user(2, 3)

    func identity(_ nick: String, account: String? = nil, address: String = "192.0.2.1", admin: Bool = false) -> MemberIdentity {
        MemberIdentity(nick: nick, account: account, address: address, isAdmin: admin)
    }

    /// Claims the nick and joins with an identity; the result of the join.
    @discardableResult
    func join(_ f: FakeLoops, _ id: ConnectionID, _ nick: String, _ room: String, account: String? = nil,
              address: String = "192.0.2.1", key: String? = nil, admin: Bool = false) -> Result<Room, ChatHub.JoinError> {
        _ = f.hub.nicknames.claim(nick, for: id)
        return f.hub.join(id, source: source(nick), roomName: room, sequence: 1, currentLoop: id.loop,
                          identity: identity(nick, account: account, address: address, admin: admin), key: key)
    }

    func actor(_ id: ConnectionID, _ nick: String, account: String? = nil, admin: Bool = false) -> Moderator {
        Moderator(id: id, source: source(nick), identity: identity(nick, account: account, admin: admin))
    }

    func refusal(_ r: Result<Room, ChatHub.JoinError>) -> AdmissionRefusal? {
        if case .failure(.refused(let why)) = r { return why }
        return nil
    }

    func room(_ r: Result<Room, ChatHub.JoinError>) -> Room {
        guard case .success(let room) = r else { fatalError("join refused: \(r)") }
        return room
    }

    @Test func registeredCreatorFoundsTheRoomAndGuestsDoNot() {
        let store = MemorySettings()
        let f = FakeLoops(settings: store)
        let rust = room(join(f, alice, "alice", "rust", account: "Alice"))
        #expect(rust.settings.founder == "alice")
        #expect(rust.status(of: alice) == .op)
        #expect(store.saved["rust"]?.founder == "alice")
        // A later joiner gets nothing.
        join(f, bob, "bob", "rust")
        #expect(rust.status(of: bob) == [])
        // A guest creating a room is its operator while there, not its founder.
        let go = room(join(f, carol, "carol", "go"))
        #expect(go.settings.founder == nil && go.status(of: carol) == .op)
        // Nobody founds the lobby.
        let lobby = room(join(f, user(0, 9), "dave", "lobby", account: "dave"))
        #expect(lobby.settings.founder == nil && lobby.status(of: user(0, 9)) == [])
    }

    @Test func onlyOperatorsChangeModesAndOpsByAccountPersist() {
        let f = FakeLoops()
        let rust = room(join(f, alice, "alice", "rust", account: "alice"))
        join(f, bob, "bob", "rust", account: "bob")
        join(f, carol, "carol", "rust")
        _ = f.takeAll()
        // carol is no operator.
        let refused = f.hub.changeModes([.flag(.moderated, on: true)], in: rust, by: actor(carol, "carol"), currentLoop: 2)
        #expect(refused.refusals == [.notOperator(room: "rust")] && refused.applied.isEmpty)
        // alice ops bob (an account: kept in the operator list) and sets +m.
        let r = f.hub.changeModes([.op("bob", on: true), .flag(.moderated, on: true), .key("sesame")], in: rust,
                                  by: actor(alice, "alice", account: "alice"), currentLoop: 0)
        #expect(r.refusals.isEmpty && r.applied == "+omk bob sesame")
        #expect(rust.settings.operators == ["bob"] && rust.modes.flags == .moderated && rust.modes.key == "sesame")
        // Everyone sees one mode event from alice.
        #expect(f.takeAll().map { $0.map(describe) } == [
            ["deliver r1 [*: alice sets mode +omk bob sesame] except 0/0#0"],
            ["deliver r1 [*: alice sets mode +omk bob sesame] except 0/0#0"],
            ["deliver r1 [*: alice sets mode +omk bob sesame] except 0/0#0"],
        ])
        // A change that changes nothing is left out; a missing target is 441.
        let again = f.hub.changeModes([.flag(.moderated, on: true), .voice("nobody", on: true)], in: rust,
                                      by: actor(bob, "bob", account: "bob"), currentLoop: 1)
        #expect(again.applied.isEmpty && again.refusals == [.targetNotInRoom(nick: "nobody", room: "rust")])
        // The founder cannot be deopped by another operator.
        let deop = f.hub.changeModes([.op("alice", on: false)], in: rust, by: actor(bob, "bob", account: "bob"), currentLoop: 1)
        #expect(deop.refusals == [.founderProtected(nick: "alice")])
    }

    @Test func bansKeysAndInvitesGateJoins() {
        let f = FakeLoops()
        let rust = room(join(f, alice, "alice", "rust", account: "alice"))
        let op = actor(alice, "alice", account: "alice")
        let masks: [BanMask] = [.nick("spam*"), .account("eve"), .address(IPNetwork("198.51.100.0/24")!)]
        #expect(f.hub.changeModes(masks.map { .ban($0, on: true) }, in: rust, by: op, currentLoop: 0).refusals.isEmpty)
        #expect(refusal(join(f, bob, "spammer", "rust")) == .banned)
        #expect(refusal(join(f, bob, "eve2", "rust", account: "eve")) == .banned)
        #expect(refusal(join(f, bob, "bob", "rust", address: "198.51.100.77")) == .banned)
        // An admin passes every ban.
        #expect(join(f, user(0, 7), "spamadmin", "rust", admin: true).isSuccess)
        // Key.
        _ = f.hub.changeModes([.key("k1")], in: rust, by: op, currentLoop: 0)
        #expect(refusal(join(f, bob, "bob", "rust")) == .badKey)
        #expect(refusal(join(f, bob, "bob", "rust", key: "wrong")) == .badKey)
        #expect(join(f, bob, "bob", "rust", key: "k1").isSuccess)
        // Invite-only: an invite lets one join in, once.
        _ = f.hub.changeModes([.flag(.inviteOnly, on: true)], in: rust, by: op, currentLoop: 0)
        #expect(refusal(join(f, carol, "carol", "rust", key: "k1")) == .inviteOnly)
        #expect(f.hub.invite("carol", to: rust, by: op, currentLoop: 0) == .success(carol))
        #expect(join(f, carol, "carol", "rust").isSuccess)
        f.hub.leave(carol, room: rust, event: nil, currentLoop: 2)
        #expect(refusal(join(f, carol, "carol", "rust", key: "k1")) == .inviteOnly)
        // -b lifts a ban; an unknown one is refused.
        #expect(f.hub.changeModes([.ban(.nick("spam*"), on: false)], in: rust, by: op, currentLoop: 0).applied == "-b spam*!*@*")
        #expect(f.hub.changeModes([.ban(.nick("spam*"), on: false)], in: rust, by: op, currentLoop: 0).refusals
            == [.noSuchBan(mask: "spam*!*@*")])
    }

    @Test func banListIsBoundedAndTimedBansExpire() async throws {
        var limits = ChatLimits()
        limits.maxBansPerRoom = 5
        let f = FakeLoops(limits: limits)
        let rust = room(join(f, alice, "alice", "rust", account: "alice"))
        let op = actor(alice, "alice", account: "alice")
        // A flood of +b: the list stops at the limit, every further one refused.
        for i in 0..<50 {
            let r = f.hub.changeModes([.ban(.nick("n\(i)"), on: true)], in: rust, by: op, currentLoop: 0)
            #expect(r.refusals == (i < 5 ? [] : [.banListFull(room: "rust", limit: 5)]))
        }
        #expect(rust.bans.count == 5)
        // A timed ban ends by itself (and frees its slot).
        _ = f.hub.changeModes([.ban(.nick("n0"), on: false), .ban(.nick("brief"), on: true, expiresIn: 200)], in: rust, by: op, currentLoop: 0)
        #expect(refusal(join(f, bob, "brief", "rust")) == .banned)
        let deadline = ContinuousClock.now + .seconds(5)
        while refusal(join(f, bob, "brief", "rust")) == .banned, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(rust.contains(bob))
        #expect(rust.bans.count == 4)
    }

    @Test func mutedAndModeratedSpeakersAreRefused() async throws {
        let f = FakeLoops()
        let rust = room(join(f, alice, "alice", "rust", account: "alice"))
        join(f, bob, "bob", "rust")
        _ = f.takeAll()
        let op = actor(alice, "alice", account: "alice")
        #expect(f.hub.publish(msg("bob", "hi", room: "rust"), in: rust, sender: bob, except: bob, currentLoop: 1) == nil)
        #expect(f.hub.mute("bob", for: 300, in: rust, by: op, currentLoop: 0) == nil)
        _ = f.takeAll()
        #expect(f.hub.publish(msg("bob", "spam", room: "rust"), in: rust, sender: bob, except: bob, currentLoop: 1) == .muted)
        let quiet = f.takeAll().allSatisfy { $0.isEmpty }
        #expect(quiet)
        // The mute ends by itself.
        let deadline = ContinuousClock.now + .seconds(5)
        while f.hub.publish(msg("bob", "again", room: "rust"), in: rust, sender: bob, except: bob, currentLoop: 1) == .muted,
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(f.hub.publish(msg("bob", "free", room: "rust"), in: rust, sender: bob, except: bob, currentLoop: 1) == nil)
        // +m: only operators and voiced members speak.
        _ = f.hub.changeModes([.flag(.moderated, on: true)], in: rust, by: op, currentLoop: 0)
        #expect(f.hub.publish(msg("bob", "x", room: "rust"), in: rust, sender: bob, except: bob, currentLoop: 1) == .moderated)
        #expect(f.hub.publish(msg("alice", "x", room: "rust"), in: rust, sender: alice, except: alice, currentLoop: 0) == nil)
        _ = f.hub.changeModes([.voice("bob", on: true)], in: rust, by: op, currentLoop: 0)
        #expect(f.hub.publish(msg("bob", "x", room: "rust"), in: rust, sender: bob, except: bob, currentLoop: 1) == nil)
        // Server notices (no sender) always pass.
        #expect(f.hub.publish(msg("*", "x", room: "rust"), in: rust, except: .none, currentLoop: 0) == nil)
    }

    @Test func aKickIsSeenByAllThenTheKickedLoopDropsTheMember() {
        let f = FakeLoops()
        let rust = room(join(f, alice, "alice", "rust", account: "alice"))
        join(f, bob, "bob", "rust")
        _ = f.takeAll()
        #expect(f.hub.kick("bob", reason: "spam", from: rust, by: actor(bob, "bob"), currentLoop: 1) == .notOperator(room: "rust"))
        #expect(f.hub.kick("bob", reason: "spam", from: rust, by: actor(alice, "alice", account: "alice"), currentLoop: 0) == nil)
        let boxes = f.takeAll().map { $0.map(describe) }
        #expect(boxes[0] == ["deliver r1 [*: alice kicked bob spam] except 0/0#0"])
        #expect(boxes[1] == ["deliver r1 [*: alice kicked bob spam] except 0/0#0", "kicked 1/2#1 r1"])
        #expect(!rust.contains(bob) && rust.memberCount == 1)
        // The kick is in the room's history.
        #expect(rust.historyPage(before: nil, limit: 10).map(text).last == "*: alice kicked bob spam")
    }

    @Test func settingsComeBackFromTheStore() {
        let store = MemorySettings()
        store.saved["rust"] = RoomSettings(
            founder: "alice", operators: ["bob"], bans: [RoomBan(mask: .nick("eve"), setBy: "alice", setAt: 0)],
            modes: [.secret, .topicLock], key: "k", topic: RoomTopic(text: "hello", setBy: "alice", time: 1))
        let f = FakeLoops(settings: store)
        let rust = room(join(f, bob, "bob", "rust", account: "bob", key: "k"))
        #expect(rust.status(of: bob) == .op && rust.isSecret && rust.topic?.text == "hello")
        #expect(refusal(join(f, carol, "eve", "rust", key: "k")) == .banned)
    }
}

final class MemorySettings: RoomSettingsStore, @unchecked Sendable {
    // @unchecked: tests touch it from one thread.
    var saved: [String: RoomSettings] = [:]
    func load(room: String) -> RoomSettings? { saved[room] }
    func save(room: String, _ settings: RoomSettings) { saved[room] = settings }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
