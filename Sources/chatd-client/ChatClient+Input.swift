import ChatProtocol
import EventLoop
import Glibc

/// Keyboard (libedit) and scripted (pipe) input.
extension ChatClient {
    // MARK: - Interactive input

    func askForUsername(reason: String?) {
        guard let editor else { return }
        askingUsername = true
        let fallback = getenv("USER").map { String(cString: $0) } ?? ""
        editor.setPrompt(fallback.isEmpty ? "username: " : "username [\(fallback)]: ")
        editor.start { [unowned self] line in self.usernameLine(line, fallback: fallback) }
    }

    func usernameLine(_ line: String?, fallback: String) {
        guard let line else {
            finish(0)
            return
        }
        let name = line.isEmpty ? fallback : line
        switch Names.validateUsername(name) {
        case .success(let valid):
            askingUsername = false
            startSession(username: valid)
        case .failure(let error):
            pendingOutput.append(renderer.render(
                sender: "", text: "invalid name: \(error.reason(for: .username))", kind: .error,
                timestamp: Terminal.now(), width: editor?.columns ?? 0))
            printPending(redisplay: false)
            editor?.reinstall()
        }
    }

    func interactiveLine(_ line: String?) {
        guard let editor else { return }
        guard let line else {
            // Ctrl-D on an empty line.
            finish(0)
            return
        }
        guard var session else { return }
        // A password typed after /login or /register must not come back with the up arrow.
        let holdsPassword = if case .account = ChatCommand.parse(line) { true } else { false }
        if !line.isEmpty && !holdsPassword { editor.addHistory(line) }
        let action = session.input(line, interactive: true)
        self.session = session
        switch action {
        case .ignore:
            editor.eraseSubmittedLine(line)
        case .quit:
            connection?.send("/quit")
            try? connection?.flush()
            finish(0)
            return
        case .showHelp:
            for text in Session.helpLines { local(text) }
        case .send(let payload, let echo):
            if let echo {
                editor.eraseSubmittedLine(line)
                pendingOutput.append(renderer.render(echo, timestamp: Terminal.now(), width: editor.columns))
            }
            send(payload)
        }
        printPending(redisplay: false)
        editor.setPrompt(promptText(), redraw: false)
        editor.reinstall()
    }

    func promptText() -> String {
        guard let session else { return "> " }
        let room = "#" + (session.room ?? "lobby")
        let online = connection?.established ?? false
        return (online ? "" : "(offline) ") + room + "> "
    }

    func local(_ text: String) {
        pendingOutput.append(renderer.render(sender: "", text: text, kind: .local, timestamp: Terminal.now(),
                                             width: editor?.columns ?? 0))
    }

    // MARK: - Scripting input

    func setUpScriptInput() {
        do {
            try loop.epoll.add(0, events: [.readable], token: Kind.stdin.rawValue)
            stdinInEpoll = true
        } catch {
            // A regular file or /dev/null cannot be polled (epoll_ctl: EPERM); it never
            // blocks either, so read it all now.
            while !stdinEOF { readScriptInput() }
        }
    }

    func readScriptInput() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        // A read error on stdin (EIO from a vanished terminal) ends the input like EOF does.
        let result = try? chunk.withUnsafeMutableBytes { bytes throws(Errno) in try Posix.read(0, bytes) }
        if case .wouldBlock = result { return }
        let n: Int
        if case .processed(let count) = result { n = count } else { n = 0 }
        if n <= 0 {
            stdinEOF = true
            if stdinInEpoll {
                try? loop.epoll.remove(0)
                stdinInEpoll = false
            }
            if !stdinBuffer.isEmpty { scriptLine(stdinBuffer[...]) }
            stdinBuffer.removeAll()
            if session == nil {
                Terminal.write("chatd-client: no username (give --user or a first input line)\n", fd: 2)
                finish(1)
                return
            }
            // Hard bound: a daemon that never comes back does not keep a pipeline waiting.
            loop.schedule(Timer(deadline: loop.now + Monotonic.nanoseconds(seconds: options.eofGrace + 10), token: 0,
                                kind: TimerKind.eofDeadline.rawValue))
            checkScriptDone()
            return
        }
        stdinBuffer.append(contentsOf: chunk[0..<n])
        var start = 0
        while let newline = stdinBuffer[start...].firstIndex(of: 0x0A) {
            scriptLine(stdinBuffer[start..<newline])
            start = newline + 1
        }
        stdinBuffer.removeFirst(start)
    }

    func scriptLine(_ bytes: ArraySlice<UInt8>) {
        var line = String(decoding: bytes, as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        guard var session else {
            // Without --user, the first line is the username, as in the seed's client.
            startSession(username: line)
            return
        }
        if case .send(let payload, _) = session.input(line, interactive: false) { send(payload) }
        self.session = session
    }

    /// Scripting mode after EOF: once everything is written, wait `eofGrace` for replies.
    func checkScriptDone() {
        guard !interactive, stdinEOF, !graceScheduled, outbox.isEmpty,
              let conn = connection, conn.established, !conn.hasPendingOutput else { return }
        graceScheduled = true
        loop.schedule(Timer(deadline: loop.now + Monotonic.nanoseconds(seconds: options.eofGrace), token: 0,
                            kind: TimerKind.eofGrace.rawValue))
    }
}
