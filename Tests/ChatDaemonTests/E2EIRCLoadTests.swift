// IRC under load: many connections in one channel, the shared rate limit, the slow-consumer
// policy — the same rules as framed clients.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E IRC load")
struct E2EIRCLoadTests {
    /// 1,000 IRC clients in one channel all get a framed user's message (each once, exactly).
    @Test func thousandConnectionsInOneChannel() throws {
        let (d, ircPort) = try E2EIRCTests.daemon()
        defer { d.stop() }
        var clients: [IRCTestClient] = []
        for i in 0..<1000 {
            let c = try IRCTestClient.register(port: ircPort, nick: "u\(i)")
            c.send("JOIN #big")
            guard c.until({ $0.contains(" 366 ") }) != nil else { throw E2EError("u\(i): no NAMES") }
            clients.append(c)
        }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        try alice.send(frame: "/join big")
        try alice.send(frame: "to all")
        var got = 0
        for c in clients {
            if c.until(timeout: 20, { $0 == ":alice!alice@framed PRIVMSG #big :to all" }) != nil { got += 1 }
        }
        #expect(got == 1000)
        // And the other way: one IRC user to the framed user and the other 999.
        clients[0].send("PRIVMSG #big :back")
        #expect(alice.receiveUntil(timeout: 10) { !$0.isNotice }?.last == Msg("u0", "back"))
        #expect(clients[999].until(timeout: 10) { $0 == ":u0!u0@irc PRIVMSG #big :back" } != nil)
    }

    /// `--msg-rate` applies to IRC lines: a burst past the bucket is delivered late, in order,
    /// with nothing dropped.
    @Test func floodPausesReading() throws {
        let (d, ircPort) = try E2EIRCTests.daemon { $0.msgRate = 4; $0.msgBurst = 2 }
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        let flood = try IRCTestClient.register(port: ircPort, nick: "flood")
        flood.send("JOIN #lobby")
        #expect(alice.receiveUntil(.notice("flood joined #lobby")) != nil)
        let start = e2eNow()
        for i in 0..<8 { flood.send("PRIVMSG #lobby :m\(i)") }
        let early = alice.drain(for: 0.3).filter { !$0.isNotice }
        #expect(early.count < 8, "all 8 arrived at once: the rate limit did not apply")
        var all = early
        while all.count < 8, e2eNow() - start < 10, let m = alice.receive(timeout: 10 - (e2eNow() - start)) {
            if !m.isNotice { all.append(m) }
        }
        #expect(all.map(\.text) == (0..<8).map { "m\($0)" })
    }

    /// An IRC client that stops reading is disconnected as a slow consumer; the others carry on
    /// and see it quit.
    @Test func slowConsumerIsDisconnected() throws {
        let (d, ircPort) = try E2EIRCTests.daemon {
            $0.maxMessageBytes = 1000; $0.queueSoftBytes = 2000; $0.queueHardBytes = 4000; $0.queueSoftSeconds = 1
        }
        defer { d.stop() }
        // The sender is the observer: it is not sent its own messages, so only the stuck
        // client's queue grows.
        let alice = try E2EClient.login(port: d.port, name: "alice")
        let stuck = try IRCTestClient.register(port: ircPort, nick: "stuck", receiveBuffer: 2048)
        stuck.send("JOIN #lobby")
        _ = stuck.until { $0.contains(" 366 ") }
        #expect(alice.receiveUntil(.notice("stuck joined #lobby")) != nil)
        let text = String(repeating: "y", count: 900)
        for _ in 0..<600 { try alice.send(frame: text) }
        #expect(alice.receiveUntil(timeout: 20) { $0.isNotice && $0.text == "stuck disconnected (slow consumer)" } != nil)
        try alice.sync()
        #expect(d.server.stats.slowConsumerDisconnects >= 1)
    }
}
