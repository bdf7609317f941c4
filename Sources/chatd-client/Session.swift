import ChatProtocol

/// The client's side of the chat protocol, without I/O: what to send on (re)connect, how a
/// typed line is handled, how received frames pair up into messages and where history
/// replay starts and ends. `ChatClient` feeds it bytes' worth of decoded payloads and
/// performs the actions it returns; the unit tests drive it directly.
struct Session: Sendable {
    /// The name sent as the first frame of every connection.
    var username: String
    /// The room last joined with `/join` (or `--room`); re-joined after a reconnect. nil is
    /// the lobby, where every connection starts.
    var room: String?
    /// A `/nick` in flight: adopted as `username` when the server's next notice is not an
    /// error, so a reconnect logs in under the new name.
    var pendingNick: String?

    /// Sender frame waiting for its text frame (the server sends each message as two).
    private(set) var pendingSender: String?
    /// Between the "history: …" and "end of history" notices.
    private(set) var inHistory = false
    /// Per connection: messages other than `*` errors received, and the last error. A
    /// connection closed by the server after only an error (e.g. "error: name taken") is a
    /// rejected login, not a network failure, and is not retried under the same name.
    private(set) var acceptedFrames = 0
    private(set) var lastError: String?

    init(username: String, room: String? = nil) {
        self.username = username
        self.room = room
    }

    /// Frames to send right after connecting: the username, then `/join ROOM` if the user
    /// was in a room other than the lobby. Resets per-connection state.
    mutating func handshake() -> [String] {
        pendingSender = nil
        inHistory = false
        acceptedFrames = 0
        lastError = nil
        var frames = [username]
        if let room { frames.append("/join " + room) }
        return frames
    }

    /// One received payload. Returns a line to show once a (sender, text) pair completes.
    mutating func receive(_ payload: String) -> DisplayLine? {
        guard let sender = pendingSender else {
            pendingSender = payload
            return nil
        }
        pendingSender = nil
        let (kind, text) = MessageKind.classify(sender: sender, text: payload)
        var line = DisplayLine(sender: sender, text: text, kind: kind)
        switch kind {
        case .error:
            lastError = text
            if pendingNick != nil { pendingNick = nil }
        case .notice:
            acceptedFrames += 1
            if text.hasPrefix("history:") {
                inHistory = true
                line.replay = true
                return line
            }
            if text == "end of history" || text.hasPrefix("end of history") {
                inHistory = false
                line.replay = true
                return line
            }
            if let joined = Self.joinedRoom(text) {
                // The daemon's reply to a join is authoritative (a refused /join leaves
                // the room unchanged; "#Rust" may be spelled "#rust" by the server).
                room = joined.lowercased() == "lobby" ? nil : joined
            }
            if let nick = pendingNick, text.contains(nick) {
                username = nick
                pendingNick = nil
            }
        default:
            acceptedFrames += 1
        }
        line.replay = inHistory
        return line
    }

    /// "you joined #rust (3 members)" → "rust".
    static func joinedRoom(_ notice: String) -> String? {
        guard notice.hasPrefix("you joined #") else { return nil }
        let rest = notice.dropFirst("you joined #".count)
        let name = rest.prefix { $0 != " " }
        return name.isEmpty ? nil : String(name)
    }

    /// The server closed a connection that only ever answered with an error: the login was
    /// refused (taken or invalid name). Returns that error.
    var loginRejection: String? {
        acceptedFrames == 0 ? lastError : nil
    }

    enum Action: Equatable, Sendable {
        /// Send the payload; show `echo` (the user's own message) if any.
        case send(String, echo: DisplayLine?)
        /// Show these lines locally, send nothing.
        case showHelp
        /// Leave: send "/quit" (a courtesy; the server closes) and exit 0.
        case quit
        case ignore
    }

    /// What to do with a line the user typed. `interactive` enables the local commands
    /// (`/help`, `/quit`) and the echo of the user's own messages; in scripting mode every
    /// non-empty line goes to the server as is.
    mutating func input(_ line: String, interactive: Bool) -> Action {
        if line.isEmpty { return .ignore }
        let parsed = ChatCommand.parse(line)
        switch parsed {
        case .join(let room, _):
            self.room = room.lowercased() == "lobby" ? nil : room
        case .leave:
            room = nil
        case .nick(let name):
            pendingNick = name
        default:
            break
        }
        guard interactive else { return .send(line, echo: nil) }
        switch parsed {
        case .help:
            return .showHelp
        case .quit:
            return .quit
        case .message(let text):
            return .send(line, echo: DisplayLine(sender: username, text: text, kind: .message, own: true))
        case .me(let text):
            return .send(line, echo: DisplayLine(sender: username, text: text, kind: .action, own: true))
        case .privateMessage:
            // The daemon confirms with a notice "(private to NAME) TEXT": no local echo.
            return .send(line, echo: nil)
        default:
            return .send(line, echo: nil)
        }
    }

    /// Local `/help`: the server's commands plus the client's own keys.
    static let helpLines: [String] =
        ["commands (sent to the server):"] + ChatCommand.helpText.map { "  " + $0 } + [
            "client: Up/Down history, Ctrl-A/E start/end, Ctrl-W/U delete word/line,",
            "        Ctrl-D or /quit to leave; lost connections are retried with backoff",
        ]
}

/// Reconnect delays: 0.25 s doubling to a cap (5 s by default), with ±20% jitter so many
/// clients dropped by one daemon restart do not reconnect in lockstep. Reset once a
/// connection has logged in.
struct Backoff: Sendable {
    var initial: Double = 0.25
    var cap: Double = 5
    private(set) var attempt = 0

    init(initial: Double = 0.25, cap: Double = 5) {
        self.initial = initial
        self.cap = cap
    }

    /// The delay before the next attempt, `unit` in [0, 1) picking the jitter.
    mutating func next(unit: Double) -> Double {
        let base = min(cap, initial * Double(1 << min(attempt, 20)))
        attempt += 1
        let jittered = base * (0.8 + 0.4 * unit)
        return min(cap, jittered)
    }

    mutating func reset() { attempt = 0 }
}
