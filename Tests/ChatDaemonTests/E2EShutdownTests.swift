// Issue 2: graceful shutdown of an in-process daemon: stop accepting, tell every client
// `* server shutting down`, flush, close, and return from run() within the deadline.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E shutdown") struct E2EShutdownTests {
    @Test func everyClientIsToldAndRunReturnsWithinTheDeadline() throws {
        let d = try E2EDaemon { $0.shutdownTimeout = 2; $0.threads = 2 }
        let c = try loginAll(port: d.port, ["alice", "bob", "carol"])
        try c[2].send(frame: "/join elsewhere")
        #expect(c[2].receive() == .notice("you joined #elsewhere (1 members)"))
        _ = c[0].receive()
        _ = c[1].receive()
        let handshaking = try E2EClient(port: d.port)
        let took = d.stop()
        #expect(took.map { $0 < 3 } == true, "run() returned after \(String(describing: took)) s")
        for cl in c + [handshaking] {
            #expect(cl.expectClosed(timeout: 2), "\(cl.name) not closed")
            // Exactly the notice: no "x disconnected" chatter during shutdown.
            #expect(cl.partial == [.notice("server shutting down")], "\(cl.name)")
        }
        // The listeners are gone.
        #expect((try? E2EClient(port: d.port)) == nil, "still accepting after shutdown")
    }

    @Test func aClientThatNeverReadsDoesNotHoldShutdownPastTheDeadline() throws {
        let d = try E2EDaemon { $0.shutdownTimeout = 1 }
        let sleeper = try E2EClient(port: d.port, receiveBuffer: 8 * 1024)
        try sleeper.send(frame: "sleeper")
        try sleeper.sync()
        let reader = try E2EClient.login(port: d.port, name: "reader")
        let sender = try E2EClient.login(port: d.port, name: "sender")
        #expect(reader.receiveUntil(.notice("sender joined #lobby")) != nil)
        // ~2 MB queued for the sleeper (below the 8 MiB hard limit, above what the kernel takes
        // with its tiny window), while the reader keeps up.
        let pad = String(repeating: "z", count: 8000)
        for i in 0..<250 {
            try sender.send(frame: "\(i) \(pad)")
            #expect(reader.receive()?.text.hasPrefix("\(i) ") == true)
        }
        let took = d.stop()
        #expect(took.map { $0 < 3 } == true, "run() returned after \(String(describing: took)) s; deadline 1 s")
        #expect(reader.expectClosed(timeout: 2))
        #expect(reader.partial == [.notice("server shutting down")])
        sleeper.closeWithRST()
    }

    @Test func shutdownWithNoClients() throws {
        let d = try E2EDaemon()
        let took = d.stop()
        #expect(took.map { $0 < 1 } == true, "idle daemon took \(String(describing: took)) s to stop")
    }
}
