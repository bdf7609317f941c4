import Room

/// Redis names of one room. Every key and the channel carry the room's folded name as a hash
/// tag (`{…}`), so they share one Redis Cluster slot and a script may touch them together
/// (cluster-anchors.md: "keys without a {room} tag" is pitfall 5).
struct ClusterKeys {
    /// The room's folded name (`NameKey`): "Lobby" and "lobby" are one room everywhere.
    let room: String
    /// Hash: `epoch` (one life of the room's data), `seq` (the last number), `topic` (a payload).
    var meta: String { "chatd:{\(room)}:meta" }
    /// Stream of payloads, entry IDs `<number>-0`, MAXLEN-bounded.
    var log: String { "chatd:{\(room)}:log" }
    var channel: String { "chatd:{\(room)}:ch" }
    /// Hash: member key (`member`) → its join record (a `RelayedEvent` of kind join naming the
    /// member as it is now), for every member on every node. Changed only by the scripts that
    /// also number and publish the change, so it agrees with the room's order.
    var members: String { "chatd:{\(room)}:members" }
    /// Sorted set: node origin → when its presence in the room expires (ms, Redis clock). A node
    /// refreshes it while it has the room; the reaper removes the members of nodes past it.
    var nodes: String { "chatd:{\(room)}:nodes" }

    /// Names one member cluster-wide: the node's origin and the connection there.
    static func member(origin: String, id: UInt64) -> String { "\(origin)|\(id)" }

    /// Whether `key` has the form of `member`.
    static func isMember(_ key: String) -> Bool {
        guard let bar = key.lastIndex(of: "|") else { return false }
        let id = key[key.index(after: bar)...]
        return bar != key.startIndex && !id.isEmpty && UInt64(id) != nil
    }

    /// Sorted set: node origin → when it expires (ms): nodes alive, for the room listing.
    /// The `{nodes}` tag keeps the listing's keys in one Redis Cluster slot.
    static let liveNodes = "chatd:{nodes}:live"
    /// Hash: room name → members on that node (`liveNodes`), replaced by its every heartbeat.
    static let nodeRoomsPrefix = "chatd:{nodes}:rooms:"

    /// A nickname's holder: one connection of one node (`origin|connection`). Held while that
    /// node is alive in `liveNodes`; the key's own long TTL only clears dead nodes' keys.
    static func nickname(_ name: String) -> String { "chatd:nick:{\(NameKey.fold(name))}" }

    /// A node's own channel: private messages for the names it holds (`ClusterScripts.whisper`).
    static func nodeChannel(_ origin: String) -> String { "chatd:node:\(origin)" }

    /// The folded room name in a room's channel name, nil for any other channel.
    static func room(ofChannel channel: String) -> String? {
        guard channel.hasPrefix("chatd:{"), channel.hasSuffix("}:ch"), channel.utf8.count >= 11 else { return nil }
        return String(channel.dropFirst(7).dropLast(4))
    }

    /// What every node subscribes to (PSUBSCRIBE): all rooms' channels.
    static let channelPattern = "chatd:{*}:ch"

    init(roomName: String) {
        room = NameKey.fold(roomName)
    }
}
