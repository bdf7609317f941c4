// The browser's protocols over real sockets against an in-process daemon with framed, IRC and
// http listeners: the page, chatd.v1 over WebSocket next to framed and IRC users in one room,
// history on join, and hostile HTTP and WebSocket clients.

@testable import ChatDaemon
import Foundation
import Glibc
import Testing
import WebProtocol

@Suite("E2E web")
struct E2EWebTests {
    /// The checkout's page (Tests/ChatDaemonTests/ → ../../www).
    static let webRoot: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/www"
    }()

    static func daemon(_ configure: (inout ChatConfig) -> Void = { _ in }) throws -> (E2EDaemon, web: Int, irc: Int) {
        let d = try E2EDaemon { c in
            c.listen.append(ListenAddress(.irc, host: "127.0.0.1", port: 0))
            c.listen.append(ListenAddress(.http, host: "127.0.0.1", port: 0))
            c.webRoot = webRoot
            c.serverName = "irc.test"
            configure(&c)
        }
        return (d, d.server.port(for: .http)!, d.server.port(for: .irc)!)
    }

    /// An http listener whose page cannot be read fails the start with a message naming the
    /// directory and the flag, instead of serving 404s.
    @Test func unreadableWebRootFailsTheStart() throws {
        let empty = "/tmp/chatd-e2e-empty-www-\(getpid())"
        mkdir(empty, 0o700)
        defer { rmdir(empty) }
        for (root, expected) in [
            ("/nonexistent/www", "web-root '/nonexistent/www' cannot be read"),
            (empty, "web-root '\(empty)' has no index.html (set --web-root"),
        ] {
            do {
                let (d, _, _) = try Self.daemon { $0.webRoot = root }
                d.stop()
                Issue.record("started with web-root \(root)")
            } catch {
                #expect("\(error)".hasPrefix(expected), "\(error)")
            }
        }
    }

    @Test func pageHealthAndKeepAlive() throws {
        let (d, web, _) = try Self.daemon()
        defer { d.stop() }
        let c = try WebTestClient(port: web)
        // Three requests pipelined on one connection, answered in order.
        c.sendRaw("GET / HTTP/1.1\r\nHost: \(c.host)\r\n\r\nGET /app.js HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        let page = try #require(c.response())
        #expect(page.status == 200 && page.body.contains("<!doctype html>"))
        #expect(page.headers.contains("Content-Type: text/html; charset=utf-8"))
        #expect(page.headers.contains { $0.hasPrefix("Content-Security-Policy: default-src 'none'; script-src 'self'") })
        let etag = try #require(page.headers.first { $0.hasPrefix("ETag: ") }).dropFirst(6)
        let script = try #require(c.response())
        #expect(script.status == 200 && script.headers.contains("Content-Type: text/javascript; charset=utf-8"))
        let missing = try #require(c.response())
        #expect(missing.status == 404 && !missing.headers.contains("Connection: close"))
        // The connection is still usable: a revalidation gets 304, then /healthz.
        c.sendRaw("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \(etag)\r\n\r\n")
        #expect(c.responseHead()?.status == 304)
        c.sendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let health = try #require(c.response())
        #expect(health.status == 200 && health.body == "ok\n" && health.headers.contains("Connection: close"))
        #expect(c.closedWithin(5))
    }

    /// A framed, an IRC and a browser user in the lobby: messages, /me, private messages and
    /// renames reach everyone in each one's protocol; the browser gets its own messages back
    /// with their room sequence.
    @Test func framedWebSocketAndIRCInOneRoom() throws {
        let (d, web, irc) = try Self.daemon()
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        bob.send("JOIN #lobby")
        #expect(bob.until { $0.contains(" 366 ") } != nil)
        let carol = try WebTestClient.open(port: web, nick: "carol")
        let joined = try #require(carol.join("lobby"))
        #expect(joined.contains(#""events":[]"#))
        #expect(alice.receiveUntil(.notice("carol joined #lobby")) != nil)
        #expect(bob.until { $0 == ":carol!carol@web JOIN #lobby" } != nil)

        carol.send(#"{"type":"say","room":"lobby","text":"hi <img src=x onerror=alert(1)> ünïcode"}"#)
        #expect(alice.receiveUntil { !$0.isNotice }?.last == Msg("carol", "hi <img src=x onerror=alert(1)> ünïcode"))
        #expect(bob.line() == ":carol!carol@web PRIVMSG #lobby :hi <img src=x onerror=alert(1)> ünïcode")
        let echo = carol.text { $0.contains(#""type":"message""#) }?.last ?? ""
        #expect(echo.contains(#""from":"carol","text":"hi <img src=x onerror=alert(1)> ünïcode""#) && echo.contains(#""seq":"#))

        try alice.send(frame: "hello from framed")
        #expect(carol.text { $0.contains("hello from framed") }?.last?.contains(#""type":"message","room":"lobby","from":"alice""#) == true)
        bob.send("PRIVMSG #lobby :\u{1}ACTION waves\u{1}")
        #expect(carol.text { $0.contains("waves") }?.last?.contains(#""type":"action","room":"lobby","from":"bob","text":"waves""#) == true)
        carol.send(#"{"type":"me","room":"lobby","text":"dances"}"#)
        #expect(alice.receiveUntil { !$0.isNotice && $0.sender == "carol" }?.last == Msg("carol", "/me dances"))
        #expect(bob.until { $0.contains("dances") }?.last == ":carol!carol@web PRIVMSG #lobby :\u{1}ACTION dances\u{1}")

        // Private messages both ways; the sender gets its own copy.
        carol.send(#"{"type":"msg","to":"alice","text":"psst"}"#)
        #expect(alice.receiveUntil { $0.sender == "carol" }?.last == Msg("carol", "(private) psst"))
        #expect(carol.text { $0.contains(#""type":"private""#) }?.last?.contains(#""from":"carol","to":"alice","text":"psst""#) == true)
        try alice.send(frame: "/msg carol back")
        #expect(carol.text { $0.contains(#""type":"private""#) }?.last?.contains(#""from":"alice","to":"carol","text":"back""#) == true)

        // A rename is a nick event in each room; names are one namespace across protocols.
        carol.send(#"{"type":"nick","nick":"alice"}"#)
        #expect(carol.text { $0.contains(#""type":"error""#) }?.last?.contains(#""code":"nick-taken""#) == true)
        carol.send(#"{"type":"nick","nick":"caroline"}"#)
        #expect(carol.text { $0.contains(#""type":"nick""#) }?.last?.contains(#""from":"carol","nick":"caroline""#) == true)
        #expect(alice.receiveUntil(.notice("carol is now known as caroline")) != nil)
        #expect(bob.until { $0.contains("NICK") }?.last == ":carol!carol@web NICK caroline")

        // who and rooms for the member list; a part is seen by the others.
        carol.send(#"{"type":"who","room":"lobby"}"#)
        #expect(carol.text { $0.contains(#""type":"who""#) }?.last == #"{"type":"who","room":"lobby","members":["alice","bob","caroline"]}"#)
        carol.send(#"{"type":"rooms"}"#)
        #expect(carol.text { $0.contains(#""type":"rooms""#) }?.last == #"{"type":"rooms","rooms":[{"room":"lobby","members":3}]}"#)
        carol.send(#"{"type":"part","room":"lobby"}"#)
        #expect(alice.receiveUntil(.notice("caroline left #lobby")) != nil)
        #expect(bob.until { $0.contains("PART") }?.last == ":caroline!carol@web PART #lobby")
    }

    /// History on join (messages from every protocol, oldest first, with sequences) and
    /// scroll-back by sequence.
    @Test func historyReplayAndScrollBack() throws {
        let (d, web, irc) = try Self.daemon { $0.history = 10 }
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        for i in 1...3 { try alice.send(frame: "framed \(i)") }
        try alice.sync()
        let bob = try IRCTestClient.register(port: irc, nick: "bob")
        bob.send("JOIN #lobby", "PRIVMSG #lobby :from irc")
        #expect(alice.receiveUntil(Msg("bob", "from irc")) != nil)
        let carol = try WebTestClient.open(port: web, nick: "carol")
        let history = try #require(carol.join("lobby"))
        let order = ["framed 1", "framed 2", "framed 3", "from irc"].map { history.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order.map { $0! } == order.map { $0! }.sorted(), "\(history)")
        #expect(history.contains(#""type":"message","room":"lobby","from":"alice","text":"framed 1","time":"#))
        #expect(history.hasSuffix(#""more":false}"#), "4 of at most 10: nothing older")
        // Scroll back: the two messages before "framed 3" (sequence 3: alice's join is 1).
        carol.send(#"{"type":"history","room":"lobby","before":4,"limit":2}"#)
        let page = carol.text { $0.contains(#""type":"history""#) }?.last ?? ""
        #expect(page.contains("framed 1") && page.contains("framed 2") && !page.contains("framed 3"), "\(page)")
        #expect(page.hasSuffix(#""more":true}"#), "a full page: older ones may exist")
        carol.send(#"{"type":"history","room":"elsewhere"}"#)
        #expect(carol.text { $0.contains(#""type":"error""#) }?.last?.contains(#""code":"not-in-room""#) == true)
    }

    /// A WebSocket message arriving in fragments with a ping between them is one message; the
    /// ping is answered with its payload.
    @Test func fragmentsAndPing() throws {
        let (d, web, _) = try Self.daemon()
        defer { d.stop() }
        let alice = try E2EClient.login(port: d.port, name: "alice")
        let carol = try WebTestClient.open(port: web, nick: "carol")
        _ = carol.join("lobby")
        let json = Array(#"{"type":"say","room":"lobby","text":"in three parts"}"#.utf8)
        carol.sendFrame(.text, Array(json[0..<10]), fin: false)
        carol.sendFrame(.ping, Array("are you there".utf8))
        carol.sendFrame(.continuation, Array(json[10..<30]), fin: false)
        carol.sendFrame(.continuation, Array(json[30...]), fin: true)
        let pong = try #require(carol.frame())
        #expect(pong.opcode == 0xA && pong.payload == Array("are you there".utf8))
        #expect(alice.receiveUntil { !$0.isNotice }?.last == Msg("carol", "in three parts"))
        // A clean close is echoed with the same code.
        carol.sendFrame(.close, [0x03, 0xE8])
        #expect(carol.closeCode() == 1000)
        #expect(carol.closedWithin(5))
    }

    /// A browser that stops reading is cut by the same slow-consumer policy as a framed client:
    /// over `--queue-hard-bytes` it is disconnected; the sender and the daemon carry on.
    @Test func aBrowserThatStopsReadingIsCutLikeAnyClient() throws {
        let (d, web, _) = try Self.daemon {
            $0.queueHardBytes = 256 * 1024
            $0.queueSoftBytes = 128 * 1024
        }
        defer { d.stop() }
        let sleeper = try WebTestClient.open(port: web, nick: "sleeper", receiveBuffer: 16 * 1024)
        _ = try #require(sleeper.join("lobby"))
        let sender = try E2EClient.login(port: d.port, name: "sender")
        // 8 MB: more than the kernel buffers for the sleeper (tcp_wmem max is 4 MB here), so the
        // daemon's own queue must pass the hard limit.
        let n = 500
        let pad = String(repeating: "p", count: 16 * 1024 - 8)
        for i in 0..<n { try sender.send(frame: "m\(i) \(pad)") }
        try sender.sync(timeout: 20)
        // The sleeper wakes up: what was queued arrives, then the connection ends short of n.
        var received = 0
        while let f = sleeper.frame(timeout: 10) {
            if f.opcode == 1 && f.payload.count > 16 * 1024 { received += 1 }
        }
        #expect(sleeper.closedByPeer, "the daemon closed the sleeper")
        #expect(received < n, "cut off after \(received) of \(n)")
        d.expectHealthy("after a slow browser")
    }

    /// Each broken request or frame gets its status or close code and the connection closes;
    /// the daemon keeps serving everyone else.
    @Test func hostileClientsGetClearCodes() throws {
        let (d, web, _) = try Self.daemon { $0.maxMessageBytes = 1024; $0.handshakeTimeout = 1 }
        defer { d.stop() }
        func status(_ request: String) throws -> Int? {
            let c = try WebTestClient(port: web)
            c.sendRaw(request)
            let answer = c.response()
            #expect(c.closedWithin(5), "\(request.prefix(40))")
            return answer?.status
        }
        let big = String(repeating: "a", count: 9000)
        #expect(try status("GET /\(big) HTTP/1.1\r\nHost: x\r\n\r\n") == 414)
        let headers = (0..<100).map { "X-\($0): \(big.prefix(200))\r\n" }.joined()
        #expect(try status("GET / HTTP/1.1\r\nHost: x\r\n\(headers)\r\n") == 431)
        #expect(try status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello") == 405)
        #expect(try status("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 413)
        #expect(try status("GET / HTTP/1.1\nHost: x\n\n") == 400)
        #expect(try status("GET / HTTP/2.0\r\nHost: x\r\n\r\n") == 505)
        #expect(try status("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n") == 426)
        #expect(try status(WebTestClient.upgradeRequest(host: "x", key: "short")) == 400)
        #expect(try status(WebTestClient.upgradeRequest(host: "127.0.0.1:\(web)", extra: ["Origin: https://evil.example"])) == 403)
        #expect(try status(WebTestClient.upgradeRequest(host: "x").replacingOccurrences(of: "Version: 13", with: "Version: 8")) == 426)

        // Slowloris: a head that never completes is answered 408 after the handshake timeout.
        let slow = try WebTestClient(port: web)
        slow.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n")
        #expect(slow.response(timeout: 5)?.status == 408)
        #expect(slow.closedWithin(5))

        func closeCode(_ frames: (WebTestClient) -> Void) throws -> UInt16? {
            let c = try WebTestClient.open(port: web, nick: E2EDaemon.uniqueName("h"))
            frames(c)
            let code = c.closeCode()
            #expect(c.closedWithin(5))
            return code
        }
        #expect(try closeCode { $0.sendFrame(.text, Array("{}".utf8), masked: false) } == 1002)
        // 1009 from the header alone: the 2 KiB payload is never sent.
        #expect(try closeCode { $0.sendRaw([0x81, 0xFE, 0x08, 0x00, 1, 2, 3, 4]) } == 1009)
        #expect(try closeCode { $0.sendFrame(.text, [0x22, 0xC3, 0x28, 0x22]) } == 1007)
        #expect(try closeCode { $0.sendFrame(.binary, [1, 2, 3]) } == 1003)
        #expect(try closeCode { $0.sendFrame(.ping, [UInt8](repeating: 0, count: 126)) } == 1002)
        #expect(try closeCode { $0.sendFrame(.continuation, [1]) } == 1002)
        #expect(try closeCode { $0.sendRaw([0xC1, 0x80, 0, 0, 0, 0]) } == 1002)  // RSV1: no deflate was negotiated
        // Bad chatd.v1 keeps the connection: an error message names the problem.
        let confused = try WebTestClient.open(port: web, nick: "confused")
        confused.send("not json")
        #expect(confused.text { $0.contains(#""type":"error""#) }?.last?.contains(#""code":"bad-message""#) == true)
        confused.send(#"{"type":"say","room":"lobby","text":"x"}"#)
        #expect(confused.text { $0.contains(#""type":"error""#) }?.last?.contains(#""code":"not-in-room""#) == true)

        // A WebSocket that never says hello is closed after the handshake timeout with 1008.
        let silent = try WebTestClient(port: web)
        silent.sendRaw(WebTestClient.upgradeRequest(host: "x"))
        #expect(silent.responseHead()?.status == 101)
        #expect(silent.text { $0.contains("handshake timeout") } != nil)
        #expect(silent.closeCode() == 1008)
        d.expectHealthy("after hostile web clients")
    }
}
