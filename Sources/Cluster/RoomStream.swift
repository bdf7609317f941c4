/// One entry of a room's stream in Redis: the room's number for it and what was said.
public struct StreamEntry<Payload> {
    public let number: UInt64
    public let payload: Payload

    public init(number: UInt64, payload: Payload) {
        self.number = number
        self.payload = payload
    }
}

extension StreamEntry: Equatable where Payload: Equatable {}

/// What a node knows of one room's order in the cluster, as a pure state machine: messages
/// come in from the subscription (`published`), from the room's stream when it was first
/// joined here (`snapshotArrived`) and when filling a gap (`rangeArrived`); it answers with
/// actions — deliver in number order, fetch a range, report numbers lost to trimming — and
/// never touches a socket (DESIGN.md §8; Centrifugo's offset recovery, cluster-anchors.md).
///
/// - Every number is delivered at most once and in increasing order.
/// - A gap (a number above last + 1) is fetched from the stream before anything newer is
///   delivered; only what the stream no longer holds (trimmed by MAXLEN) is reported lost.
/// - The epoch names one life of the room's data in Redis: a different epoch means Redis lost
///   it (a restart without persistence), and numbering starts again (`reset`).
/// - Replies to superseded requests (`request` numbers) are ignored.
public struct RoomStream<Payload> {
    public enum Action {
        /// Ask for the room's past: its epoch, last number, newest entries (and topic).
        case snapshot(request: UInt64)
        /// Ask for up to `limit` entries numbered above `after`.
        case fetch(after: UInt64, request: UInt64)
        /// The room's past: numbers up to `last` are done; `entries` are the newest (oldest first).
        case restore(last: UInt64, entries: [StreamEntry<Payload>])
        case deliver(StreamEntry<Payload>)
        /// `count` numbers before the next delivery are gone from the stream.
        case lost(count: UInt64)
        /// Redis no longer has the room's earlier data; numbering restarts.
        case reset
    }

    public private(set) var synced = false
    public private(set) var last: UInt64 = 0
    public private(set) var epoch: String?
    /// The outstanding snapshot or fetch, 0 when none.
    public private(set) var outstanding: UInt64 = 0
    private var requests: UInt64 = 0
    /// Entries above `last + 1`, or any while a request is outstanding, by number.
    private var buffer: [UInt64: StreamEntry<Payload>] = [:]
    /// Entries per fetch; a full answer means there may be more.
    public let fetchLimit: Int
    /// Entries kept while waiting; beyond that they are dropped and fetched from the stream.
    public let bufferLimit: Int

    public init(fetchLimit: Int = 1000, bufferLimit: Int = 10_000) {
        self.fetchLimit = max(1, fetchLimit)
        self.bufferLimit = max(1, bufferLimit)
    }

    public var buffered: Int { buffer.count }

    /// The room was first joined here: fetch its past (live entries wait in the buffer).
    public mutating func start() -> [Action] {
        [.snapshot(request: newRequest())]
    }

    /// The link came back: what was asked before is lost with the old connection, and
    /// anything published meanwhile must be fetched.
    public mutating func reconnected() -> [Action] {
        synced ? [.fetch(after: last, request: newRequest())] : [.snapshot(request: newRequest())]
    }

    /// A periodic look at the stream's top: a lost *last* message has no successor to reveal
    /// the gap (Centrifugo's position check). Nothing while a request is outstanding.
    public mutating func checkTop() -> [Action] {
        guard synced, outstanding == 0 else { return [] }
        return [.fetch(after: last, request: newRequest())]
    }

    public mutating func published(_ entry: StreamEntry<Payload>, epoch e: String) -> [Action] {
        guard synced else {
            keep(entry)
            return []
        }
        var actions: [Action] = []
        if let known = epoch, known != e {
            // Redis lost the room and someone published anew: start over from its first entry.
            actions.append(.reset)
            self.epoch = e
            last = 0
            buffer.removeAll()
            keep(entry)
            actions.append(.fetch(after: 0, request: newRequest()))
            return actions
        }
        if epoch == nil { epoch = e }
        guard entry.number > last else { return actions }
        if outstanding != 0 {
            keep(entry)
            return actions
        }
        if entry.number == last &+ 1 {
            deliver(entry, into: &actions)
            drain(gapIsLoss: false, into: &actions)
        } else {
            keep(entry)
            actions.append(.fetch(after: last, request: newRequest()))
        }
        return actions
    }

    public mutating func snapshotArrived(request: UInt64, epoch e: String?, last l: UInt64, newest: [StreamEntry<Payload>]) -> [Action] {
        guard request == outstanding, !synced else { return [] }
        outstanding = 0
        synced = true
        epoch = e
        last = l
        var actions: [Action] = [.restore(last: l, entries: newest.filter { $0.number <= l })]
        drain(gapIsLoss: false, into: &actions)
        return actions
    }

    public mutating func rangeArrived(request: UInt64, epoch e: String?, entries: [StreamEntry<Payload>]) -> [Action] {
        guard request == outstanding, synced else { return [] }
        outstanding = 0
        var actions: [Action] = []
        if let known = epoch, e != known {
            // The store was lost (and maybe written anew) since our last number.
            actions.append(.reset)
            epoch = e
            last = 0
            buffer.removeAll()
            if e != nil { actions.append(.fetch(after: 0, request: newRequest())) }
            return actions
        }
        if epoch == nil { epoch = e }
        for entry in entries where entry.number > last {
            if entry.number > last &+ 1 { actions.append(.lost(count: entry.number - last - 1)) }
            deliver(entry, into: &actions)
        }
        if entries.count >= fetchLimit {
            actions.append(.fetch(after: last, request: newRequest()))
            return actions
        }
        // The stream held nothing after `last`: a gap before a buffered entry was trimmed. After
        // a non-empty answer a gap may be entries published since: fetch again.
        drain(gapIsLoss: entries.isEmpty, into: &actions)
        return actions
    }

    private mutating func newRequest() -> UInt64 {
        requests &+= 1
        outstanding = requests
        return requests
    }

    private mutating func keep(_ entry: StreamEntry<Payload>) {
        if buffer.count < bufferLimit || buffer[entry.number] != nil { buffer[entry.number] = entry }
    }

    private mutating func deliver(_ entry: StreamEntry<Payload>, into actions: inout [Action]) {
        last = entry.number
        buffer.removeValue(forKey: entry.number)
        actions.append(.deliver(entry))
    }

    /// Delivers buffered entries while they follow `last`; at a gap, fetches (or, when the
    /// stream is known not to hold it, reports it lost and goes on).
    private mutating func drain(gapIsLoss: Bool, into actions: inout [Action]) {
        for number in buffer.keys.sorted() {
            guard let entry = buffer[number], number > last else {
                buffer.removeValue(forKey: number)
                continue
            }
            if number == last &+ 1 {
                deliver(entry, into: &actions)
            } else if gapIsLoss {
                actions.append(.lost(count: number - last - 1))
                deliver(entry, into: &actions)
            } else {
                actions.append(.fetch(after: last, request: newRequest()))
                return
            }
        }
    }
}
