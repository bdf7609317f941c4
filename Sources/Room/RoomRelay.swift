/// Where a room's said things go when the room's order is kept outside this process (the
/// cluster link, `--cluster`): the hub hands messages, actions, notices and topics here instead
/// of sequencing them itself, and the relay brings them back — numbered by the cluster, in
/// that order, on every node, the sender's own included — through `ChatHub.deliverRelayed`.
/// A room created on this node gets its past (history, last number) through
/// `ChatHub.restoreRelayed` after `sync`; joins wait for it. Room knows nothing of the wire
/// format or the transport behind this. Both methods are called on a loop thread, outside
/// room locks, and must not block.
public protocol RoomRelay: AnyObject, Sendable {
    /// `event` was said in `room` by connection `sender`; members other than `except` get it.
    /// A relay that cannot take it tells `sender` (`ChatHub.refuse`) rather than dropping it.
    func publish(_ event: RoomEvent, in room: Room, sender: ConnectionID, except: ConnectionID)
    /// `room` was created on this node: fetch its past, then call `ChatHub.restoreRelayed`.
    func sync(_ room: Room)
    /// Connection `id` took the nickname `name` on this node (`NicknameRegistry`): hold it
    /// cluster-wide, or `ChatHub.evict` the connection if another node holds it.
    func claimed(_ name: String, by id: ConnectionID)
    /// `id` gave `name` up (quit, rename).
    func released(_ name: String, by id: ConnectionID)
    /// Presence of a member of this node: `member` joined, left (part, quit — also silently, at
    /// shutdown), was renamed in `room`. The relay tells the other nodes (their member lists
    /// and join/part notices) through `ChatHub.deliverRelayedPresence`.
    func presence(_ event: RoomEvent, in room: Room, member: ConnectionID)
    /// A private message for the user called `name`, held by no connection of this node: the
    /// relay delivers it wherever the cluster holds the name, or refuses it to `sender`.
    func sendPrivate(_ event: RoomEvent, to name: String, sender: ConnectionID)
}
