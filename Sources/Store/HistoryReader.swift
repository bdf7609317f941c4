import CSQLite

/// The read side of the SQLite store: its own connection (WAL lets it read while the writer
/// commits) and prepared statements, used under the store's lock. Every query walks the
/// (room, seq) index from the anchor, so a page costs the same at any depth of the history.
final class HistoryReader {
    private let database: SQLiteDatabase
    private let roomByName: SQLiteStatement
    private let latestRows: SQLiteStatement
    private let beforeRows: SQLiteStatement
    private let afterRows: SQLiteStatement
    private let betweenAscending: SQLiteStatement
    private let betweenDescending: SQLiteStatement
    private let byID: SQLiteStatement
    private let byTime: SQLiteStatement

    private static let columns = "e.id, r.name, e.seq, e.time, e.kind, e.private, e.sender, e.text"

    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA busy_timeout = 2000")
        let from = "SELECT \(Self.columns) FROM events e JOIN rooms r ON r.id = e.room WHERE e.room = ?1"
        roomByName = try database.prepare("SELECT id, last_seq FROM rooms WHERE name = ?1")
        latestRows = try database.prepare("\(from) ORDER BY e.seq DESC LIMIT ?2")
        beforeRows = try database.prepare("\(from) AND e.seq < ?3 ORDER BY e.seq DESC LIMIT ?2")
        afterRows = try database.prepare("\(from) AND e.seq > ?3 ORDER BY e.seq LIMIT ?2")
        betweenAscending = try database.prepare("\(from) AND e.seq > ?3 AND e.seq < ?4 ORDER BY e.seq LIMIT ?2")
        betweenDescending = try database.prepare("\(from) AND e.seq > ?3 AND e.seq < ?4 ORDER BY e.seq DESC LIMIT ?2")
        byID = try database.prepare("SELECT \(Self.columns) FROM events e JOIN rooms r ON r.id = e.room WHERE e.id = ?1")
        byTime = try database.prepare(
            "SELECT seq FROM events WHERE room = ?1 AND time >= ?2 ORDER BY time, seq LIMIT 1")
    }

    /// The room's row id and last sequence, nil if it never had an event stored.
    private func room(_ name: String) throws -> (id: Int64, last: UInt64)? {
        defer { roomByName.reset() }
        guard try roomByName.withText(1, name, { try roomByName.step() }) else { return nil }
        return (roomByName.int64(0), UInt64(bitPattern: roomByName.int64(1)))
    }

    private func rows(_ s: SQLiteStatement, room name: String, limit: Int, _ a: UInt64? = nil, _ b: UInt64? = nil,
                      descending: Bool) throws -> [StoredEvent] {
        guard limit > 0, let room = try room(name) else { return [] }
        defer { s.reset() }
        s.bind(1, room.id)
        s.bind(2, Int64(limit))
        if let a { s.bind(3, Int64(bitPattern: a)) }
        if let b { s.bind(4, Int64(bitPattern: b)) }
        var out: [StoredEvent] = []
        while try s.step() { out.append(Self.event(s)) }
        if descending { out.reverse() }
        return out
    }

    private static func event(_ s: SQLiteStatement) -> StoredEvent {
        StoredEvent(
            room: s.text(1), sequence: UInt64(bitPattern: s.int64(2)), id: s.int64(0), time: s.int64(3),
            sender: s.text(6), kind: StoredEventKind(rawValue: UInt8(truncatingIfNeeded: s.int64(4))) ?? .message,
            text: s.text(7), isPrivate: s.int64(5) != 0)
    }

    func latest(room: String, limit: Int) throws -> [StoredEvent] {
        try rows(latestRows, room: room, limit: limit, descending: true)
    }

    func before(room: String, sequence: UInt64, limit: Int) throws -> [StoredEvent] {
        try rows(beforeRows, room: room, limit: limit, sequence, descending: true)
    }

    func after(room: String, sequence: UInt64, limit: Int) throws -> [StoredEvent] {
        try rows(afterRows, room: room, limit: limit, sequence, descending: false)
    }

    func between(room: String, lower: UInt64, upper: UInt64, limit: Int, newestFirst: Bool) throws -> [StoredEvent] {
        try rows(newestFirst ? betweenDescending : betweenAscending, room: room, limit: limit, lower, upper,
                 descending: newestFirst)
    }

    func event(id: Int64) throws -> StoredEvent? {
        defer { byID.reset() }
        byID.bind(1, id)
        return try byID.step() ? Self.event(byID) : nil
    }

    func firstSequence(room name: String, atOrAfter time: Int64) throws -> UInt64? {
        guard let room = try room(name) else { return nil }
        defer { byTime.reset() }
        byTime.bind(1, room.id)
        byTime.bind(2, time)
        return try byTime.step() ? UInt64(bitPattern: byTime.int64(0)) : nil
    }

    func lastSequence(room name: String) throws -> UInt64? {
        try room(name)?.last
    }
}
