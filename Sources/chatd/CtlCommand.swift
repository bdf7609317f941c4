// `chatd ctl`: administers a running daemon through its control socket.

import ArgumentParser
import ChatDaemon
import EventLoop
import Glibc

struct CtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatd ctl",
        abstract: "Administer a running chatd through its control socket.",
        discussion: """
            Requests: status | rooms | who ROOM | kick NAME [REASON] | announce TEXT | drain | reload | \
            ban MASK [TIME] [REASON] | unban MASK | bans. A ban MASK is ~a:ACCOUNT or ADDRESS[/PREFIX]; \
            TIME is 30s, 10m, 2h, 1d (a bare number is minutes). \
            drain stops accepting connections and closes every client gracefully (each is told to \
            reconnect) for a rolling restart; with --wait it returns once no client is left. \
            Only root and chatd's user or group may use the socket.
            """)

    @Option(name: .customLong("socket"), help: ArgumentHelp("The daemon's control socket.", valueName: "path"))
    var socket: String = ControlClient.defaultSocketPath

    @Flag(name: .customLong("json"), help: "Print the daemon's JSON reply instead of text.")
    var json = false

    @Option(name: .customLong("wait"), help: ArgumentHelp("drain: wait up to this many seconds for every client to leave.", valueName: "seconds"))
    var wait: Double?

    @Argument(help: "The request and its arguments.")
    var request: [String] = []

    func run() throws {
        guard !request.isEmpty else { throw ValidationError("missing request (status, rooms, who, kick, announce, drain, reload, ban, unban, bans)") }
        let line = request.joined(separator: " ")
        // A daemon that refuses the peer answers and closes before reading the request: the
        // write then fails with EPIPE, which must not kill this process before it reads why.
        signal(SIGPIPE, SIG_IGN)
        do {
            let (ok, output) = try ControlClient.run(socketPath: socket, request: line, json: json)
            print(output)
            guard ok else { throw ExitCode(1) }
            if let wait, request.first?.lowercased() == "drain" { try waitForDrain(seconds: wait) }
        } catch let failure as ControlClient.Failure {
            FileHandleStderr.write("chatd ctl: \(failure)\n")
            throw ExitCode(2)
        }
    }

    /// Polls `status` until no connection is left (every 100 ms, up to `seconds`).
    func waitForDrain(seconds: Double) throws {
        var remaining = -1
        for _ in 0..<max(1, Int(seconds * 10)) {
            remaining = try ControlClient.connections(socketPath: socket)
            if remaining == 0 {
                print("drained: no client left")
                return
            }
            usleep(100_000)
        }
        FileHandleStderr.write("chatd ctl: \(remaining) client(s) still connected after \(seconds) s\n")
        throw ExitCode(1)
    }
}

enum FileHandleStderr {
    static func write(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { try? Posix.write(2, $0) }
    }
}
