// Ordering across loops (issues 2 and 3) and rate limiting (issue 3), over real sockets.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E ordering and rate limits") struct E2EOrderingTests {
    /// Issue 2: `--threads 4`, 40 clients in the lobby, 20 messages each, sent interleaved.
    @Test func fortyClientsOnFourLoopsSeeOneOrder() throws {
        let d = try E2EDaemon { $0.threads = 4 }
        defer { d.stop() }
        let names = (0..<40).map { "c\($0)" }
        var clients: [E2EClient] = []
        for n in names { clients.append(try E2EClient.login(port: d.port, name: n)) }
        // Drop the join notices: client i waits for the last client's arrival.
        for c in clients.dropLast() {
            #expect(c.receiveUntil(.notice("c39 joined #lobby")) != nil, "\(c.name)")
        }
        var sent: [String: [String]] = [:]
        for round in 0..<20 {
            for (i, c) in clients.enumerated() {
                let text = "\(names[i]) says \(round)"
                c.sendRaw(encodeFrame(text))
                sent[names[i], default: []].append(text)
            }
        }
        var transcripts: [String: [Msg]] = [:]
        for c in clients {
            let got = c.receive(count: 39 * 20, timeout: 10) ?? c.partial
            transcripts[c.name] = got
        }
        expectConsistentTranscripts(transcripts, sent: sent, "lobby")
        for c in clients { #expect(c.drain(for: 0) == [], "\(c.name): extra frames") }
    }

    /// Issue 3: `--threads 4`, 200 clients in 10 rooms; every member's transcript of its room is
    /// consistent with one order and complete.
    @Test func twoHundredClientsInTenRoomsOnFourLoops() throws {
        let d = try E2EDaemon { $0.threads = 4 }
        defer { d.stop() }
        let rooms = 10, perRoom = 20, messagesEach = 5
        var clients: [E2EClient] = []
        for i in 0..<(rooms * perRoom) {
            let c = try E2EClient.connect(port: d.port, name: "p\(i)")
            clients.append(c)
        }
        // Everyone joins its room; the reply means the daemon has made it a member.
        for (i, c) in clients.enumerated() {
            try c.send(frame: "/join room\(i % rooms)")
        }
        for (i, c) in clients.enumerated() {
            let r = c.receiveUntil { $0.text.hasPrefix("you joined #room") }
            #expect(r?.last?.text.hasPrefix("you joined #room\(i % rooms) (") == true, "\(c.name): \(String(describing: r?.last))")
        }
        var sent: [String: [String]] = [:]
        for k in 0..<messagesEach {
            for (i, c) in clients.enumerated() {
                let text = "\(c.name) in room\(i % rooms): \(k)"
                c.sendRaw(encodeFrame(text))
                sent[c.name, default: []].append(text)
            }
        }
        var transcripts = [[String: [Msg]]](repeating: [:], count: rooms)
        let expectedEach = (perRoom - 1) * messagesEach
        for (i, c) in clients.enumerated() {
            // Join/leave notices of the room may come first; chat text is what is compared.
            var got: [Msg] = []
            let deadline = e2eNow() + 10
            while got.count < expectedEach, let m = c.receive(timeout: deadline - e2eNow()) {
                if !m.isNotice { got.append(m) }
            }
            transcripts[i % rooms][c.name] = got
        }
        for r in 0..<rooms {
            let members = Set(transcripts[r].keys)
            expectConsistentTranscripts(transcripts[r], sent: sent.filter { members.contains($0.key) }, "room\(r)")
        }
        #expect(d.server.stats.connections == rooms * perRoom)
    }

    /// Issue 3: `--msg-rate 5 --msg-burst 5`. A flooder is slowed (paused, not dropped), nothing
    /// is lost, and another client's message still gets through at once.
    @Test func rateLimitSlowsTheFlooderOnly() throws {
        let d = try E2EDaemon { $0.msgRate = 5; $0.msgBurst = 5 }
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["flood", "calm", "watch"])
        let (flood, calm, watch) = (c[0], c[1], c[2])
        e2eSleep(0.3)  // the /who barriers used tokens; let the buckets refill
        let start = e2eNow()
        // All 50 in one write: the daemon must pause reading, not drop.
        flood.sendRaw((0..<50).flatMap { encodeFrame("flood \($0)") })
        var arrivals: [Double] = []
        var got: [Msg] = []
        func take(_ m: Msg) {
            if m.sender == "flood" { got.append(m); arrivals.append(e2eNow() - start) }
        }
        // The first 10 come within 2.5 s (burst 5, then 5/s).
        while got.count < 10, e2eNow() - start < 2.5, let m = watch.receive(timeout: 2.5 - (e2eNow() - start)) { take(m) }
        #expect(got.count >= 10, "only \(got.count) of the first 10 within 2.5 s")
        // Another client is not held up by the flooder.
        let sentAt = e2eNow()
        try calm.send(frame: "calm here")
        var calmLatency: Double?
        while calmLatency == nil, e2eNow() - sentAt < 2, let m = watch.receive(timeout: 2 - (e2eNow() - sentAt)) {
            if m == Msg("calm", "calm here") { calmLatency = e2eNow() - sentAt } else { take(m) }
        }
        #expect(calmLatency.map { $0 < 0.5 } == true, "calm's message took \(String(describing: calmLatency)) s")
        // Not all 50 within 3 s …
        while e2eNow() - start < 3, let m = watch.receive(timeout: 3 - (e2eNow() - start)) { take(m) }
        #expect(got.count < 50, "all 50 arrived within 3 s: not rate limited")
        #expect(got.count <= 25, "\(got.count) within 3 s at 5/s")
        // … but all of them, in order, within 12 s.
        while got.count < 50, e2eNow() - start < 12, let m = watch.receive(timeout: 12 - (e2eNow() - start)) { take(m) }
        #expect(got == (0..<50).map { Msg("flood", "flood \($0)") }, "got \(got.count) of 50")
        if let last = arrivals.last { #expect(last > 7, "the 50th arrived after \(last) s; expected about 9 s") }
        // The flooder is still connected and served.
        try flood.sync()
        #expect(calm.receive(count: 50, timeout: 1)?.count == 50, "calm also received all 50")
    }
}
