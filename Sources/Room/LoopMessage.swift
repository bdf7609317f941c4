import EventLoop

/// What one loop hands another (or itself) through its mailbox. Room traffic is posted while
/// the room's lock is held, which is what makes every loop see a room's events in one order.
public enum LoopMessage: Sendable {
    /// Deliver `event` to every local member of room `roomID` except `except`.
    case deliver(roomID: Int, event: RoomEvent, except: ConnectionID)
    /// A connection became a member of a room: start delivering to it, after its protocol has
    /// shown the join (history, topic, names). Delivered through the mailbox rather than applied
    /// at once so events sequenced before the join are not also delivered live.
    indirect case joined(JoinedRoom)
    /// `event` (a private message) for one connection.
    case direct(ConnectionID, RoomEvent)
    /// An error for one connection: something it sent was not taken (e.g. the cluster link is
    /// down), and why.
    case refused(ConnectionID, String)
    /// A join that waited for the room's past was refused (the cluster link stayed down): the
    /// connection is no member of `room`; `sequence` is the join's, as in `JoinedRoom`.
    indirect case joinRefused(ConnectionID, room: Room, sequence: UInt32, reason: String)
    /// Close one connection with an error (its nickname is held on another node).
    case evict(ConnectionID, String)
    /// A server notice for every logged-in connection of the loop.
    case noticeToAll(String)
    /// A server notice for the loop's members of room `roomID`.
    case roomNotice(roomID: Int, String)
    /// New limits after a reload.
    /// (indirect: keeps every mailbox slot as small as a `.deliver`.)
    indirect case reconfigure(ChatLimits)
    /// Stop accepting, say goodbye, flush until `deadline`, close everything, stop the loop.
    case shutdown(deadline: UInt64)
    /// The operator disconnects one connection (`chatd ctl kick`), telling it why.
    indirect case disconnect(ConnectionID, notice: String)
    /// A server ban was added: close the loop's connections it matches.
    indirect case serverBan(ServerBan)
    /// A moderator removed the connection from room `roomID` (its kick event came first).
    case kicked(ConnectionID, roomID: Int)
    /// Stop accepting and close every connection gracefully after telling it `notice`, but keep
    /// the loop running (`chatd ctl drain`, for a rolling restart).
    indirect case drain(notice: String)
    /// The account worker's answer to a register or log-in request of one connection.
    indirect case account(ConnectionID, AccountOutcome)
}

/// Everything the joiner's protocol needs to show a join, captured under the room's lock at the
/// join's place in the room's order.
public struct JoinedRoom: Sendable {
    public let id: ConnectionID
    public let room: Room
    /// The joiner's join counter; a `.joined` for an older join is ignored.
    public let sequence: UInt32
    /// The room's history, oldest first.
    public let history: [RoomEvent]
    /// Members' nicknames (the joiner included), when the joiner asked for them (IRC NAMES).
    public let roster: [String]?
    /// The same with each member's status prefix (`@`, `+`: IRC NAMES).
    public let prefixedRoster: [String]?
    public let topic: RoomTopic?
}

/// A room's topic (IRC `TOPIC`; framed clients see changes as notices).
public struct RoomTopic: Sendable, Equatable {
    public let text: String
    public let setBy: String
    /// Seconds since the Unix epoch.
    public let time: Int64

    public init(text: String, setBy: String, time: Int64) {
        self.text = text
        self.setBy = setBy
        self.time = time
    }
}
