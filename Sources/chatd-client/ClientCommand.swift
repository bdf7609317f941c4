import ArgumentParser
import Glibc
import TLS

extension ColorPolicy: ExpressibleByArgument {}

/// `chatd-client [--host H] [--port P] [--user NAME] [--room ROOM]`.
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatd-client",
        abstract: "Terminal client for chatd's framed chat protocol.",
        discussion: """
            Interactive when stdin is a terminal: line editing and history (libedit), \
            timestamps, colored names, /help for commands, Ctrl-D or /quit to leave.

            Scripting mode when stdin is not a terminal: each input line is sent as a \
            message (without --user the first line is the username) and every received \
            message is printed as "user > text". At EOF the client waits until its lines \
            are written, then --eof-grace seconds for replies, and exits 0.
            """)

    @Option(name: .long, help: "Daemon host name or address.")
    var host = "127.0.0.1"

    @Option(name: .shortAndLong, help: "Daemon TCP port.")
    var port = 7575

    @Option(
        name: .customLong("server"),
        help: "Another server HOST:PORT to fail over to (repeatable): after a failed attempt or a lost connection the client tries the next one, round robin from --host/--port.")
    var servers: [String] = []

    @Option(name: [.customShort("u"), .long], help: "Username (asked for when missing).")
    var user: String?

    @Option(name: .shortAndLong, help: "Room to join after connecting (and after every reconnect).")
    var room: String?

    @Flag(name: .long, help: "Exit when the connection is lost instead of retrying with backoff.")
    var noReconnect = false

    @Option(name: .long, help: "Colors: auto (terminal and no NO_COLOR), always, never.")
    var color = ColorPolicy.auto

    @Flag(name: .long, help: "Hide the time column.")
    var noTimestamps = false

    @Option(name: .long, help: "Scripting mode: seconds to wait for replies after stdin's EOF.")
    var eofGrace = 1.0

    @Option(name: .long, help: "Longest delay between reconnect attempts, in seconds.")
    var maxBackoff = 5.0

    @Flag(name: .long, help: "Connect with TLS (to a framed+tls:// listener); the server's certificate is checked against the system CA store unless --ca or --insecure.")
    var tls = false

    @Option(name: .long, help: "With --tls: trust only the CA certificates in this PEM file (a private CA or a self-signed server certificate).")
    var ca: String?

    @Flag(name: .long, help: "With --tls: do not verify the server's certificate at all (self-signed test setups only: anyone in the path can impersonate the server).")
    var insecure = false

    func validate() throws {
        if (ca != nil || insecure) && !tls { throw ValidationError("--ca and --insecure need --tls") }
        if ca != nil && insecure { throw ValidationError("--ca and --insecure exclude each other") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
        guard eofGrace >= 0, maxBackoff > 0 else { throw ValidationError("durations must be positive") }
        for s in servers where Self.parseServer(s) == nil {
            throw ValidationError("--server \(s): expected HOST:PORT with a port in 1...65535")
        }
    }

    /// `HOST:PORT` or `[V6]:PORT`.
    static func parseServer(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        var options = ClientOptions()
        options.host = host
        options.port = port
        options.alternates = servers.compactMap(Self.parseServer)
        options.username = user
        options.room = room
        options.reconnect = !noReconnect
        options.colors = color
        options.timestamps = !noTimestamps
        options.eofGrace = eofGrace
        options.maxBackoff = maxBackoff
        if tls { options.tls = insecure ? .insecure : ca.map { .file($0) } ?? .system }
        let client = try ChatClient(options: options, interactive: Terminal.isTerminal(0))
        let status = client.run()
        if status != 0 { throw ExitCode(status) }
    }
}
