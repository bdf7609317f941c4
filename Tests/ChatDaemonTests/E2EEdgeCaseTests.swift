// More edges of the core (issue 2): pipelined input, the read fairness cap, the largest legal
// message at the default limit, and the soft output limit's time bound.

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E edge cases") struct E2EEdgeCaseTests {
    @Test func usernameMessagesAndQuitInOneWrite() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let c = try E2EClient(port: d.port)
        c.sendRaw(["pipe", "one", "two", "/me three", "/quit", "never"].flatMap { encodeFrame($0) })
        #expect(c.expectClosed())
        #expect(c.partial == [.notice("bye")])
        #expect(watcher.receive(count: 5) == [
            .notice("pipe joined #lobby"), Msg("pipe", "one"), Msg("pipe", "two"), Msg("pipe", "/me three"),
            .notice("pipe disconnected"),
        ])
        #expect(watcher.drain(for: 0.2) == [])
    }

    /// One client writes ~1.2 MB of small frames at once: more than the per-tick read budget
    /// (256 KiB), so the connection is re-posted to later ticks; nothing may be lost or reordered,
    /// and another client on the same loop keeps being served meanwhile.
    @Test func burstLargerThanTheReadBudget() throws {
        let d = try E2EDaemon { $0.threads = 1 }
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["burst", "watcher", "other"])
        let n = 20_000
        let texts = (0..<n).map { "burst message number \($0) ........................" }
        let bytes = texts.flatMap { encodeFrame($0) }
        #expect(bytes.count > 1_000_000)
        final class Done: @unchecked Sendable { var ok = false }
        let done = Done()
        let sender = UnsafeSendableBox(c[0])
        let t = LoopThreadHandle.spawn { done.ok = sender.value.sendRaw(bytes) }
        try c[2].send(frame: "interleaved")
        var got: [String] = []
        var sawOther = false
        let deadline = e2eNow() + 20
        while got.count < n, let m = c[1].receive(timeout: deadline - e2eNow()) {
            if m.sender == "burst" { got.append(m.text) } else if m == Msg("other", "interleaved") { sawOther = true }
        }
        t.join()
        #expect(done.ok)
        #expect(got.count == n)
        #expect(got == texts, "first difference at \(got.indices.first { $0 >= texts.count || got[$0] != texts[$0] } ?? -1)")
        if !sawOther { sawOther = c[1].drain(for: 0.5).contains(Msg("other", "interleaved")) }
        #expect(sawOther)
        let otherGot = c[2].receive(count: n, timeout: 20)?.map(\.text)
        #expect(otherGot == texts)
    }

    @Test func largestMessageAtTheDefaultLimit() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try loginAll(port: d.port, ["big", "watcher"])
        var text = ""
        for i in 0..<6553 { text += String(i % 10) + "abcdefghi" }
        text += "abcdef"
        #expect(text.utf8.count == 65536)
        // Sent in uneven pieces so the frame spans many reads.
        let frame = encodeFrame(text)
        var offset = 0
        var step = 1
        while offset < frame.count {
            let end = min(frame.count, offset + step)
            c[0].sendRaw(Array(frame[offset..<end]))
            offset = end
            step = step * 3 % 20011 + 1
        }
        let got = c[1].receive(timeout: 5)
        #expect(got?.sender == "big")
        #expect(got?.text == text, "65536-byte message altered (\(got?.text.utf8.count ?? -1) bytes)")
        try c[0].send(frame: text + "x")
        #expect(c[0].expectClosed())
        #expect(c[0].partial == [.notice("error: message of 65537 bytes exceeds the 65536-byte limit")])
    }

    /// Over --queue-soft-bytes for longer than --queue-soft-seconds: disconnected even below the
    /// hard limit.
    @Test func softOutputLimitHasATimeBound() throws {
        let d = try E2EDaemon {
            $0.queueSoftBytes = 64 * 1024
            $0.queueSoftSeconds = 1
            $0.queueHardBytes = 64 << 20
        }
        defer { d.stop() }
        let sleeper = try E2EClient(port: d.port, receiveBuffer: 8 * 1024)
        try sleeper.send(frame: "sleeper")
        try sleeper.sync()
        let c = try loginAll(port: d.port, ["sender", "reader"])
        let pad = String(repeating: "s", count: 8000)
        // ~6 MB: well over the soft limit even after the kernel buffers (4 MB here), far below
        // the hard one.
        for i in 0..<750 {
            try c[0].send(frame: "\(i) \(pad)")
            #expect(c[1].receive()?.text.hasPrefix("\(i) ") == true)
        }
        let deadline = e2eNow() + 5
        while d.server.stats.slowConsumerDisconnects == 0 && e2eNow() < deadline { usleep(20_000) }
        #expect(d.server.stats.slowConsumerDisconnects == 1, "not disconnected after more than 1 s over the soft limit")
        #expect(c[1].receiveUntil(.notice("sleeper disconnected (slow consumer)")) != nil)
        #expect(c[0].receiveUntil(.notice("sleeper disconnected (slow consumer)")) != nil)
        sleeper.closeWithRST()
        d.expectHealthy()
    }

    @Test func halfCloseAfterSendingStillDeliversTheMessage() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let c = try E2EClient(port: d.port)
        c.sendRaw(encodeFrame("halfer") + encodeFrame("last words"))
        shutdown(c.fd, Int32(SHUT_WR))
        #expect(watcher.receive(count: 3) == [
            .notice("halfer joined #lobby"), Msg("halfer", "last words"), .notice("halfer disconnected"),
        ])
        #expect(c.expectClosed())
    }

    /// `printf … | nc -N`: a client that half-closes right after a command still gets the
    /// reply (queued output is flushed before the daemon closes its side).
    @Test func halfCloseAfterACommandStillGetsTheReply() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient(port: d.port)
        c.sendRaw(encodeFrame("piper") + encodeFrame("/who"))
        shutdown(c.fd, Int32(SHUT_WR))
        #expect(c.receiveUntil(.notice("in #lobby: piper")) != nil)
        #expect(c.expectClosed())
    }
}
