// The control socket (`chatd ctl`, issue 18's server administration), against an in-process
// daemon and, for the command line and the privilege check, the real binaries.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E control socket")
struct E2EControlSocketTests {
    /// A fresh directory (mode 0755 so `nobody` can reach the socket) and the socket's path.
    static func socketPath() throws -> String {
        var template = Array("/tmp/chatd-ctl-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw E2EError("mkdtemp") }
        let path = String(cString: dir)
        chmod(path, 0o755)
        return path + "/control"
    }

    static func request(_ path: String, _ line: String) throws -> [(name: String, value: JSONValue)] {
        let reply = try ControlClient.exchange(socketPath: path, request: line)
        guard case .object(let members) = try JSONParser.parse(reply) else { throw E2EError("reply is not an object") }
        return members
    }

    static func member(_ members: [(name: String, value: JSONValue)], _ name: String) -> JSONValue? {
        members.first { $0.name == name }?.value
    }

    @Test("status, rooms and who report what the clients did")
    func statusRoomsWho() throws {
        let path = try Self.socketPath()
        let daemon = try E2EDaemon { $0.controlSocket = path }
        defer { _ = daemon.stop() }
        let clients = try loginAll(port: daemon.port, ["alice", "bob", "carol"])
        try clients[2].send(frame: "/join ops")
        try clients[2].sync()

        let status = try Self.request(path, "status")
        #expect(Self.member(status, "ok") == .bool(true))
        #expect(Self.member(status, "connections")?.integer == 3)
        #expect(Self.member(status, "users")?.integer == 3)
        #expect(Self.member(status, "draining") == .bool(false))

        let rooms = try Self.request(path, "rooms")
        guard case .array(let list)? = Self.member(rooms, "rooms") else { Issue.record("no rooms list: \(rooms)"); return }
        let pairs = list.compactMap { item -> String? in
            guard case .object(let m) = item, case .string(let name)? = Self.member(m, "name"),
                  let members = Self.member(m, "members")?.integer else { return nil }
            return "\(name)=\(members)"
        }
        #expect(pairs == ["lobby=2", "ops=1"])

        let who = try Self.request(path, "who #lobby")
        #expect(Self.member(who, "members") == .array([.string("alice"), .string("bob")]))
        let missing = try Self.request(path, "who nowhere")
        #expect(Self.member(missing, "ok") == .bool(false))
        #expect(Self.member(missing, "error") == .string("no room named #nowhere"))
    }

    @Test("bad requests get an error reply and the socket keeps serving", arguments: [
        ("", "empty request"), ("frobnicate", "unknown request 'frobnicate'"), ("who", "usage: who ROOM"),
        ("status now", "usage: status"), ("kick", "usage: kick NAME"), ("announce", "usage: announce TEXT"),
        (String(repeating: "x", count: 5000), "request longer than 4096 bytes"),
    ])
    func badRequests(line: String, expected: String) throws {
        let path = try Self.socketPath()
        let daemon = try E2EDaemon { $0.controlSocket = path }
        defer { _ = daemon.stop() }
        let reply = try Self.request(path, line)
        #expect(Self.member(reply, "ok") == .bool(false))
        guard case .string(let error)? = Self.member(reply, "error") else { Issue.record("no error: \(reply)"); return }
        #expect(error.hasPrefix(expected), "\(error)")
        #expect(Self.member(try Self.request(path, "status"), "ok") == .bool(true))
        daemon.expectHealthy()
    }

    @Test("kick disconnects the user with the reason; announce reaches every room")
    func kickAndAnnounce() throws {
        let path = try Self.socketPath()
        let daemon = try E2EDaemon { $0.controlSocket = path }
        defer { _ = daemon.stop() }
        let clients = try loginAll(port: daemon.port, ["alice", "mallory", "carol"])
        try clients[2].send(frame: "/join ops")
        try clients[2].sync()

        let announce = try Self.request(path, "announce maintenance at noon")
        #expect(Self.member(announce, "rooms")?.integer == 2)
        for c in [clients[0], clients[2]] {
            #expect(c.receiveUntil(Msg("*", "maintenance at noon")) != nil, "\(c.name) missed the announcement")
        }

        let kick = try Self.request(path, "kick mallory spamming the lobby")
        #expect(Self.member(kick, "kicked") == .string("mallory"))
        #expect(clients[1].receiveUntil(Msg.notice("disconnected by the operator: spamming the lobby")) != nil)
        #expect(clients[1].expectClosed())
        #expect(clients[0].receiveUntil { $0.isNotice && $0.text.hasPrefix("mallory disconnected") } != nil)
        let unknown = try Self.request(path, "kick nobody-here")
        #expect(Self.member(unknown, "error") == .string("no user named nobody-here"))
    }

    @Test("drain closes every client after its queued messages and refuses new ones")
    func drain() throws {
        let path = try Self.socketPath()
        let daemon = try E2EDaemon { $0.controlSocket = path }
        defer { _ = daemon.stop() }
        let clients = try loginAll(port: daemon.port, ["alice", "bob"])
        // Queued for bob when the drain starts: it must still arrive, before the notice.
        try clients[0].send(frames: (0..<200).map { "before drain \($0)" })
        try clients[0].sync()
        let reply = try Self.request(path, "drain")
        #expect(Self.member(reply, "connections")?.integer == 2)
        let got = clients[1].receiveUntil(Msg.notice(ControlLoop.drainNotice)) ?? []
        #expect(got.filter { $0.sender == "alice" }.map(\.text) == (0..<200).map { "before drain \($0)" })
        #expect(clients[1].expectClosed())
        #expect(clients[0].expectClosed())
        #expect(throws: (any Error).self) { try E2EClient.login(port: daemon.port, name: "late") }
        var connections = -1
        let deadline = e2eNow() + 5
        while e2eNow() < deadline {
            connections = try ControlClient.connections(socketPath: path)
            if connections == 0 { break }
            e2eSleep(0.05)  // polling a condition against a deadline
        }
        #expect(connections == 0)
        #expect(Self.member(try Self.request(path, "status"), "draining") == .bool(true))
    }

    @Test("chatd ctl works for root and is refused to nobody, even through a world-writable socket")
    func privileges() throws {
        let chatd = try #require(ChatdBinary.path, "chatd binary not found: build it (swift build)")
        let path = try Self.socketPath()
        let daemon = try E2EDaemon { $0.controlSocket = path }
        defer { _ = daemon.stop() }
        let dir = String(path.dropLast("/control".count))
        let root = try ChildProcess([chatd, "ctl", "--socket", path, "status"], logPath: dir + "/root.out")
        #expect(root.wait(timeout: 10) == 0)
        #expect(root.log.contains("connections: 0"), "\(root.log)")

        // The file mode keeps nobody out at connect(2)…
        let denied = try ChildProcess(
            ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", chatd, "ctl", "--socket", path, "status"],
            logPath: dir + "/nobody.out")
        #expect(denied.wait(timeout: 10) == 2 << 8)  // exit status 2: could not connect
        #expect(denied.log.contains("Permission denied"), "\(denied.log)")
        // …and with the mode opened up, the daemon's SO_PEERCRED check still refuses.
        chmod(path, 0o666)
        let refused = try ChildProcess(
            ["/usr/bin/setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", chatd, "ctl", "--socket", path, "status"],
            logPath: dir + "/nobody2.out")
        #expect(refused.wait(timeout: 10) == 1 << 8)  // exit status 1: the daemon said no
        #expect(refused.log.contains("error: permission denied: uid 65534"), "\(refused.log)")
        daemon.expectHealthy()
    }
}
