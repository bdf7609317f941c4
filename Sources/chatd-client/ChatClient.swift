import ChatProtocol
import EventLoop
import Glibc
import TLS

/// Options the client runs with (parsed by `ClientCommand`).
struct ClientOptions: Sendable {
    var host = "127.0.0.1"
    var port = 7575
    /// Servers to fail over to (`--server`), after `host`:`port`: a failed attempt or a lost
    /// connection moves on to the next, round robin (nodes of one `--cluster` service).
    var alternates: [(host: String, port: Int)] = []

    /// Every server, `host`:`port` first.
    var servers: [(host: String, port: Int)] { [(host, port)] + alternates }
    var username: String?
    var room: String?
    var reconnect = true
    var colors = ColorPolicy.auto
    var timestamps = true
    /// Scripting mode: seconds to keep reading replies after stdin's EOF once everything
    /// typed has been written to the socket.
    var eofGrace = 1.0
    var maxBackoff = 5.0
    /// With --tls: how the server's certificate is checked (nil: plain TCP).
    var tls: TLSClientContext.Trust?
}

/// The client: one event loop with stdin, the daemon socket and a signalfd in one epoll set.
///
/// Interactive mode (stdin is a terminal) edits input with libedit and renders chat with
/// `Renderer`; scripting mode (stdin is a pipe or file) sends each input line as a message
/// and prints `user > text` lines. Lost connections are retried with `Backoff` unless
/// `--no-reconnect`; each new connection logs in again and re-joins the last room.
final class ChatClient: EventLoopHandler {
    enum Kind: UInt64 {
        case stdin = 1, socket = 2, signal = 3
    }

    enum TimerKind: UInt32 {
        case reconnect = 1, connectTimeout = 2, eofGrace = 3, eofDeadline = 4
    }

    let options: ClientOptions
    let interactive: Bool
    let renderer: Renderer
    let loop: EventLoop
    let signals: SignalFD
    var editor: LineEditor?

    var session: Session?
    var connection: Connection?
    var tlsContext: TLSClientContext?
    /// Incremented per connection attempt; socket tokens and timers carry it so events for
    /// a previous socket are ignored.
    var generation: UInt64 = 0
    var backoff: Backoff
    var reconnectPending = false
    /// Which of `options.servers` the current (or next) connection goes to.
    var serverIndex = 0
    /// With `--server`: until when a refused login is retried rather than final. A node that
    /// died holds its users' names in the cluster until their lease runs out (5 s), so the
    /// name the client had is refused on the next node for that long.
    var failoverGraceUntil: UInt64 = 0
    static let failoverGrace: UInt64 = 10_000_000_000
    var server: (host: String, port: Int) { options.servers[serverIndex % options.servers.count] }
    var everConnected = false
    /// Lines typed while offline, sent after the next login (bounded).
    var outbox: [String] = []
    var outboxBytes = 0
    static let maxOutboxBytes = 1 << 20

    /// Scripting mode: stdin reached EOF; the partial line and the stdin buffer.
    var stdinEOF = false
    var stdinBuffer: [UInt8] = []
    var stdinInEpoll = false
    var graceScheduled = false

    /// Rendered output of the current tick, printed in one go at tick end.
    var pendingOutput: [String] = []
    private(set) var exitCode: Int32?

    init(options: ClientOptions, interactive: Bool) throws {
        self.options = options
        self.interactive = interactive
        let stdoutIsTerminal = Terminal.isTerminal(1)
        var environment: [String: String] = [:]
        for key in ["NO_COLOR", "TERM"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        renderer = Renderer(
            colors: interactive && options.colors.enabled(stdoutIsTerminal: stdoutIsTerminal, environment: environment),
            showTimestamps: options.timestamps)
        backoff = Backoff(cap: options.maxBackoff)
        loop = try EventLoop(index: 0)
        signals = try SignalFD(signals: [SIGINT, SIGTERM, SIGHUP, SIGWINCH])
        signal(SIGPIPE, SIG_IGN)
        if let trust = options.tls { tlsContext = try TLSClientContext(trust: trust) }
        try loop.epoll.add(signals.fd, events: [.readable], token: Kind.signal.rawValue)
    }

    /// Runs until the user leaves; returns the exit status.
    func run() -> Int32 {
        if interactive {
            let editor = LineEditor(prompt: "", columns: Terminal.columns(1))
            self.editor = editor
            do {
                try loop.epoll.add(0, events: [.readable], token: Kind.stdin.rawValue)
            } catch {
                Terminal.write("chatd-client: cannot watch the terminal: \(error)\n", fd: 2)
                return 1
            }
            if let name = options.username {
                startSession(username: name)
            } else {
                askForUsername(reason: nil)
            }
        } else {
            setUpScriptInput()
            if let name = options.username { startSession(username: name) }
        }
        if exitCode == nil { loop.run(self) }
        editor?.stop()
        flushOutput()
        return exitCode ?? 0
    }

    // MARK: - Session and connection

    func startSession(username: String) {
        if session == nil {
            session = Session(username: username, room: options.room.map(Self.normalizeRoom))
        } else {
            session?.username = username
        }
        if interactive {
            editor?.setPrompt(promptText(), redraw: false)
            editor?.start { [unowned self] line in self.interactiveLine(line) }
        }
        connect()
    }

    static func normalizeRoom(_ room: String) -> String {
        room.hasPrefix("#") ? String(room.dropFirst()) : room
    }

    func connect() {
        reconnectPending = false
        generation &+= 1
        connection = nil
        guard let address = Resolver.resolve(host: server.host, port: server.port) else {
            connectionFailed("cannot resolve \(server.host)")
            return
        }
        do {
            let conn = try Connection(to: address, tls: tlsContext, serverName: server.host)
            connection = conn
            try loop.epoll.add(conn.fd, events: .connection, token: socketToken)
            loop.schedule(Timer(deadline: loop.now + 10_000_000_000, token: generation,
                                kind: TimerKind.connectTimeout.rawValue))
            if conn.established { connectionEstablished() }
        } catch {
            connectionFailed("\(error)")
        }
    }

    var socketToken: UInt64 { (generation << 8) | Kind.socket.rawValue }

    func connectionEstablished() {
        guard let conn = connection, var session else { return }
        for frame in session.handshake() { conn.send(frame) }
        self.session = session
        everConnected = true
        if interactive {
            local("connected to \(server.host):\(server.port) as \(session.username)")
            editor?.setPrompt(promptText())
        }
        for line in outbox { conn.send(line) }
        outbox.removeAll()
        outboxBytes = 0
        flushSocket()
    }

    /// A connection attempt failed or an established connection was lost.
    func connectionFailed(_ reason: String) {
        let wasEstablished = connection?.established ?? false
        let rejection = wasEstablished ? session?.loginRejection : nil
        connection = nil
        generation &+= 1
        if wasEstablished && rejection == nil && !options.alternates.isEmpty {
            failoverGraceUntil = loop.now + Self.failoverGrace
        }
        if let rejection, loop.now >= failoverGraceUntil {
            // Not a network problem: retrying with the same name gets the same answer.
            if interactive {
                report("login refused: \(rejection)")
                askForUsername(reason: rejection)
            } else {
                Terminal.write("chatd-client: login refused: \(rejection)\n", fd: 2)
                finish(2)
            }
            return
        }
        let what = wasEstablished ? "connection lost: \(reason)" : "cannot connect to \(server.host):\(server.port): \(reason)"
        // The next attempt goes to the next server (with one server: the same).
        serverIndex = (serverIndex + 1) % options.servers.count
        guard options.reconnect, !(stdinEOF && !interactive && outbox.isEmpty) else {
            report(what)
            finish(wasEstablished && stdinEOF ? 0 : 1)
            return
        }
        if wasEstablished { backoff.reset() }
        let delay = backoff.next(unit: Double(UInt32.random(in: 0..<1000)) / 1000)
        report(what + "; retrying in " + Self.seconds(delay))
        reconnectPending = true
        loop.schedule(Timer(deadline: loop.now + Monotonic.nanoseconds(seconds: delay), token: generation,
                            kind: TimerKind.reconnect.rawValue))
        editor?.setPrompt(promptText())
    }

    static func seconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }

    func report(_ text: String) {
        if interactive {
            local(text)
        } else {
            Terminal.write("chatd-client: \(text)\n", fd: 2)
        }
    }

    func send(_ line: String) {
        if let conn = connection, conn.established {
            conn.send(line)
            flushSocket()
        } else if outboxBytes + line.utf8.count <= Self.maxOutboxBytes {
            outbox.append(line)
            outboxBytes += line.utf8.count
            if interactive { local("not connected: message queued") }
        } else {
            report("not connected and the queue is full: message dropped")
        }
    }

    func flushSocket() {
        guard let conn = connection else { return }
        do {
            try conn.flush()
        } catch {
            connectionFailed(error.description)
            return
        }
        checkScriptDone()
    }

    func socketEvent(_ events: EpollEvents) {
        guard let conn = connection else { return }
        if !conn.established {
            if let error = conn.continueConnecting() {
                connectionFailed(error)
                return
            }
            guard conn.established else { return }  // the TLS handshake is still under way
            connectionEstablished()
        }
        guard connection === conn else { return }
        do {
            try conn.readAvailable { [unowned self] payload in self.received(payload) }
            try conn.flush()
        } catch {
            if connection === conn { connectionFailed(error.description) }
            return
        }
        if events.contains(.error) || events.contains(.hangup) {
            connectionFailed("connection closed")
            return
        }
        checkScriptDone()
    }

    func received(_ payload: String) {
        guard session != nil, let line = session?.receive(payload) else { return }
        if (session?.acceptedFrames ?? 0) > 0 { backoff.reset() }
        if interactive {
            pendingOutput.append(renderer.render(line, timestamp: Terminal.now(), width: editor?.columns ?? 0))
        } else {
            let text = line.kind == .action ? "/me " + line.text : line.text
            pendingOutput.append(Renderer.scriptLine(sender: line.sender, text: text))
        }
    }

    /// True while the prompt asks for a username (the room prompt must not replace it).
    var askingUsername = false

    // MARK: - Output

    /// Prints this tick's lines. Inside libedit's line handler the cursor is already on a
    /// fresh row and re-installing the handler draws the prompt, so no redisplay there.
    func printPending(redisplay: Bool = true) {
        guard !pendingOutput.isEmpty else { return }
        let text = pendingOutput.joined(separator: "\n")
        pendingOutput.removeAll()
        if let editor {
            if redisplay {
                editor.printAbove(text)
            } else {
                Terminal.write(text.replacing("\n", with: "\r\n") + "\r\n")
            }
        } else {
            Terminal.write(text + "\n")
            if Terminal.stdoutBroken { finish(exitCode ?? 0) }
        }
    }

    func flushOutput() {
        guard !pendingOutput.isEmpty else { return }
        let text = pendingOutput.joined(separator: "\n")
        pendingOutput.removeAll()
        Terminal.write(interactive ? text.replacing("\n", with: "\r\n") + "\r\n" : text + "\n")
    }

    func finish(_ code: Int32) {
        if exitCode == nil { exitCode = code }
        loop.stop()
    }

    // MARK: - EventLoopHandler

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        switch Kind(rawValue: token & 0xFF) {
        case .stdin:
            if interactive {
                editor?.readAvailable()
                if events.contains(.hangup) && !Terminal.hasInput(0) { finish(0) }
            } else if !stdinEOF {
                readScriptInput()
            }
        case .socket:
            guard token >> 8 == generation else { return }
            socketEvent(events)
        case .signal:
            // A signalfd read error is a broken invariant; it ends the loop like "no more".
            while let number = (try? signals.next()) ?? nil {
                switch number {
                case SIGWINCH:
                    editor?.resize(columns: Terminal.columns(1))
                case SIGINT:
                    finish(interactive ? 0 : 130)
                default:
                    finish(128 + number)
                }
            }
        case nil:
            break
        }
    }

    func loopWasWoken(_ loop: EventLoop) {}

    func loop(_ loop: EventLoop, timer: Timer) {
        switch TimerKind(rawValue: timer.kind) {
        case .reconnect:
            if timer.token == generation, reconnectPending { connect() }
        case .connectTimeout:
            if timer.token == generation, let conn = connection, !conn.established {
                connectionFailed("connect timed out")
            }
        case .eofGrace:
            finish(0)
        case .eofDeadline:
            if exitCode == nil {
                if !outbox.isEmpty { report("\(outbox.count) line(s) not sent") }
                finish(outbox.isEmpty ? 0 : 1)
            }
        case nil:
            break
        }
    }

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        printPending()
        if let editor, session != nil, !askingUsername, exitCode == nil {
            editor.setPrompt(promptText())
        }
        return false
    }
}
