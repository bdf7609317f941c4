import EventLoop

/// Who asks for a moderation action: the member's connection, how others see it, and who it is
/// (account, admin).
public struct Moderator: Sendable {
    public var id: ConnectionID
    public var source: EventSource
    public var identity: MemberIdentity

    public init(id: ConnectionID, source: EventSource, identity: MemberIdentity) {
        self.id = id
        self.source = source
        self.identity = identity
    }
}

/// What a mode request did: the mode string of the changes made (empty if none; the room
/// event's text) and the refusals of the rest.
public struct ModeResult: Sendable, Equatable {
    public var applied = ""
    public var refusals: [ModerationRefusal] = []
}

/// Room moderation (founder, operators, voice, bans, mutes, modes, kicks, invites): checked and
/// applied under the room's lock, announced as room events every member sees, and saved to the
/// settings store after the lock is released.
extension ChatHub {
    /// Under the room's lock, once per room object: its saved settings and topic.
    func loadSettings(into st: inout Room.State, room: Room) {
        guard !st.moderation.loaded else { return }
        st.moderation.loaded = true
        guard let saved = settingsStore?.load(room: room.name) else { return }
        st.moderation.settings = saved
        if st.topic == nil { st.topic = saved.topic }
    }

    /// Saves the room's settings (a snapshot taken under its lock; the write happens outside it).
    public func persistSettings(of room: Room) {
        guard let settingsStore else { return }
        let settings = room.state.withLock { $0.moderation.settings }
        settingsStore.save(room: room.name, settings)
    }

    /// The actor's right to moderate `room`: admins anywhere; others must be in it and an operator.
    private func authorize(_ actor: Moderator, _ st: Room.State, _ room: Room) -> ModerationRefusal? {
        if actor.identity.isAdmin { return nil }
        guard st.members[actor.id] != nil else { return .notInRoom(room: room.name) }
        return st.moderation.isOperator(actor.id) ? nil : .notOperator(room: room.name)
    }

    /// A member of `room` called `name`, if there is one on this node.
    private func memberID(_ name: String) -> ConnectionID? {
        guard let entry = nicknames.lookup(name), entry.id != .none else { return nil }
        return entry.id
    }

    /// Whether the actor may act against the founder (deop, kick, mute): only the founder and admins.
    private func protects(_ target: ConnectionID, from actor: Moderator, _ st: Room.State) -> Bool {
        guard let founder = st.moderation.settings.founder, st.moderation.accounts[target] == founder else { return false }
        return !actor.identity.isAdmin && actor.identity.accountKey != founder
    }

    /// Applies mode changes in order (IRC MODE, `/op`, `/ban`, `/mode` …). Changes that change
    /// nothing are left out of the result; a refused one does not stop the others.
    public func changeModes(_ changes: [RoomModeChange], in room: Room, by actor: Moderator, currentLoop: Int) -> ModeResult {
        let targets = changes.map { change -> ConnectionID? in
            switch change {
            case .op(let n, _), .voice(let n, _): memberID(n)
            default: nil
            }
        }
        let maxBans = limits.maxBansPerRoom
        let now = RoomEvent.now()
        var result = ModeResult()
        var modeText = ModeText()
        var settingsChanged = false
        room.state.withLock { st in
            loadSettings(into: &st, room: room)
            if let refusal = authorize(actor, st, room) {
                result.refusals.append(refusal)
                return
            }
            for (change, target) in zip(changes, targets) {
                switch change {
                case .flag(let flag, let on):
                    guard st.moderation.settings.modes.contains(flag) != on else { continue }
                    if on { st.moderation.settings.modes.insert(flag) } else { st.moderation.settings.modes.remove(flag) }
                    modeText.add(on, RoomModes.letters.first { $0.1 == flag }!.0)
                    settingsChanged = true
                case .key(let key):
                    guard st.moderation.settings.key != key else { continue }
                    st.moderation.settings.key = key
                    modeText.add(key != nil, "k", key)
                    settingsChanged = true
                case .op(let name, let on), .voice(let name, let on):
                    let isOp = if case .op = change { true } else { false }
                    guard let target, let nick = st.members[target]?.nick else {
                        result.refusals.append(.targetNotInRoom(nick: name, room: room.name))
                        continue
                    }
                    if isOp && !on && protects(target, from: actor, st) {
                        result.refusals.append(.founderProtected(nick: nick))
                        continue
                    }
                    let flag: MemberStatus = isOp ? .op : .voice
                    var status = st.moderation.status[target] ?? []
                    if isOp, let account = st.moderation.accounts[target], account != st.moderation.settings.founder {
                        // A registered operator stays one (the room's operator list); a guest only while here.
                        var ops = st.moderation.settings.operators
                        if on && !ops.contains(account) {
                            guard ops.count < RoomSettings.maxOperators else {
                                result.refusals.append(.tooManyOperators(limit: RoomSettings.maxOperators))
                                continue
                            }
                            ops.append(account)
                            ops.sort()
                        } else if !on {
                            ops.removeAll { $0 == account }
                        }
                        if ops != st.moderation.settings.operators {
                            st.moderation.settings.operators = ops
                            settingsChanged = true
                        }
                    }
                    guard status.contains(flag) != on else { continue }
                    if on { status.insert(flag) } else { status.remove(flag) }
                    st.moderation.status[target] = status.isEmpty ? nil : status
                    modeText.add(on, isOp ? "o" : "v", nick)
                case .ban(let mask, let on, let expiresIn):
                    var bans = st.moderation.activeBans(now: now)
                    let existing = bans.firstIndex { $0.mask == mask }
                    if on {
                        let ban = RoomBan(mask: mask, setBy: actor.source.nick, setAt: now, expires: expiresIn.map { now + $0 })
                        if let existing {
                            bans[existing] = ban
                        } else {
                            guard bans.count < maxBans else {
                                result.refusals.append(.banListFull(room: room.name, limit: maxBans))
                                continue
                            }
                            bans.append(ban)
                        }
                    } else {
                        guard let existing else {
                            result.refusals.append(.noSuchBan(mask: mask.description))
                            continue
                        }
                        bans.remove(at: existing)
                    }
                    st.moderation.settings.bans = bans
                    modeText.add(on, "b", mask.description)
                    settingsChanged = true
                }
            }
        }
        result.applied = modeText.text
        if settingsChanged { persistSettings(of: room) }
        if !result.applied.isEmpty {
            let event = RoomEvent(kind: .mode, room: room.name, source: actor.source, text: result.applied, time: now)
            publish(event, in: room, except: .none, currentLoop: currentLoop)
        }
        return result
    }

    /// Removes the member called `name` from `room`. Every member, the kicked one included, sees
    /// the kick; then the kicked one's loop drops the membership (`.kicked`). Both happen under
    /// the room's lock, so the kicked member sees nothing of the room after its kick.
    public func kick(_ name: String, reason: String, from room: Room, by actor: Moderator, currentLoop: Int) -> ModerationRefusal? {
        let target = memberID(name)
        let quietAbove = limits.presenceNoticeMaxMembers
        let event = RoomEvent(kind: .kick, room: room.name, source: actor.source, text: "", time: RoomEvent.now())
        var wake = LoopSet()
        var outcome: (grew: Int, historySequence: UInt64?)?
        var kicked: EventSource?
        let refusal = room.state.withLock { st -> ModerationRefusal? in
            if let refusal = authorize(actor, st, room) { return refusal }
            guard let target, let nick = st.members[target]?.nick else { return .targetNotInRoom(nick: name, room: room.name) }
            if protects(target, from: actor, st) { return .founderProtected(nick: nick) }
            let kick = RoomEvent(
                kind: .kick, room: room.name, source: actor.source, text: nick + " " + reason, time: event.time)
            outcome = record(kick, number: nil, in: &st, room: room, except: .none, quietAbove: quietAbove,
                             currentLoop: currentLoop, wake: &wake)
            kicked = st.members.removeValue(forKey: target)
            st.membersPerLoop[target.loop] -= 1
            st.moderation.remove(target)
            enqueue(.kicked(target, roomID: room.id), to: target.loop, from: currentLoop, wake: &wake)
            return nil
        }
        ring(wake)
        if let outcome, let sequence = outcome.historySequence { charge(outcome.grew, room, sequence..<(sequence + 1), currentLoop) }
        // Other nodes drop the member from their lists (they see it leave, not the kick).
        if let kicked, let relay, let target {
            relay.presence(RoomEvent(kind: .part, room: room.name, source: kicked, text: "kicked", time: event.time), in: room, member: target)
        }
        return refusal
    }

    /// Mutes the member (or nick) `name` in `room` for `duration` ms (nil: until unmuted); a
    /// mute by nick outlives leaving and rejoining. Announced as a `.moderation` event.
    public func mute(_ name: String, for duration: Int64?, in room: Room, by actor: Moderator, currentLoop: Int) -> ModerationRefusal? {
        let target = memberID(name)
        let now = RoomEvent.now()
        let until = duration.map { now + $0 } ?? Int64.max
        let limit = limits.maxBansPerRoom
        let refusal = room.state.withLock { st -> ModerationRefusal? in
            if let refusal = authorize(actor, st, room) { return refusal }
            guard let target, st.members[target] != nil else { return .targetNotInRoom(nick: name, room: room.name) }
            if protects(target, from: actor, st) { return .founderProtected(nick: name) }
            st.moderation.mutedNames = st.moderation.mutedNames.filter { $0.value > now }
            let key = NameKey.fold(name)
            guard st.moderation.mutedNames[key] != nil || st.moderation.mutedNames.count < limit else {
                return .tooManyMutes(limit: limit)
            }
            st.moderation.mutedNames[key] = until
            st.moderation.muted[target] = until
            return nil
        }
        if refusal != nil { return refusal }
        let how = duration.map { " for \(Self.durationText($0))" } ?? ""
        announce(.moderation, "muted \(name)\(how)", in: room, by: actor, currentLoop: currentLoop)
        return nil
    }

    public func unmute(_ name: String, in room: Room, by actor: Moderator, currentLoop: Int) -> ModerationRefusal? {
        let target = memberID(name)
        let refusal = room.state.withLock { st -> ModerationRefusal? in
            if let refusal = authorize(actor, st, room) { return refusal }
            st.moderation.mutedNames[NameKey.fold(name)] = nil
            if let target { st.moderation.muted[target] = nil }
            return nil
        }
        if refusal != nil { return refusal }
        announce(.moderation, "unmuted \(name)", in: room, by: actor, currentLoop: currentLoop)
        return nil
    }

    /// Lets `name` join the invite-only, keyed or banning `room` once. Returns the invitee's
    /// connection (the daemon tells it), or the refusal.
    public func invite(_ name: String, to room: Room, by actor: Moderator, currentLoop: Int) -> Result<ConnectionID, ModerationRefusal> {
        let target = memberID(name) ?? .none
        let refusal = room.state.withLock { st -> ModerationRefusal? in
            // IRC: anyone in a room that is not invite-only may invite; +i needs an operator.
            if st.moderation.settings.modes.contains(.inviteOnly) || st.members[actor.id] == nil,
               let refusal = authorize(actor, st, room) {
                return refusal
            }
            let key = NameKey.fold(name)
            st.moderation.invited.removeAll { $0 == key }
            if st.moderation.invited.count >= RoomModeration.maxInvites { st.moderation.invited.removeFirst() }
            st.moderation.invited.append(key)
            return nil
        }
        if let refusal { return .failure(refusal) }
        announce(.moderation, "invited \(name)", in: room, by: actor, currentLoop: currentLoop)
        return .success(target)
    }

    /// Whether the actor may set the topic (`+t`: operators only; else any member).
    public func topicRefusal(in room: Room, by actor: Moderator) -> ModerationRefusal? {
        room.state.withLock { st in
            if actor.identity.isAdmin { return nil }
            guard st.members[actor.id] != nil else { return .notInRoom(room: room.name) }
            if st.moderation.settings.modes.contains(.topicLock) && !st.moderation.isOperator(actor.id) {
                return .notOperator(room: room.name)
            }
            return nil
        }
    }

    private func announce(_ kind: RoomEventKind, _ text: String, in room: Room, by actor: Moderator, currentLoop: Int) {
        let event = RoomEvent(kind: kind, room: room.name, source: actor.source, text: text, time: RoomEvent.now())
        publish(event, in: room, except: .none, currentLoop: currentLoop)
    }

    /// `90s`, `5m`, `2h`, `3d` (the largest unit that divides it), as the commands take them.
    public static func durationText(_ ms: Int64) -> String {
        let s = ms / 1000
        if s % 86_400 == 0 && s > 0 { return "\(s / 86_400)d" }
        if s % 3600 == 0 && s > 0 { return "\(s / 3600)h" }
        if s % 60 == 0 && s > 0 { return "\(s / 60)m" }
        return "\(s)s"
    }
}

extension Room {
    /// Active bans, oldest first.
    public var bans: [RoomBan] { state.withLock { $0.moderation.activeBans(now: RoomEvent.now()) } }

    /// Flag modes and key.
    public var modes: (flags: RoomModes, key: String?) {
        state.withLock { ($0.moderation.settings.modes, $0.moderation.settings.key) }
    }

    public var isSecret: Bool { state.withLock { $0.moderation.settings.modes.contains(.secret) } }

    /// A member's status (operator, voice).
    public func status(of id: ConnectionID) -> MemberStatus {
        state.withLock { $0.moderation.status[id] ?? [] }
    }

    /// Members' names with their status prefix (`@`, `+`; IRC NAMES), unsorted.
    public var prefixedMemberNames: [String] {
        state.withLock { st in
            st.members.map { (st.moderation.status[$0.key]?.prefix ?? "") + $0.value.nick } + st.remote.values.map(\.nick)
        }
    }

    /// The settings as they are now (persisted form).
    public var settings: RoomSettings { state.withLock { $0.moderation.settings } }
}

/// Builds a mode string such as `+ov-k bob bob`: one sign per run, arguments after.
struct ModeText {
    private var letters = ""
    private var arguments: [String] = []
    private var sign: Bool?

    mutating func add(_ on: Bool, _ letter: Character, _ argument: String? = nil) {
        if sign != on {
            letters.append(on ? "+" : "-")
            sign = on
        }
        letters.append(letter)
        if let argument { arguments.append(argument) }
    }

    var text: String { ([letters] + arguments).filter { !$0.isEmpty }.joined(separator: " ") }
}
