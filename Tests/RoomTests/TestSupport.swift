import ChatProtocol
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

    init(count: Int = 3, limits: ChatLimits = ChatLimits()) {
        let bells = (0..<count).map { _ in Counter() }
        doorbells = bells
        hub = ChatHub(loopCount: count, limits: limits, doorbells: bells.map { b in { b.increment() } })
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
        guard case .success(let r) = hub.join(id, name: name, roomName: room, sequence: sequence, currentLoop: id.loop) else {
            fatalError("join failed")
        }
        return r
    }
}

func user(_ loop: Int, _ slot: Int) -> ConnectionID { ConnectionID(loop: loop, slot: slot, generation: 1) }

/// Decodes a sequence of frames (10-byte header + payload) into payload strings.
func payloads(_ bytes: [UInt8]) -> [String] {
    var out: [String] = []
    var i = 0
    while i + 10 <= bytes.count {
        let header = String(decoding: bytes[i..<(i + 10)], as: UTF8.self).trimmingCharacters(in: " ")
        guard let n = Int(header), i + 10 + n <= bytes.count else { return out + ["<bad frame>"] }
        out.append(String(decoding: bytes[(i + 10)..<(i + 10 + n)], as: UTF8.self))
        i += 10 + n
    }
    return i == bytes.count ? out : out + ["<trailing bytes>"]
}

/// "sender: text" for a two-frame chat message.
func text(_ frame: SharedBytes) -> String { payloads(frame.array).joined(separator: ": ") }

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
    case .deliver(let roomID, let frame, let except):
        return "deliver r\(roomID) [\(text(frame))] except \(except)"
    case .joined(let id, let room, let sequence, let replay):
        return "joined \(id) #\(room.name) seq \(sequence) replay \(replay.map(text))"
    case .direct(let id, let frame):
        return "direct \(id) [\(text(frame))]"
    case .reconfigure(let limits):
        return "reconfigure history \(limits.history)"
    case .shutdown(let deadline):
        return "shutdown \(deadline)"
    }
}
