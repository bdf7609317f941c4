import Room

/// One room a connection is in, and where it sits in the loop's local member list of that room.
/// 16 bytes: it is stored inline in every connection that joined a room.
struct Membership {
    let room: Room
    /// The join that made it; a `.joined` for another join is stale.
    let sequence: UInt32
    private var slot: Int32 = -1

    init(room: Room, sequence: UInt32) {
        self.room = room
        self.sequence = sequence
    }

    /// Index in the loop's local member list of `room`; -1 until `.joined` arrives.
    var index: Int {
        get { Int(slot) }
        set { slot = Int32(truncatingIfNeeded: newValue) }
    }
}

/// A connection's rooms in joining order. The first is stored inline: a framed client (one room)
/// and most IRC and browser clients never allocate an array for their memberships.
struct Memberships: RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral {
    private var head: Membership?
    private var tail: [Membership] = []

    init() {}

    init(arrayLiteral elements: Membership...) {
        for m in elements { append(m) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { head == nil ? 0 : 1 &+ tail.count }

    subscript(position: Int) -> Membership {
        get { position == 0 ? head! : tail[position &- 1] }
        set {
            if position == 0 {
                precondition(head != nil, "index out of range")
                head = newValue
            } else {
                tail[position &- 1] = newValue
            }
        }
    }

    mutating func append(_ membership: Membership) {
        if head == nil { head = membership } else { tail.append(membership) }
    }

    @discardableResult
    mutating func remove(at position: Int) -> Membership {
        let removed: Membership
        if position == 0 {
            removed = head!
            head = tail.isEmpty ? nil : tail.removeFirst()
        } else {
            removed = tail.remove(at: position &- 1)
        }
        if tail.isEmpty { tail = [] }  // give the storage back
        return removed
    }
}
