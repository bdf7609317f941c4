import IRCProtocol
import Testing

@Suite struct IRCSASLTests {
    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            let v = (UInt32(bytes[i]) << 16) | (n > 1 ? UInt32(bytes[i + 1]) << 8 : 0) | (n > 2 ? UInt32(bytes[i + 2]) : 0)
            for k in 0..<4 { out.append(k <= n ? table[Int(v >> (18 - 6 * k) & 63)] : UInt8(ascii: "=")) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func plain(_ authz: String, _ authc: String, _ password: String) -> String {
        base64(Array(authz.utf8) + [0] + Array(authc.utf8) + [0] + Array(password.utf8))
    }

    @Test func base64RoundTripsAndRejectsJunk() {
        for bytes: [UInt8] in [[], [0], [1, 2], [1, 2, 3], Array(0...255)] {
            #expect(IRCBase64.decode(Self.base64(bytes)) == bytes)
        }
        for junk in ["A", "AB=C", "=AAA", "AA=A", "A===", "AAAA====", "AA!A", "YWxpY2U=AAAA"] {
            #expect(IRCBase64.decode(junk) == nil, "\(junk)")
        }
    }

    @Test func plainExchange() {
        var x = IRCSASLExchange()
        #expect(x.feed("PLAIN") == .challenge)
        guard case .credentials(let c) = x.feed(Self.plain("", "alice", "hunter22")) else {
            Issue.record("no credentials")
            return
        }
        #expect(c.authentication == "alice" && c.password == Array("hunter22".utf8) && c.actsAsItself)
        #expect(!"\(c)".contains("hunter22") && !String(reflecting: c).contains("hunter22"))
    }

    @Test func refusals() {
        var x = IRCSASLExchange()
        #expect(x.feed("EXTERNAL") == .unknownMechanism)
        x = IRCSASLExchange()
        _ = x.feed("plain")
        #expect(x.feed("*") == .aborted)
        for bad in [Self.base64(Array("alice".utf8)), Self.base64([0, 0, 0]), Self.plain("", "", "pw"), Self.plain("", "alice", ""), "+", "%%%%"] {
            var y = IRCSASLExchange()
            _ = y.feed("PLAIN")
            #expect(y.feed(bad) == .invalid, "\(bad)")
        }
        var z = IRCSASLExchange()
        _ = z.feed("PLAIN")
        #expect(z.feed(String(repeating: "A", count: 401)) == .tooLong)
        var w = IRCSASLExchange()
        _ = w.feed("PLAIN")
        for _ in 0..<3 { #expect(w.feed(String(repeating: "A", count: 400)) == .needMore) }
        #expect(w.feed("AAAA") == .tooLong)
    }

    @Test func chunksOf400AndAPlusToEnd() {
        // A response of exactly 400 bytes of base64 is ended by "+".
        let password = String(repeating: "p", count: 300 - 7)  // 1 + 5 + 1 + 293 = 300 bytes → 400 base64
        let encoded = Self.plain("", "alice", password)
        #expect(encoded.utf8.count == 400)
        var x = IRCSASLExchange()
        _ = x.feed("PLAIN")
        #expect(x.feed(encoded) == .needMore)
        guard case .credentials(let c) = x.feed("+") else {
            Issue.record("no credentials after +")
            return
        }
        #expect(c.password.count == 293)
        #expect(!IRCSASLPlainTestAccess.actsAsOther(c))
    }

    @Test func authzidOfSomeoneElse() {
        var x = IRCSASLExchange()
        _ = x.feed("PLAIN")
        guard case .credentials(let c) = x.feed(Self.plain("bob", "alice", "hunter22")) else {
            Issue.record("no credentials")
            return
        }
        #expect(!c.actsAsItself)
    }
}

enum IRCSASLPlainTestAccess {
    static func actsAsOther(_ c: IRCSASLPlain) -> Bool { !c.actsAsItself }
}
