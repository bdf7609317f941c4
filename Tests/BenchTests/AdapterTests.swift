import BenchCore
import Testing

/// The adapters' bytes against hand-written wire images.
@Suite struct AdapterEncodingTests {
    @Test func framedHelloIsNameThenJoin() {
        let a = Adapter(.framed)
        #expect(a.hello(name: "b1", room: nil, isSender: false) == Array("2         b1".utf8))
        #expect(a.hello(name: "b1", room: "r2", isSender: true) == Array("2         b18         /join r2".utf8))
    }

    @Test func framedMessageHasTenByteHeader() {
        let a = Adapter(.framed)
        #expect(a.message(Array("hello".utf8)) == Array("5         hello".utf8))
        #expect(a.messageLength(payloadSize: 5, room: nil) == 15)
        let big = [UInt8](repeating: 0x2E, count: 1234)
        #expect(Array(a.message(big).prefix(10)) == Array("1234      ".utf8))
    }

    @Test func lineMessageEndsWithNewline() {
        let a = Adapter(.line)
        #expect(a.hello(name: "x", room: nil, isSender: true).isEmpty)
        #expect(a.message(Array("hi there".utf8)) == Array("hi there\n".utf8))
        #expect(a.messageLength(payloadSize: 8, room: nil) == 9)
    }

    @Test func respPublishAndSubscribe() {
        let a = Adapter(.resp)
        #expect(a.hello(name: "b3", room: "r1", isSender: false) == Array("*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nr1\r\n".utf8))
        #expect(a.hello(name: "b0", room: nil, isSender: true).isEmpty)
        let m = a.message(Array("hello".utf8), room: "lobby")
        #expect(m == Array("*3\r\n$7\r\nPUBLISH\r\n$5\r\nlobby\r\n$5\r\nhello\r\n".utf8))
        #expect(a.messageLength(payloadSize: 5, room: "lobby") == m.count)
        let m2 = a.message([UInt8](repeating: 0x2E, count: 100), room: "r12")
        #expect(a.messageLength(payloadSize: 100, room: "r12") == m2.count)
    }

    @Test func membershipModel() {
        #expect(Adapter(.framed).senderReceives)
        #expect(!Adapter(.resp).senderReceives)
        #expect(!Adapter(.line).supportsRooms)
    }
}

/// Payload bytes and their decoding.
@Suite struct PayloadTests {
    @Test func handWrittenPayload() {
        let p = Payload.make(phase: .measured, sender: 0x2a, sequence: 0xbeef, timestamp: 0x1234_abcd, size: 40)
        // marker, phase, 8 hex digits of sender, 8 of sequence, 16 of timestamp, dots to the size.
        let expected: String = "@BM" + "0000002a" + "0000beef" + "000000001234abcd" + "....."
        #expect(p == Array(expected.utf8))
        #expect(Payload.decode(p) == Payload.Decoded(phase: .measured, sender: 42, sequence: 0xbeef, timestamp: 0x1234_abcd))
    }

    @Test func fieldsRoundTrip() {
        let p = Payload.make(
            phase: .warmup, sender: Payload.maxSender, sequence: Payload.maxSequence, timestamp: .max, size: Payload.minimumSize)
        #expect(p.count == 36)
        #expect(
            Payload.decode(p)
                == Payload.Decoded(phase: .warmup, sender: Payload.maxSender, sequence: Payload.maxSequence, timestamp: .max))
        // Every digit value in every position of every field (the 8-at-a-time decoding).
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let sender = Int.random(in: 0...Payload.maxSender, using: &rng)
            let sequence = UInt64.random(in: 0...Payload.maxSequence, using: &rng)
            let ts = UInt64.random(in: 0...UInt64.max, using: &rng)
            let q = Payload.make(phase: .ready, sender: sender, sequence: sequence, timestamp: ts, size: 64)
            #expect(Payload.decode(q) == Payload.Decoded(phase: .ready, sender: sender, sequence: sequence, timestamp: ts))
        }
    }

    @Test func rejectsOtherTexts() {
        let good = Array("@BM0000002a0000beef000000001234abcd.".utf8)
        #expect(Payload.decode(good) != nil)
        #expect(Payload.decode(Array("alice joined #lobby".utf8)) == nil)
        #expect(Payload.decode(Array("@BX0000002a0000beef000000001234abcd.".utf8)) == nil)
        #expect(Payload.decode(Array(good.dropLast())) == nil)  // one byte short of the minimum
        // Any byte of any field that is not a lowercase hex digit: each edge of the ranges
        // ("/" and ":" around the digits, "`" and "g" around a–f, upper case) and bytes ≥ 0x80.
        for i in 3..<35 {
            for bad: UInt8 in [0x2F, 0x3A, 0x60, 0x67, 0x41, 0x46, 0x80, 0xB0, 0xFF, 0x00, 0x20] {
                var p = good
                p[i] = bad
                #expect(Payload.decode(p) == nil, "byte \(bad) at \(i)")
            }
        }
    }
}

/// Sequence checking per sender: in order, gaps, late arrivals and duplicates.
@Suite struct SenderSequenceTests {
    func arrivals(_ seqs: [UInt64]) -> [SenderSequence.Arrival] {
        var s = SenderSequence()
        return seqs.map { s.record($0) }
    }

    @Test func inOrderFromWhereverTheReceiverJoined() {
        #expect(arrivals([0, 1, 2, 3]) == [.inOrder, .inOrder, .inOrder, .inOrder])
        #expect(arrivals([500, 501]) == [.inOrder, .inOrder])
    }

    @Test func repeatsAreDuplicates() {
        #expect(arrivals([0, 1, 1, 2, 0]) == [.inOrder, .inOrder, .duplicate, .inOrder, .duplicate])
    }

    @Test func gapThenLateArrivalThenItsDuplicate() {
        #expect(arrivals([0, 3, 1, 2, 1, 4]) == [.inOrder, .skippedAhead, .late, .late, .duplicate, .inOrder])
    }

    @Test func windowOfSixtyFour() {
        // 64 behind is beyond the window: reported late (not checkable), never a false duplicate.
        var s = SenderSequence()
        _ = s.record(0)
        _ = s.record(100)
        #expect(s.record(37) == .late)  // 63 behind, within the window, not seen
        #expect(s.record(37) == .duplicate)
        #expect(s.record(36) == .late)  // 64 behind
        #expect(s.record(36) == .late)
        // A jump of 64 or more clears the window.
        #expect(s.record(200) == .skippedAhead)
        #expect(s.record(199) == .late)
        #expect(s.record(200) == .duplicate)
    }

    @Test func lossAccountingCountsUniqueDeliveries() {
        var l = LossAccounting()
        for _ in 0..<4 { l.recordSend(expectedDeliveries: 2) }
        var s = SenderSequence()
        // 4 messages to one receiver (expected 8 over two receivers): 0, 2, 1, 2 again.
        for seq: UInt64 in [0, 2, 1, 2] { l.recordDelivery(s.record(seq)) }
        #expect(l.received == 4)
        #expect(l.duplicates == 1)
        #expect(l.outOfOrder == 1)
        #expect(l.unique == 3)
        #expect(l.lost == 5)
        #expect(!l.isExact)
    }
}

/// Decoding what servers send, including splits at every byte boundary.
@Suite struct StreamDecoderTests {
    func deliveries(_ kind: AdapterKind, _ bytes: [UInt8], splitAt: Int? = nil) -> (texts: [String], notices: Int, rest: Int)? {
        var d = StreamDecoder(kind)
        var texts: [String] = []
        var pending: [UInt8] = []
        let chunks: [[UInt8]] = splitAt.map { [Array(bytes[..<$0]), Array(bytes[$0...])] } ?? [bytes]
        for chunk in chunks {
            pending += chunk
            let outcome = pending.withUnsafeBytes { d.parse($0) { texts.append(String(decoding: $0, as: UTF8.self)) } }
            guard case .consumed(let n) = outcome else { return nil }
            pending.removeFirst(n)
        }
        return (texts, d.notices, pending.count)
    }

    @Test func framedSkipsNoticesAndHistory() throws {
        var wire: [UInt8] = []
        for f in ["*", "alice joined #lobby", "*", "history: 1 message", "bob", "old", "*", "end of history", "bob", "hello", "carol", "hi"] {
            wire += Array("\(f.utf8.count)".utf8) + [UInt8](repeating: 32, count: 10 - "\(f.utf8.count)".count) + Array(f.utf8)
        }
        let whole = try #require(deliveries(.framed, wire))
        #expect(whole.texts == ["hello", "hi"])
        #expect(whole.notices == 3)
        #expect(whole.rest == 0)
        for cut in 0...wire.count {
            #expect(deliveries(.framed, wire, splitAt: cut)?.texts == ["hello", "hi"])
        }
    }

    @Test func framedRejectsGarbage() {
        var d = StreamDecoder(.framed)
        let r = Array("GET / HTTP/1.1\r\n".utf8).withUnsafeBytes { d.parse($0) { _ in } }
        #expect(r == .protocolError)
    }

    @Test func lineStripsNIOChatServerPrefix() throws {
        let wire = Array("(ChatServer) - Welcome to: [IPv4]127.0.0.1/127.0.0.1:9999\n([IPv4]127.0.0.1/127.0.0.1:40000) - @Bpayload\n@Bbare\r\npart".utf8)
        let r = try #require(deliveries(.line, wire))
        #expect(r.texts == ["@Bpayload", "@Bbare"])
        #expect(r.notices == 1)
        #expect(r.rest == 4)
    }

    @Test func respFindsMessagePushes() throws {
        let wire = Array(
            ("*3\r\n$9\r\nsubscribe\r\n$5\r\nlobby\r\n:1\r\n" + ":3\r\n"
                + "*3\r\n$7\r\nmessage\r\n$5\r\nlobby\r\n$5\r\nhello\r\n" + "-ERR oops\r\n"
                + "*3\r\n$7\r\nmessage\r\n$2\r\nr1\r\n$0\r\n\r\n").utf8)
        let whole = try #require(deliveries(.resp, wire))
        #expect(whole.texts == ["hello", ""])
        #expect(whole.notices == 2)
        for cut in 0...wire.count {
            #expect(deliveries(.resp, wire, splitAt: cut)?.texts == ["hello", ""])
        }
    }

    @Test func respRejectsGarbage() {
        var d = StreamDecoder(.resp)
        #expect(Array("hello\r\n".utf8).withUnsafeBytes { d.parse($0) { _ in } } == .protocolError)
    }
}
