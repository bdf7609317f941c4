import CEventLoopShims
import EventLoop
import Glibc
import Testing

@Suite("Epoll")
struct EpollTests {
    func send(_ fd: CInt, _ bytes: [UInt8] = [42]) {
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// (token, events) of one epoll_wait.
    func poll(_ ep: borrowing Epoll, timeout: CInt = 0) throws -> [(UInt64, EpollEvents)] {
        let n = try ep.wait(timeoutMilliseconds: timeout)
        return (0..<n).map { (ep.token(at: $0), ep.events(at: $0)) }
    }

    @Test func eventMaskBitsMatchTheKernel() {
        #expect(EpollEvents.readable.rawValue == 0x001)
        #expect(EpollEvents.writable.rawValue == 0x004)
        #expect(EpollEvents.edgeTriggered.rawValue == 1 << 31)
        #expect(EpollEvents.connection.rawValue == 0x001 | 0x004 | 0x2000 | 1 << 31)
    }

    @Test func fullSixtyFourBitTokensRoundTrip() throws {
        let ep = try Epoll(maxEvents: 8)
        let pair = SocketPair()
        let token: UInt64 = 0xFEDC_BA98_7654_3210
        try ep.add(pair.a, events: [.readable, .edgeTriggered], token: token)
        #expect(try poll(ep).isEmpty)
        send(pair.b)
        let got = try poll(ep, timeout: 1000)
        #expect(got.count == 1)
        #expect(got.first?.0 == token)
        #expect(got.first?.1.contains(.readable) == true)
    }

    @Test func addTwiceFailsWithEEXIST() throws {
        let ep = try Epoll()
        let pair = SocketPair()
        try ep.add(pair.a, events: .readable, token: 1)
        #expect(throws: Errno(EEXIST)) { try ep.add(pair.a, events: .readable, token: 2) }
        #expect(throws: Errno(ENOENT)) { try ep.modify(pair.b, events: .readable, token: 2) }
    }

    @Test func modifyChangesTokenAndRemoveSilences() throws {
        let ep = try Epoll()
        let pair = SocketPair()
        try ep.add(pair.a, events: .readable, token: 1)     // level-triggered
        send(pair.b)
        #expect(try poll(ep).map(\.0) == [1])
        #expect(try poll(ep).map(\.0) == [1])                   // level: reported again
        try ep.modify(pair.a, events: .readable, token: 77)
        #expect(try poll(ep).map(\.0) == [77])
        try ep.remove(pair.a)
        #expect(try poll(ep).isEmpty)
    }

    @Test func edgeTriggeredReportsOncePerEdge() throws {
        let ep = try Epoll()
        let pair = SocketPair()
        try ep.add(pair.a, events: [.readable, .edgeTriggered], token: 5)
        send(pair.b)
        #expect(try poll(ep).map(\.0) == [5])
        #expect(try poll(ep).isEmpty)                           // data still unread, but no new edge
        send(pair.b)
        #expect(try poll(ep).map(\.0) == [5])                   // new data: new edge
    }

    @Test func connectionMaskReportsWritableAndPeerHangup() throws {
        let ep = try Epoll()
        let pair = SocketPair()
        try ep.add(pair.a, events: .connection, token: 9)
        let first = try poll(ep)
        #expect(first.count == 1)
        #expect(first.first?.1.contains(.writable) == true)
        #expect(first.first?.1.contains(.readable) == false)
        pair.closeB()
        let after = try poll(ep, timeout: 1000)
        #expect(after.count == 1)
        #expect(after.first?.1.contains(.readHangup) == true)
        #expect(after.first?.1.contains(.readable) == true)
    }

    /// The stale-event scenario the generation in the token exists for: one epoll_wait returns
    /// events for two fds; handling the first closes the second and a new connection gets the
    /// same fd number before the second event is looked at. The buffered event still carries the
    /// OLD token, so a (generation << 32 | fd) token tells it apart from the new registration.
    @Test func staleTokenAfterFdNumberReuse() throws {
        let ep = try Epoll()
        let first = SocketPair()
        let second = SocketPair()
        var generation = [CInt: UInt32]()
        func token(_ fd: CInt) -> UInt64 { UInt64(generation[fd]!) << 32 | UInt64(UInt32(fd)) }
        func isCurrent(_ t: UInt64) -> Bool {
            let fd = CInt(truncatingIfNeeded: t & 0xFFFF_FFFF)
            return generation[fd] == UInt32(t >> 32)
        }

        generation[first.a] = 1
        generation[second.a] = 1
        try ep.add(first.a, events: [.readable, .edgeTriggered], token: token(first.a))
        try ep.add(second.a, events: [.readable, .edgeTriggered], token: token(second.a))
        send(first.b)
        send(second.b)
        #expect(try ep.wait(timeoutMilliseconds: 1000) == 2)
        let fetched = [ep.token(at: 0), ep.token(at: 1)]
        let reusedNumber = second.a
        let oldToken = token(reusedNumber)
        #expect(fetched.contains(oldToken))

        // "Handling the first event": close second.a and let a new socket take its number.
        // dup2 closes the old file and installs the new one at the same number atomically, so no
        // other test thread can grab the number in between.
        let replacement = SocketPair()
        #expect(dup2(replacement.a, reusedNumber) == reusedNumber)
        generation[reusedNumber]! += 1
        try ep.add(reusedNumber, events: [.readable, .edgeTriggered], token: token(reusedNumber))

        // The event still in the batch names the reused number but fails the generation check.
        #expect(!isCurrent(oldToken))
        #expect(CInt(truncatingIfNeeded: oldToken & 0xFFFF_FFFF) == reusedNumber)
        #expect(fetched.filter(isCurrent) == [token(first.a)])

        // The closed file left the interest list: only the new registration reports from now on.
        #expect(try poll(ep).isEmpty)
        send(replacement.b)
        let fresh = try poll(ep, timeout: 1000)
        #expect(fresh.map(\.0) == [UInt64(2) << 32 | UInt64(UInt32(reusedNumber))])
        #expect(fresh.allSatisfy { isCurrent($0.0) })
    }

    @Test func waitTimesOut() throws {
        let ep = try Epoll()
        let t0 = Monotonic.now()
        #expect(try ep.wait(timeoutMilliseconds: 30) == 0)
        #expect(Monotonic.now() - t0 >= 25_000_000)
    }

    @Test func capacityBoundsEventsPerWait() throws {
        let ep = try Epoll(maxEvents: 2)
        #expect(ep.capacity == 2)
        let pairs = (0..<5).map { _ in SocketPair() }
        for (i, p) in pairs.enumerated() {
            try ep.add(p.a, events: .readable, token: UInt64(i))
            send(p.b)
        }
        #expect(try ep.wait(timeoutMilliseconds: 0) == 2)
        var seen = Set<UInt64>()
        for _ in 0..<10 {
            let n = try ep.wait(timeoutMilliseconds: 0)
            for i in 0..<n { seen.insert(ep.token(at: i)) }
        }
        #expect(seen == [0, 1, 2, 3, 4])                  // round-robin over the ready list
    }
}
