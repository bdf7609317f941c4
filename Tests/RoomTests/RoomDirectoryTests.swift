import EventLoop
import Room
import Testing

@Suite("RoomDirectory")
struct RoomDirectoryTests {
    func limits(maxRooms: Int = 10_000, history: Int = 50) -> ChatLimits {
        var l = ChatLimits()
        l.maxRooms = maxRooms
        l.history = history
        return l
    }

    func room(_ d: RoomDirectory, _ name: String, _ l: ChatLimits) -> Room? {
        if case .success(let r) = d.room(named: name, limits: l) { return r }
        return nil
    }

    @Test func createsOnFirstLookupAndFindsCaseInsensitively() throws {
        let d = RoomDirectory(loopCount: 2)
        let l = limits()
        let rust = try #require(room(d, "Rust", l))
        #expect(rust.name == "Rust")
        #expect(rust.memberCount == 0)
        #expect(room(d, "rust", l) === rust)
        #expect(room(d, "RUST", l) === rust)
        let go = try #require(room(d, "go", l))
        #expect(go !== rust)
        #expect(go.id != rust.id)
        #expect(d.count == 2)
        #expect(d.list().map(\.name) == ["Rust", "go"])
    }

    @Test func removeIfUnusedDropsEmptyRoomsWithoutHistory() throws {
        let hub = FakeLoops(count: 1).hub
        let l = hub.limits
        let empty = try #require(room(hub.rooms, "empty", l))
        hub.rooms.removeIfUnused(empty)
        #expect(hub.rooms.count == 0)
        let again = try #require(room(hub.rooms, "empty", l))
        #expect(again !== empty)
        #expect(again.id != empty.id)
    }

    @Test func removeIfUnusedKeepsRoomsWithHistoryOrMembersAndTheLobby() throws {
        let fake = FakeLoops(count: 1)
        let hub = fake.hub
        let l = hub.limits
        let talked = try #require(room(hub.rooms, "talked", l))
        hub.publish(msg("a", "x"), in: talked, except: user(0, 1), currentLoop: 0)
        hub.rooms.removeIfUnused(talked)
        #expect(room(hub.rooms, "talked", l) === talked)
        #expect(talked.historyCount == 1)

        let busy = fake.join(user(0, 2), "bob", "busy")
        hub.rooms.removeIfUnused(busy)
        #expect(room(hub.rooms, "busy", l) === busy)

        let lobby = try #require(room(hub.rooms, "Lobby", l))
        hub.rooms.removeIfUnused(lobby)
        #expect(room(hub.rooms, "lobby", l) === lobby)
        #expect(hub.rooms.count == 3)
    }

    @Test func removeIfUnusedIgnoresAStaleRoomObject() throws {
        let hub = FakeLoops(count: 1).hub
        let l = hub.limits
        let first = try #require(room(hub.rooms, "x", l))
        hub.rooms.removeIfUnused(first)
        let second = try #require(room(hub.rooms, "x", l))
        hub.publish(msg("a", "keep"), in: second, except: user(0, 1), currentLoop: 0)
        hub.rooms.removeIfUnused(first)                       // the old object must not drop the new room
        #expect(room(hub.rooms, "x", l) === second)
    }

    @Test func atMaxRoomsAnEmptyRoomIsEvictedEvenWithHistory() throws {
        let fake = FakeLoops(count: 1)
        let hub = fake.hub
        let l = limits(maxRooms: 3)
        _ = try #require(room(hub.rooms, "lobby", l))
        let occupied = fake.join(user(0, 1), "alice", "occupied")
        let quiet = try #require(room(hub.rooms, "quiet", l))
        hub.publish(msg("a", "old"), in: quiet, except: user(0, 9), currentLoop: 0)
        #expect(hub.rooms.count == 3)

        let fresh = try #require(room(hub.rooms, "fresh", l))
        #expect(hub.rooms.count == 3)
        #expect(Set(hub.rooms.list().map(\.name)) == ["lobby", "occupied", "fresh"])
        #expect(room(hub.rooms, "occupied", limits(maxRooms: 100)) === occupied)
        #expect(fresh.historyCount == 0)
        // The evicted room is gone with its history: a lookup by name makes a new one.
        let reborn = try #require(room(hub.rooms, "quiet", limits(maxRooms: 100)))
        #expect(reborn !== quiet)
        #expect(reborn.historyCount == 0)
    }

    @Test func tooManyRoomsWhenEveryRoomIsOccupied() throws {
        let fake = FakeLoops(count: 2)
        let hub = fake.hub
        let l = limits(maxRooms: 3)
        _ = try #require(room(hub.rooms, "lobby", l))        // the lobby is never evicted, even empty
        fake.join(user(0, 1), "alice", "a")
        fake.join(user(1, 2), "bob", "b")
        #expect(hub.rooms.d_lookup("c", l) == .failure(.tooManyRooms))
        #expect(hub.rooms.count == 3)
        // Existing rooms are still found at the cap.
        #expect(hub.rooms.d_lookup("A", l) != .failure(.tooManyRooms))
    }

    @Test func listSortsByNameWithMemberCounts() {
        let fake = FakeLoops(count: 2)
        fake.join(user(0, 1), "alice", "zeta")
        fake.join(user(1, 2), "bob", "alpha")
        fake.join(user(1, 3), "carol", "zeta")
        let list = fake.hub.rooms.list()
        #expect(list.map(\.name) == ["alpha", "zeta"])
        #expect(list.map(\.members) == [1, 2])
    }

    @Test func resizeHistoriesAppliesToEveryRoom() throws {
        let fake = FakeLoops(count: 1)
        let hub = fake.hub
        let a = fake.join(user(0, 1), "alice", "a")
        let b = fake.join(user(0, 2), "bob", "b")
        for i in 0..<10 {
            hub.publish(msg("alice", "\(i)"), in: a, except: user(0, 1), currentLoop: 0)
            hub.publish(msg("bob", "\(i)"), in: b, except: user(0, 2), currentLoop: 0)
        }
        hub.rooms.resizeHistories(to: 3)
        #expect(a.historyCount == 3)
        #expect(b.historyCount == 3)
    }
}

extension RoomDirectory {
    /// The lookup result without the room object, for `#expect` comparisons.
    func d_lookup(_ name: String, _ limits: ChatLimits) -> Result<String, LookupError> {
        room(named: name, limits: limits).map(\.name)
    }
}
