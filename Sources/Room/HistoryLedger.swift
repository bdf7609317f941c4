import EventLoop
import Synchronization

/// The daemon's record of the history entries rooms appended, oldest first: what makes the
/// daemon-wide history budget (`ChatLimits.historyBudgetBytes`) a hard bound at O(1) amortized
/// work per message.
///
/// When the bytes held by all rooms exceed the budget, the loop that just published evicts
/// from the front of the ledger: each entry names a room and a sequence number, and evicting it
/// drops that entry and every older one of the room (a room's history only ever loses its
/// oldest entries). Entries the room already dropped itself (its own count or byte bound, a
/// reload, the room being removed) are stale and cost one look. Each entry is recorded once and
/// examined at most twice (once by a compaction, once when evicted), so the work per publish
/// does not depend on how many rooms exist or are occupied.
///
/// One ledger for all loops, not one per loop: with per-loop ledgers a loop whose connections
/// happened to publish less evicted its own newest room's history while another loop's older
/// entries stayed (seen in `E2EHistoryTests.budgetBoundsHistoryOfOccupiedRooms` under load).
/// The price is one short lock per publish that keeps history.
///
/// Stale entries would pile up while the total is below the budget (nothing evicts then), so
/// the ledger compacts itself when it has doubled since the last compaction: the scan of n
/// entries is paid for by the n/2 appends since, and the ledger stays at most twice the live
/// entries (plus a constant), which are bounded by the history the rooms hold.
struct HistoryLedger {
    struct Entry {
        let room: Room
        let sequence: UInt64
    }

    /// `entries[head...]` are the ledger, oldest first; the prefix was evicted and is dropped
    /// once it is half the array, so popping stays O(1) amortized without a deque.
    private var entries: [Entry] = []
    private var head = 0
    private var compactionThreshold = HistoryLedger.minimumCompactionThreshold
    static let minimumCompactionThreshold = 64

    /// Entries looked at (one room lock each) by evictions and compactions since the start:
    /// the work the budget costs, counted by tests.
    private(set) var examined = 0

    var count: Int { entries.count - head }

    mutating func record(_ room: Room, sequence: UInt64) {
        if count >= compactionThreshold { compact() }
        entries.append(Entry(room: room, sequence: sequence))
    }

    /// Evicts this loop's oldest entries until all history fits in `budget` or the ledger is
    /// empty. A room left with neither history nor members is dropped from the directory.
    mutating func evict(downTo budget: Int, in directory: RoomDirectory) {
        while head < entries.count && directory.historyBytes.load(ordering: .relaxed) > budget {
            let entry = entries[head]
            head += 1
            examined += 1
            let (freed, unused) = entry.room.state.withLock { st -> (Int, Bool) in
                let freed = st.history.evict(through: entry.sequence)
                return (freed, freed > 0 && st.history.count == 0 && st.members.isEmpty)
            }
            if freed > 0 {
                directory.historyBytes.wrappingSubtract(freed, ordering: .relaxed)
                directory.budgetEvictedBytes.wrappingAdd(freed, ordering: .relaxed)
            }
            if unused { directory.removeIfUnused(entry.room) }
        }
        if head > 0 && head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    /// Drops the stale entries.
    private mutating func compact() {
        var live: [Entry] = []
        live.reserveCapacity(count)
        for entry in entries[head...] {
            examined += 1
            if entry.room.state.withLock({ $0.history.holds(entry.sequence) }) { live.append(entry) }
        }
        entries = live
        head = 0
        compactionThreshold = max(Self.minimumCompactionThreshold, 2 * live.count)
    }
}
