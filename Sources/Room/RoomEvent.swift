import EventLoop

/// What happened in a room, independent of any wire format (DESIGN.md §7).
public enum RoomEventKind: UInt8, Sendable {
    /// A chat message (framed text, IRC `PRIVMSG`).
    case message
    /// `/me` (IRC CTCP ACTION).
    case action
    /// An IRC `NOTICE` (framed clients see it as a message).
    case notice
    /// Presence: `text` is empty for join; a reason (maybe empty) for part and quit.
    case join, part, quit
    /// `sender` is now called `text`.
    case nick
    /// `sender` set the room's topic to `text`.
    case topic
    /// `sender` is away with the message `text`, or back when `text` is empty (IRCv3 away-notify).
    case away
    /// `sender` changed the room's modes: `text` is the mode string with its arguments, e.g.
    /// `+o-b bob eve!*@*` (the letters of `RoomModes` and `o`, `v`, `b`, `k`).
    case mode
    /// `sender` removed a member: `text` is the member's nick, a space, and the reason.
    case kick
    /// Another moderator action (mute, unmute, invite): `text` says what, e.g. `muted bob for 5m`.
    case moderation

    /// Presence kinds may be left out for some protocols in large rooms (`RoomEvent.crowded`).
    /// What people say: the kinds a mute or a moderated room holds back.
    @inlinable public var isChat: Bool {
        switch self {
        case .message, .action, .notice: true
        default: false
        }
    }

    @inlinable public var isPresence: Bool {
        switch self {
        case .join, .part, .quit, .nick, .away: true
        default: false
        }
    }
}

/// Who caused an event, as every protocol needs to show it: the nickname, and an IRC-style
/// `user@host` that reveals nothing about the client's address (the host names the protocol the
/// user came in by, e.g. `alice!alice@framed`).
public struct EventSource: Sendable, Equatable {
    public var nick: String
    public var user: String
    public var host: String
    /// The account the user was logged in to, nil for a guest (IRC account-tag, extended-join).
    public var account: String?

    public init(nick: String, user: String, host: String, account: String? = nil) {
        self.nick = nick
        self.user = user
        self.host = host
        self.account = account
    }
}

/// One event, immutable once published, shared by every loop that delivers it and kept in the
/// room's history. Encoded at most once per wire protocol: `encodings` has one write-once slot
/// per protocol index (the daemon assigns the indices; Room never looks inside), filled by the
/// first loop that has a recipient of that protocol and reused by all others and by history
/// replay.
public final class RoomEvent: @unchecked Sendable {
    // @unchecked Sendable: `sequence`, `archiveID` and `crowded` are written once, under the room's lock,
    // before the event is posted to any mailbox (the mailbox lock publishes them); the slots are
    // atomic; everything else is `let`.

    public static let slotCount = 4

    public let kind: RoomEventKind
    /// The room's name, or nil for a private message to one user.
    public let room: String?
    public let source: EventSource
    /// The text's UTF-8 bytes: `textCount` bytes from `textStart` of `textStorage`. A framed
    /// sender's text is a slice of the framed encoding itself (one allocation per message, as
    /// before the seam); other senders' text has storage of its own.
    public let textStorage: SharedBytes
    public let textStart: Int
    public let textCount: Int
    /// Wall-clock time in milliseconds since the Unix epoch (IRCv3 server-time).
    public let time: Int64
    /// A nick change or quit touches every room of the user: each room gets its own event with
    /// the same `action` (non-zero), so a client in several of those rooms can show it once.
    public let action: UInt64
    /// Position in the room's total order (1, 2, 3, …), assigned when it is sequenced; 0 for
    /// private messages.
    public internal(set) var sequence: UInt64 = 0
    /// The id the room's archive gave the event (IRCv3 `msgid`), set with `sequence`; 0 when it
    /// is not archived.
    public internal(set) var archiveID: Int64 = 0
    /// The room had more members than `ChatLimits.presenceNoticeMaxMembers` when this presence
    /// event was sequenced: protocols that can do without presence there skip it.
    public internal(set) var crowded = false
    /// When a sampled message was sequenced (`Monotonic.now()`, ns), for the publish-to-flush
    /// histogram; 0 for events not sampled (`ChatHub.publishSampleMask`).
    public internal(set) var publishedAt: UInt64 = 0

    public let encodings0 = SharedBytesSlot()
    public let encodings1 = SharedBytesSlot()
    public let encodings2 = SharedBytesSlot()
    public let encodings3 = SharedBytesSlot()

    public convenience init(kind: RoomEventKind, room: String?, source: EventSource, text: String, time: Int64, action: UInt64 = 0) {
        let storage = SharedBytes.make(text.utf8)
        self.init(kind: kind, room: room, source: source, text: storage, start: 0, count: storage.count, time: time, action: action)
    }

    /// An event whose text is `count` bytes of `storage` from `start` (valid UTF-8).
    public init(
        kind: RoomEventKind, room: String?, source: EventSource, text storage: SharedBytes, start: Int, count: Int,
        time: Int64, action: UInt64 = 0
    ) {
        precondition(start >= 0 && count >= 0 && start + count <= storage.count, "text outside its storage")
        self.kind = kind
        self.room = room
        self.source = source
        textStorage = storage
        textStart = start
        textCount = count
        self.time = time
        self.action = action
    }

    /// The text's bytes, valid inside `body`.
    @inlinable public func withText<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try textStorage.withBytes { try body(UnsafeRawBufferPointer(rebasing: $0[textStart..<(textStart &+ textCount)])) }
    }

    /// The text as a String (a copy; the delivery path uses `withText`).
    public var text: String { withText { String(decoding: $0, as: UTF8.self) } }

    /// The encoding in slot `slot`, if some loop has made it.
    @inlinable public func encoded(slot: Int) -> SharedBytes? {
        switch slot {
        case 0: encodings0.value
        case 1: encodings1.value
        case 2: encodings2.value
        default: encodings3.value
        }
    }

    /// Publishes `bytes` as the encoding in `slot` unless another loop did first; returns the
    /// encoding every recipient must share.
    @inlinable public func storeEncoding(_ bytes: SharedBytes, slot: Int) -> SharedBytes {
        switch slot {
        case 0: encodings0.storeIfEmpty(bytes)
        case 1: encodings1.storeIfEmpty(bytes)
        case 2: encodings2.storeIfEmpty(bytes)
        default: encodings3.storeIfEmpty(bytes)
        }
    }

    /// Bytes charged to the history budgets: the text's storage (for a framed sender, its whole
    /// framed encoding) and a fixed allowance for the object. Encodings made later for other
    /// protocols are not charged; each is about the size of the text (docs/ARCHITECTURE.md).
    public var historyBytes: Int {
        textStorage.count &+ 128
    }

    /// Milliseconds since the epoch now (CLOCK_REALTIME).
    public static func now() -> Int64 {
        WallClock.milliseconds()
    }
}
