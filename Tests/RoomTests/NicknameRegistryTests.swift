import EventLoop
import Room
import Synchronization
import Testing

@Suite("NicknameRegistry")
struct NicknameRegistryTests {
    let alice = user(0, 1), bob = user(1, 2), carol = user(2, 3)

    @Test func claimIsCaseInsensitiveAndKeepsTheSpelling() {
        let r = NicknameRegistry()
        #expect(r.claim("Alice", for: alice))
        #expect(!r.claim("alice", for: bob))
        #expect(!r.claim("ALICE", for: bob))
        #expect(!r.claim("Alice", for: alice))                 // even by the owner: it is taken
        #expect(r.lookup("aLiCe").map { E($0.id, $0.name) } == E(alice, "Alice"))
        #expect(r.lookup("bob") == nil)
        #expect(r.count == 1)
    }

    @Test func renameIsAtomicAndRefusesTakenNames() {
        let r = NicknameRegistry()
        #expect(r.claim("alice", for: alice))
        #expect(r.claim("bob", for: bob))
        #expect(!r.rename("alice", to: "BOB", for: alice))
        #expect(r.lookup("alice")?.id == alice)               // nothing changed on failure
        #expect(r.lookup("bob")?.id == bob)
        #expect(r.rename("alice", to: "alicia", for: alice))
        #expect(r.lookup("alice") == nil)                     // old name freed in the same step
        #expect(r.lookup("alicia").map { E($0.id, $0.name) } == E(alice, "alicia"))
        #expect(r.claim("alice", for: carol))
        #expect(r.count == 3)
    }

    @Test func renameToAnotherCaseOfTheSameName() {
        let r = NicknameRegistry()
        #expect(r.claim("alice", for: alice))
        #expect(r.rename("alice", to: "Alice", for: alice))
        #expect(r.lookup("ALICE").map { E($0.id, $0.name) } == E(alice, "Alice"))
        #expect(r.count == 1)
    }

    @Test func releaseByANonOwnerIsIgnored() {
        let r = NicknameRegistry()
        #expect(r.claim("alice", for: alice))
        r.release("ALICE", for: bob)
        #expect(r.lookup("alice")?.id == alice)
        r.release("Alice", for: alice)
        #expect(r.lookup("alice") == nil)
        #expect(r.count == 0)
        r.release("alice", for: alice)                        // releasing twice is harmless
        #expect(r.count == 0)
    }

    @Test func renameDoesNotFreeAnOldNameOwnedBySomeoneElse() {
        let r = NicknameRegistry()
        #expect(r.claim("alice", for: alice))
        #expect(r.rename("alice", to: "mallory", for: bob))   // bob never owned "alice"
        #expect(r.lookup("alice")?.id == alice)
        #expect(r.lookup("mallory")?.id == bob)
    }

    /// 8 threads race for one name (in different cases), 200 rounds: exactly one winner each
    /// round, and the registry names that winner.
    @Test func concurrentClaimsHaveExactlyOneWinner() {
        let spellings = ["neo", "Neo", "NEO", "nEo", "neO", "NeO", "nEO", "NEo"]
        for round in 0..<200 {
            let r = NicknameRegistry()
            let barrier = StartBarrier(parties: 8)
            let winners = Mutex<[Int]>([])
            let threads = (0..<8).map { t in
                LoopThread.spawn(name: "nick-\(t)") {
                    barrier.arriveAndWait()
                    if r.claim(spellings[t], for: ConnectionID(loop: t, slot: round, generation: 1)) {
                        winners.withLock { $0.append(t) }
                    }
                }
            }
            for t in threads { t.join() }
            let w = winners.withLock { $0 }
            #expect(w.count == 1, "round \(round): winners \(w)")
            if let t = w.first {
                #expect(r.lookup("neo").map { E($0.id, $0.name) } == E(ConnectionID(loop: t, slot: round, generation: 1), spellings[t]))
            }
            #expect(r.count == 1)
        }
    }
}

/// Entry's memberwise init is internal: compare (id, name) pairs instead.
struct E: Equatable {
    let id: ConnectionID
    let name: String
    init(_ id: ConnectionID, _ name: String) { self.id = id; self.name = name }
}
