/// One change a moderator asks for, protocol-neutral (IRC MODE, framed `/op`, `/ban`, `/mode`…).
public enum RoomModeChange: Equatable, Sendable {
    case flag(RoomModes, on: Bool)
    /// `+k KEY` / `-k`.
    case key(String?)
    case op(String, on: Bool)
    case voice(String, on: Bool)
    /// `+b MASK` (for `expiresIn` ms, nil: for good) / `-b MASK`.
    case ban(BanMask, on: Bool, expiresIn: Int64? = nil)
}

/// Why a moderation request or part of it was not done. Protocols map each to their form (IRC
/// numerics, framed `* error:` lines, chatd.v1 error codes).
public enum ModerationRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// The actor is not an operator of the room (IRC 482).
    case notOperator(room: String)
    /// The actor is not in the room (442).
    case notInRoom(room: String)
    /// The target is not in the room (441).
    case targetNotInRoom(nick: String, room: String)
    /// The ban list is full (`--max-bans-per-room`; IRC 478).
    case banListFull(room: String, limit: Int)
    /// The founder cannot be deopped, kicked or muted by others.
    case founderProtected(nick: String)
    case noSuchBan(mask: String)
    case tooManyOperators(limit: Int)
    case tooManyMutes(limit: Int)

    public var description: String {
        switch self {
        case .notOperator(let r): "you are not an operator of #\(r)"
        case .notInRoom(let r): "you are not in #\(r)"
        case .targetNotInRoom(let n, let r): "\(n) is not in #\(r)"
        case .banListFull(let r, let l): "the ban list of #\(r) is full (\(l) bans); remove one first (/unban)"
        case .founderProtected(let n): "\(n) founded this room; only they or an admin can do that"
        case .noSuchBan(let m): "no ban \(m)"
        case .tooManyOperators(let l): "a room keeps at most \(l) operators"
        case .tooManyMutes(let l): "a room keeps at most \(l) mutes"
        }
    }
}

/// Why a join was refused by the room's moderation.
public enum AdmissionRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case banned, inviteOnly, badKey
    public var description: String {
        switch self {
        case .banned: "you are banned from this room"
        case .inviteOnly: "this room is invite-only (+i): ask an operator for /invite"
        case .badKey: "this room needs a key (+k): /join ROOM KEY"
        }
    }
}

/// Why a message was not taken into a room.
public enum SpeakRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case muted, moderated
    public var description: String {
        switch self {
        case .muted: "you are muted in this room"
        case .moderated: "this room is moderated (+m): only voiced members and operators speak"
        }
    }
}

/// A room's moderation state, held in `Room.State` under the room's lock: the persisted
/// settings plus what lives only while members are in the room (their status, mutes, invites).
struct RoomModeration {
    var settings = RoomSettings()
    /// Loaded from the settings store (on the room's first join).
    var loaded = false
    var status: [ConnectionID: MemberStatus] = [:]
    var accounts: [ConnectionID: String] = [:]
    /// Muted members: until when (ms since the epoch; `Int64.max`: until unmuted).
    var muted: [ConnectionID: Int64] = [:]
    /// The same by folded nick, so leaving and rejoining does not end a mute.
    var mutedNames: [String: Int64] = [:]
    /// Folded nicks invited (`/invite`), consumed by their join; oldest dropped past the bound.
    var invited: [String] = []

    static let maxInvites = 100

    /// The per-message check (publish path): two loads when the room is neither moderated nor has
    /// anyone muted; otherwise a dictionary lookup. No allocation either way.
    @inline(__always)
    mutating func speakRefusal(_ id: ConnectionID, now: () -> Int64) -> SpeakRefusal? {
        if muted.isEmpty && !settings.modes.contains(.moderated) { return nil }
        return slowSpeakRefusal(id, now: now)
    }

    mutating func slowSpeakRefusal(_ id: ConnectionID, now: () -> Int64) -> SpeakRefusal? {
        if let until = muted[id] {
            if until > now() { return .muted }
            muted[id] = nil
        }
        if settings.modes.contains(.moderated), status[id].map({ $0.isDisjoint(with: [.op, .voice]) }) ?? true {
            return .moderated
        }
        return nil
    }

    func isOperator(_ id: ConnectionID) -> Bool { status[id]?.contains(.op) ?? false }

    /// Whether `who` may join: admins always; bans; invite-only (invited, founder or persistent
    /// operator); the key. Consumes the invite it uses.
    mutating func admission(_ who: MemberIdentity, key: String?, now: Int64) -> AdmissionRefusal? {
        if who.isAdmin { return nil }
        let privileged = who.accountKey.map { $0 == settings.founder || settings.operators.contains($0) } ?? false
        if privileged { return nil }
        let invite = invited.firstIndex(of: who.nickKey)
        if invite == nil, settings.bans.contains(where: { $0.isActive(at: now) && who.matched(by: $0.mask) }) {
            return .banned
        }
        if settings.modes.contains(.inviteOnly) && invite == nil { return .inviteOnly }
        if let required = settings.key, invite == nil, key != required { return .badKey }
        if let invite { invited.remove(at: invite) }
        return nil
    }

    /// A member arrived: its status from the founder and operator lists, an unexpired mute by
    /// nick. `creator`: the room was empty and has no founder, and it is not the lobby: a
    /// registered creator becomes its founder; a guest is an operator while in the room (IRC's
    /// channel creator).
    /// Returns whether the settings changed (a new founder).
    mutating func admit(_ id: ConnectionID, _ who: MemberIdentity, creator: Bool, now: Int64) -> Bool {
        var changed = false
        var s: MemberStatus = []
        if let account = who.accountKey {
            accounts[id] = account
            if creator && settings.founder == nil {
                settings.founder = account
                changed = true
            }
            if account == settings.founder || settings.operators.contains(account) { s.insert(.op) }
        } else if creator && settings.founder == nil {
            s.insert(.op)
        }
        if !s.isEmpty { status[id] = s }
        if let until = mutedNames[who.nickKey] {
            if until > now { muted[id] = until } else { mutedNames[who.nickKey] = nil }
        }
        return changed
    }

    mutating func remove(_ id: ConnectionID) {
        status[id] = nil
        accounts[id] = nil
        muted[id] = nil
    }

    /// Active bans, dropping expired ones.
    mutating func activeBans(now: Int64) -> [RoomBan] {
        settings.bans.removeAll { !$0.isActive(at: now) }
        return settings.bans
    }
}
