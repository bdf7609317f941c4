// Issue 2, "Bad input": every kind of bad input over real TCP against an in-process daemon.
// Each test checks the exact frames the offender gets, and then that the daemon still serves
// everyone else (two fresh clients chat both ways).

@testable import ChatDaemon
import Glibc
import Testing

@Suite("E2E bad input") struct E2EBadInputTests {
    // MARK: headers

    static let badHeaders: [(label: String, header: [UInt8])] = [
        ("non-digit", Array("abcdefghij".utf8)),
        ("empty (10 spaces)", Array("          ".utf8)),
        ("negative", Array("-5        ".utf8)),
        ("plus sign", Array("+5        ".utf8)),
        ("digits split by a space", Array("1 2       ".utf8)),
        ("hex", Array("0x10      ".utf8)),
        ("NUL bytes", [UInt8](repeating: 0, count: 10)),
        ("HTTP request", Array("GET / HTTP/1.1\r\n\r\n".utf8)),
    ]

    @Test("invalid header before login: error frame, close", arguments: 0..<badHeaders.count)
    func invalidHeaderBeforeLogin(_ i: Int) throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient(port: d.port)
        c.sendRaw(Self.badHeaders[i].header + Array("hello".utf8))
        #expect(c.expectClosed(), "\(Self.badHeaders[i].label): not closed")
        #expect(c.partial == [.notice("error: invalid frame header")], "\(Self.badHeaders[i].label)")
        d.expectHealthy(Self.badHeaders[i].label)
    }

    @Test("invalid header after login: error frame, close, others told", arguments: 0..<badHeaders.count)
    func invalidHeaderAfterLogin(_ i: Int) throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let bad = try E2EClient.login(port: d.port, name: "bad")
        #expect(watcher.receive() == .notice("bad joined #lobby"))
        bad.sendRaw(Self.badHeaders[i].header)
        #expect(bad.expectClosed(), "\(Self.badHeaders[i].label): not closed")
        #expect(bad.partial == [.notice("error: invalid frame header")], "\(Self.badHeaders[i].label)")
        #expect(watcher.receive() == .notice("bad disconnected"))
        // The name is free again.
        let again = try E2EClient.login(port: d.port, name: "bad")
        #expect(watcher.receive() == .notice("bad joined #lobby"))
        again.close()
        d.expectHealthy(Self.badHeaders[i].label)
    }

    @Test func oversizedHeaderIsRejectedBeforeThePayload() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient.login(port: d.port, name: "big")
        // Announces ~10 GB; must be refused from the header alone, not by waiting for the bytes.
        c.sendRaw(Array("9999999999".utf8))
        #expect(c.expectClosed(timeout: 3))
        #expect(c.partial == [.notice("error: message of 9999999999 bytes exceeds the 65536-byte limit")])
        d.expectHealthy()
    }

    @Test func whitespaceAroundDigitsIsAccepted() throws {
        // The seed strips the header: " 5", "5 ", "\t5\t" all mean 5.
        let d = try E2EDaemon()
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "a")
        let b = try E2EClient.login(port: d.port, name: "b")
        #expect(a.receive() == .notice("b joined #lobby"))
        for header in ["5         ", " 5        ", "        5 ", "\t5\t       ", "0000000005"] {
            b.sendRaw(Array(header.utf8) + Array("hello".utf8))
            #expect(a.receive() == Msg("b", "hello"), "header \(Array(header.utf8))")
        }
    }

    // MARK: split input

    @Test func headerAndPayloadOneByteAtATime() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let slow = try E2EClient(port: d.port)
        func trickle(_ bytes: [UInt8]) {
            for b in bytes {
                slow.sendRaw([b])
                usleep(1_000)
            }
        }
        trickle(encodeFrame("trickler"))
        #expect(watcher.receive() == .notice("trickler joined #lobby"))
        let text = "héllo wörld ✓ " + String(repeating: "x", count: 100)
        trickle(encodeFrame(text))
        #expect(watcher.receive() == Msg("trickler", text))
        // Two frames with the boundary inside the second header.
        let two = encodeFrame("first") + encodeFrame("second")
        slow.sendRaw(Array(two[0..<20]))
        usleep(50_000)
        slow.sendRaw(Array(two[20...]))
        #expect(watcher.receive() == Msg("trickler", "first"))
        #expect(watcher.receive() == Msg("trickler", "second"))
        d.expectHealthy()
    }

    // MARK: message size

    @Test func payloadAboveTheLimitClosesAndExactlyTheLimitWorks() throws {
        let d = try E2EDaemon { $0.maxMessageBytes = 1024 }
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let sender = try E2EClient.login(port: d.port, name: "sender")
        #expect(watcher.receive() == .notice("sender joined #lobby"))
        let exact = String(repeating: "a", count: 1023) + "b"
        try sender.send(frame: exact)
        #expect(watcher.receive() == Msg("sender", exact))
        // Multi-byte text of exactly 1024 bytes (lengths are bytes, not characters).
        let multi = String(repeating: "é", count: 512)
        #expect(multi.utf8.count == 1024)
        try sender.send(frame: multi)
        #expect(watcher.receive() == Msg("sender", multi))

        try sender.send(frame: String(repeating: "c", count: 1025))
        #expect(sender.expectClosed())
        #expect(sender.partial == [.notice("error: message of 1025 bytes exceeds the 1024-byte limit")])
        #expect(watcher.receive() == .notice("sender disconnected"))
        // Nothing of the rejected payload leaked to the room.
        #expect(watcher.drain(for: 0.3) == [])
        d.expectHealthy()
    }

    // MARK: UTF-8

    @Test func invalidUTF8MessageGetsAnErrorAndTheConnectionIsKept() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let c = try E2EClient.login(port: d.port, name: "utf")
        #expect(watcher.receive() == .notice("utf joined #lobby"))
        for bad: [UInt8] in [[0xFF, 0xFE], [0x61, 0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]] {
            try c.send(frame: bad)
            #expect(c.receive() == .notice("error: message is not valid UTF-8"), "bytes \(bad)")
        }
        try c.send(frame: "still here ✓")
        #expect(watcher.receive() == Msg("utf", "still here ✓"))
        #expect(watcher.drain(for: 0.2) == [])
    }

    @Test func invalidUTF8UsernameIsRefused() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient(port: d.port)
        try c.send(frame: [0x61, 0xFF, 0x62])
        #expect(c.expectClosed())
        #expect(c.partial == [.notice("error: username must be valid UTF-8")])
        d.expectHealthy()
    }

    @Test func emptyMessageGetsAnError() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient.login(port: d.port, name: "empty")
        try c.send(frame: "")
        #expect(c.receive() == .notice("error: empty message"))
        try c.sync()
    }

    // MARK: usernames

    @Test("bad usernames: error frame, close", arguments: [
        ("", "error: username must be 1–32 bytes, got 0"),
        (String(repeating: "n", count: 33), "error: username must be 1–32 bytes, got 33"),
        (String(repeating: "é", count: 17), "error: username must be 1–32 bytes, got 34"),
        ("two words", "error: username must not contain whitespace, control or invisible characters"),
        ("*star", "error: username must not start with '*'"),
        ("#room", "error: username must not start with '#'"),
        ("/cmd", "error: username must not start with '/'"),
    ])
    func badUsername(_ name: String, _ expected: String) throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient.connect(port: d.port, name: name)
        #expect(c.expectClosed())
        #expect(c.partial == [.notice(expected)])
        d.expectHealthy()
    }

    /// Before login a header announcing more than a username's 32 bytes is refused as soon as
    /// the header is complete: the daemon does not wait for (or buffer) the announced bytes.
    @Test func oversizedUsernameHeaderIsRefusedWithoutItsPayload() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let c = try E2EClient(port: d.port)
        c.sendRaw(frameHeader(65536) + Array("x".utf8))
        #expect(c.expectClosed(timeout: 2))
        #expect(c.partial == [.notice("error: username must be 1–32 bytes, got 65536")])
        d.expectHealthy()
    }

    @Test func usernameOf32BytesIsAccepted() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let name = String(repeating: "n", count: 32)
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let c = try E2EClient.login(port: d.port, name: name)
        #expect(watcher.receive() == .notice("\(name) joined #lobby"))
        try c.send(frame: "hi")
        #expect(watcher.receive() == Msg(name, "hi"))
    }

    @Test func takenUsernameIsRefusedCaseInsensitively() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "Alice")
        for other in ["Alice", "alice", "ALICE", "aLiCe"] {
            let c = try E2EClient.connect(port: d.port, name: other)
            #expect(c.expectClosed(), "\(other)")
            #expect(c.partial == [.notice("error: username \(other) is taken")], "\(other)")
        }
        // The refused attempts did not disturb the owner, and no join/leave notices leaked.
        #expect(alice.drain(for: 0.2) == [])
        try alice.sync()
        // Once Alice leaves, the name is free.
        alice.close()
        var ok = false
        for _ in 0..<50 where !ok {
            let c = try E2EClient.connect(port: d.port, name: "ALICE")
            if (try? c.sync(timeout: 2)) != nil { ok = true } else { usleep(50_000) }
        }
        #expect(ok, "name not released after its owner left")
    }

    // MARK: handshake

    @Test func clientThatNeverSendsAUsernameIsClosedAtTheHandshakeDeadline() throws {
        let d = try E2EDaemon { $0.handshakeTimeout = 1 }
        defer { d.stop() }
        let silent = try E2EClient(port: d.port)
        let partial = try E2EClient(port: d.port)
        partial.sendRaw(Array("5         ab".utf8))  // an incomplete username frame
        let start = e2eNow()
        #expect(silent.expectClosed(timeout: 4))
        let took = e2eNow() - start
        #expect(silent.partial == [.notice("error: handshake timeout: no username within 1 s")])
        #expect(took > 0.7 && took < 3, "closed after \(took) s")
        #expect(partial.expectClosed(timeout: 2))
        #expect(partial.partial == [.notice("error: handshake timeout: no username within 1 s")])
        // A client that logs in in time is not affected by the deadline.
        let ok = try E2EClient.login(port: d.port, name: "intime")
        e2eSleep(1.5)
        try ok.sync()
        d.expectHealthy()
    }

    // MARK: disconnects

    @Test("disconnect mid-frame", arguments: [3, 10, 15])
    func disconnectMidFrame(_ cut: Int) throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let c = try E2EClient.login(port: d.port, name: "cutter")
        #expect(watcher.receive() == .notice("cutter joined #lobby"))
        let frame = encodeFrame("this message is never finished")
        c.sendRaw(Array(frame[0..<cut]))
        usleep(20_000)
        c.close()
        #expect(watcher.receive() == .notice("cutter disconnected"))
        #expect(watcher.drain(for: 0.2) == [])
        // Mid-handshake too.
        let h = try E2EClient(port: d.port)
        h.sendRaw(Array(encodeFrame("halfname")[0..<cut]))
        h.close()
        d.expectHealthy("cut at \(cut)")
    }

    @Test func resetInsteadOfFIN() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let r = try E2EClient.login(port: d.port, name: "resetter")
        #expect(watcher.receive() == .notice("resetter joined #lobby"))
        r.closeWithRST()
        #expect(watcher.receive() == .notice("resetter disconnected"))
        // RST during the handshake, with a partial frame, and with unread output queued.
        let h = try E2EClient(port: d.port)
        h.sendRaw(Array("12   ".utf8))
        h.closeWithRST()
        let q = try E2EClient.login(port: d.port, name: "queued")
        #expect(watcher.receive() == .notice("queued joined #lobby"))
        for i in 0..<50 { try watcher.send(frame: "filler \(i)") }
        q.closeWithRST()
        #expect(watcher.receive() == .notice("queued disconnected"))
        // The name is free again right away.
        let again = try E2EClient.login(port: d.port, name: "resetter")
        again.close()
        d.expectHealthy()
    }

    @Test func twoThousandConnectsAndDisconnects() throws {
        let d = try E2EDaemon()
        defer { d.stop() }
        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        for i in 0..<2000 {
            let c = try E2EClient(port: d.port)
            switch i % 4 {
            case 0: c.close()                                     // connect, FIN
            case 1: c.closeWithRST()                              // connect, RST
            case 2: try c.send(frame: "churn\(i)"); c.close()     // log in, leave
            default: try c.send(frame: "churn\(i)"); c.closeWithRST()
            }
        }
        // Every logged-in churner produces a join and a disconnect notice (or neither, if the
        // daemon saw the close before the name); no chat text, nothing else.
        let seen = watcher.drain(for: 1.0)
        let unexpected = seen.filter { m in
            !(m.isNotice && m.text.hasPrefix("churn") && (m.text.hasSuffix(" joined #lobby") || m.text.hasSuffix(" disconnected")))
        }
        #expect(unexpected == [])
        // Connections are all released.
        var connections = -1
        let deadline = e2eNow() + 5
        repeat {
            connections = d.server.stats.connections
            if connections <= 1 { break }
            usleep(50_000)
        } while e2eNow() < deadline
        #expect(connections == 1, "only the watcher should remain")
        #expect(d.server.stats.users == 1, "only the watcher's name should remain")
        d.expectHealthy()
        try watcher.sync()
    }

    // MARK: connection limits

    @Test func maxConnsPerIP() throws {
        let d = try E2EDaemon { $0.maxConnsPerIP = 3 }
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "a")
        let b = try E2EClient.login(port: d.port, name: "b")
        let c = try E2EClient.login(port: d.port, name: "c")
        let fourth = try E2EClient(port: d.port)
        #expect(fourth.expectClosed())
        #expect(fourth.partial == [.notice("error: too many connections from your address (limit 3)")])
        // The three are unaffected.
        try a.send(frame: "still fine")
        #expect(b.receiveUntil { !$0.isNotice }?.last == Msg("a", "still fine"))
        #expect(c.receiveUntil { !$0.isNotice }?.last == Msg("a", "still fine"))
        // One leaves: a new connection is admitted again.
        c.close()
        #expect(a.receiveUntil(.notice("c disconnected")) != nil)
        let e = try E2EClient.login(port: d.port, name: "e")
        try e.send(frame: "in")
        #expect(a.receiveUntil { !$0.isNotice }?.last == Msg("e", "in"))
    }

    @Test func maxConns() throws {
        let d = try E2EDaemon { $0.maxConns = 4 }
        defer { d.stop() }
        var clients: [E2EClient] = []
        for i in 0..<4 { clients.append(try E2EClient.login(port: d.port, name: "m\(i)")) }
        let extra = try E2EClient(port: d.port)
        #expect(extra.expectClosed())
        #expect(extra.partial == [.notice("error: server full (4 connections)")])
        let extra2 = try E2EClient.connect(port: d.port, name: "late")
        #expect(extra2.expectClosed())
        #expect(extra2.partial == [.notice("error: server full (4 connections)")])
        clients[0].close()
        #expect(clients[1].receiveUntil(.notice("m0 disconnected")) != nil)
        let ok = try E2EClient.login(port: d.port, name: "late")
        try ok.send(frame: "made it")
        #expect(clients[1].receiveUntil { !$0.isNotice }?.last == Msg("late", "made it"))
    }

    @Test func idleTimeout() throws {
        let d = try E2EDaemon { $0.idleTimeout = 1 }
        defer { d.stop() }
        let idle = try E2EClient.login(port: d.port, name: "idle")
        let busy = try E2EClient.login(port: d.port, name: "busy")
        let start = e2eNow()
        // busy talks every 0.3 s for 2 s: it stays; idle only receives and is closed.
        var closedAt: Double?
        while e2eNow() - start < 2.2 {
            try busy.send(frame: "tick")
            usleep(300_000)
        }
        #expect(idle.expectClosed(timeout: 3))
        closedAt = e2eNow() - start
        let errors = idle.partial.filter(\.isNotice)
        #expect(errors.last == .notice("error: idle timeout"), "got \(idle.partial)")
        #expect(idle.partial.filter { !$0.isNotice }.allSatisfy { $0 == Msg("busy", "tick") })
        #expect(closedAt.map { $0 < 5 } == true)
        #expect(busy.receiveUntil(.notice("idle disconnected")) != nil)
        try busy.sync()
    }

    // MARK: slow consumer

    @Test func slowConsumerIsDisconnectedWhileOthersGetEverything() throws {
        let d = try E2EDaemon {
            $0.queueHardBytes = 256 * 1024
            $0.queueSoftBytes = 128 * 1024
            $0.queueSoftSeconds = 30
        }
        defer { d.stop() }
        // 8 MB in total: more than the kernel can buffer for the sleeper (tcp_wmem max is 4 MB
        // here), so the daemon's own queue must pass the hard limit.
        let n = 500
        let pad = String(repeating: "p", count: 16 * 1024 - 8)
        func text(_ i: Int) -> String { "m\(i) \(pad)" }

        let sleeper = try E2EClient(port: d.port, receiveBuffer: 16 * 1024)
        try sleeper.send(frame: "sleeper")
        try sleeper.sync()
        var readers: [E2EClient] = []
        for i in 0..<3 { readers.append(try E2EClient.login(port: d.port, name: "reader\(i)")) }
        let sender = try E2EClient.login(port: d.port, name: "sender")
        for (i, r) in readers.enumerated() {
            for j in (i + 1)..<3 { _ = r.receiveUntil(.notice("reader\(j) joined #lobby")) }
            #expect(r.receiveUntil(.notice("sender joined #lobby")) != nil)
        }

        // Reader threads record what they get; the sender stays at most `window` messages ahead
        // of the slowest healthy reader, so only the sleeper's queue can grow.
        final class Progress: @unchecked Sendable {
            var received = [Int](repeating: 0, count: 3)
            var ids = [[String]](repeating: [], count: 3)
            var intact = [Bool](repeating: true, count: 3)
            var notices = [[Msg]](repeating: [], count: 3)
            let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
            init() { pthread_mutex_init(lock, nil) }
            func with<T>(_ f: () -> T) -> T { pthread_mutex_lock(lock); defer { pthread_mutex_unlock(lock) }; return f() }
        }
        let progress = Progress()
        var threads: [LoopThreadHandle] = []
        for (i, r) in readers.enumerated() {
            let box = UnsafeSendableBox(r)
            let padCopy = pad
            threads.append(LoopThreadHandle.spawn {
                let deadline = e2eNow() + 40
                var got = 0
                while got < n && e2eNow() < deadline {
                    guard let m = box.value.receive(timeout: 5) else { break }
                    if m.isNotice {
                        progress.with { progress.notices[i].append(m) }
                        continue
                    }
                    got += 1
                    let id = m.sender + ":" + (m.text.split(separator: " ").first.map(String.init) ?? "")
                    let ok = m.text.hasSuffix(padCopy)
                    progress.with {
                        progress.ids[i].append(id)
                        if !ok { progress.intact[i] = false }
                        progress.received[i] = got
                    }
                }
            })
        }
        let window = 6
        let floodStart = e2eNow()
        for i in 0..<n {
            try sender.send(frame: text(i))
            let waitUntil = e2eNow() + 10
            while progress.with({ progress.received.min()! }) < i - window && e2eNow() < waitUntil { usleep(200) }
        }
        for t in threads { t.join() }
        let floodTime = e2eNow() - floodStart
        let expected = (0..<n).map { "sender:m\($0)" }
        for i in 0..<3 {
            let ids = progress.with { progress.ids[i] }
            #expect(ids.count == n, "reader\(i) got \(ids.count) of \(n) messages")
            #expect(ids == expected, "reader\(i): transcript differs at \(ids.indices.first { $0 >= expected.count || ids[$0] != expected[$0] } ?? -1)")
            #expect(progress.with { progress.intact[i] }, "reader\(i): a message text was altered")
            let notices = progress.with { progress.notices[i] }
            #expect(notices == [.notice("sleeper disconnected (slow consumer)")], "reader\(i) notices: \(notices)")
        }
        #expect(d.server.stats.slowConsumerDisconnects == 1)
        // The sleeper reads a little: what it got is a prefix of the messages, in order.
        let got = sleeper.drain(for: 1)
        let chat = got.filter { !$0.isNotice && $0.text.hasSuffix(pad) }.map { $0.sender + ":" + ($0.text.split(separator: " ").first.map(String.init) ?? "") }
        #expect(chat == Array(expected.prefix(chat.count)), "sleeper's prefix out of order")
        #expect(chat.count < n)
        sleeper.closeWithRST()
        #expect(floodTime < 40)
        d.expectHealthy()
    }
}
