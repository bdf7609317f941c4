import EventLoop

/// What one loop hands another (or itself) through its mailbox. Room traffic is posted while
/// the room's lock is held, which is what makes every loop see a room's events in one order.
public enum LoopMessage: Sendable {
    /// Queue `frame` to every local member of room `roomID` except `except`.
    case deliver(roomID: Int, frame: SharedBytes, except: ConnectionID)
    /// `id` became a member of `room` (join number `sequence`): start delivering to it, after
    /// queueing `replay` (history bracketed by notices). Delivered through the mailbox rather
    /// than applied at once so messages posted before the join are not also replayed.
    case joined(ConnectionID, room: Room, sequence: UInt32, replay: [SharedBytes])
    /// Queue `frame` to one connection (private messages, replies routed across loops).
    case direct(ConnectionID, SharedBytes)
    /// New limits after a reload.
    /// (indirect: keeps every mailbox slot as small as a `.deliver`.)
    indirect case reconfigure(ChatLimits)
    /// Stop accepting, say goodbye, flush until `deadline`, close everything, stop the loop.
    case shutdown(deadline: UInt64)
}
