#if canImport(BenchCore)
import BenchCore
#endif
import EventLoop
import Glibc
import Histogram
import TLS

/// One client connection of the load generator.
final class Conn {
    enum State { case idle, connecting, handshaking, open, halfClosed, closed }

    let client: Int
    let room: Int
    let roomName: String?
    let isSender: Bool
    let mustReceive: Bool
    var fd: CInt = -1
    var state = State.idle
    /// The TLS session (`--tls`): created when TCP connects, the connection opens when its
    /// handshake completes.
    var tls: TLSConnection?
    var decoder: StreamDecoder
    /// Unparsed tail of the input (a partial frame); empty for idle connections.
    var carry: [UInt8] = []
    /// Output not yet accepted by the kernel.
    var out: [UInt8] = []
    var outOffset = 0
    var seen = false
    /// Connected, but the server has not sent its first bytes yet (adapters whose server
    /// greets: the connect still counts as in progress, see `Adapter.serverGreets`).
    var awaitingGreeting = false
    var startedAt: UInt64 = 0
    var cycles = 0
    /// Sequence number of this client's next message (senders).
    var nextSequence: UInt64 = 0
    /// What this client has received of each sender of its room, by the sender's rank in the
    /// room (sender s of room r has rank s / rooms); empty outside the traffic scenarios.
    var streams: [SenderSequence] = []

    init(client: Int, room: Int, roomName: String?, isSender: Bool, mustReceive: Bool, kind: AdapterKind) {
        self.client = client
        self.room = room
        self.roomName = roomName
        self.isSender = isSender
        self.mustReceive = mustReceive
        decoder = StreamDecoder(kind)
    }

    var pendingOut: Int { out.count - outOffset }
}

/// One loop thread's clients: connects them at a controlled rate, greets, sends at the paced
/// rate or within the in-flight window, parses deliveries and records latencies.
final class Worker: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: all mutable state is touched on the loop thread only, and read by
    // the coordinator after the thread has been joined.

    let index: Int
    let loop: EventLoop
    let config: RunConfig
    let shared: SharedState
    var conns: [Conn] = []
    var senders: [Conn] = []
    var nextToConnect = 0
    var connectsStarted = 0
    var connectsInProgress = 0
    var rampStart: UInt64 = 0
    let readBuffer: UnsafeMutableRawBufferPointer
    var histogram = LatencySummary.makeHistogram()
    var phase = Phase.connecting
    var rateStart: UInt64 = 0
    var pacedSent: UInt64 = 0
    var nextSender = 0
    var lastReadySend: UInt64 = 0
    var lastChurnCheck: UInt64 = 0
    var dirtyOut: [Int] = []
    let churnDeadline: UInt64 = 5_000_000_000
    let outLimit = 1 << 20

    // Local counts, added to `shared` once per tick.
    var lConnected: UInt64 = 0, lConnectFailures: UInt64 = 0, lClosed: UInt64 = 0, lProtocolErrors: UInt64 = 0
    var lSeen: UInt64 = 0, lSentAll: UInt64 = 0, lDeliveriesAll: UInt64 = 0, lCounted: UInt64 = 0
    var lLoss = LossAccounting()
    var lSkipped: UInt64 = 0, lRefused: UInt64 = 0, lCycles: UInt64 = 0, lChurnFailures: UInt64 = 0
    var lReceivedBySender: [UInt64]
    var dirtySenders: [Int] = []
    /// Per sender: deliveries one of its messages should produce (loss accounting), and those
    /// of them that go to receivers in this process (the in-flight window: a process sees only
    /// its own receivers).
    let expectedPerMessage: [Int]
    let localExpectedPerMessage: [Int]

    init(index: Int, config: RunConfig, shared: SharedState) throws(Errno) {
        self.index = index
        self.config = config
        self.shared = shared
        loop = try EventLoop(index: index)
        loop.heartbeatMilliseconds = 1
        readBuffer = .allocate(byteCount: 4 << 20, alignment: 16)
        lReceivedBySender = Array(repeating: 0, count: config.plan.senders)
        expectedPerMessage = (0..<config.plan.senders).map {
            config.plan.expectedDeliveries(room: config.plan.room(of: $0), senderReceives: config.adapter.senderReceives)
        }
        localExpectedPerMessage = config.localExpectedDeliveries()
        let plan = config.plan
        let stride = config.threads * config.procs
        let first = config.procIndex * config.threads + index
        if config.mode == .churn {
            // Slot 0 observes the room: a cycle ends when its message has come back through
            // the server, which proves the server processed the greeting and the message.
            conns.append(Conn(client: 0xFF_FFFF - index, room: 0, roomName: nil, isSender: false, mustReceive: false, kind: config.adapter.kind))
            var i = first
            while i < config.churnConcurrency {
                conns.append(Conn(client: i, room: 0, roomName: nil, isSender: true, mustReceive: false, kind: config.adapter.kind))
                i += stride
            }
        } else {
            var i = first
            while i < plan.clients {
                let room = plan.room(of: i)
                let c = Conn(
                    client: i, room: room, roomName: config.roomName(room), isSender: plan.isSender(i),
                    mustReceive: plan.mustReceive(i, senderReceives: config.adapter.senderReceives), kind: config.adapter.kind)
                if config.mode == .fanout { c.streams = Array(repeating: SenderSequence(), count: plan.senders(in: room)) }
                conns.append(c)
                if c.isSender && config.mode == .fanout { senders.append(c) }
                i += stride
            }
        }
    }

    deinit { readBuffer.deallocate() }

    /// Clients this worker must see receiving before measurement.
    var mustReceiveCount: Int { conns.count(where: { $0.mustReceive }) }

    // MARK: EventLoopHandler

    func loop(_ loop: EventLoop, event token: UInt64, events: EpollEvents) {
        let slot = Int(token)
        guard slot < conns.count else { return }
        let c = conns[slot]
        if c.state == .connecting {
            guard events.contains(.writable) || events.contains(.error) || events.contains(.hangup) else { return }
            connectsInProgress -= 1
            let err = Socket.pendingError(c.fd)
            if err != 0 {
                lConnectFailures += 1
                closeConn(slot, countAsServerClose: false)
                if config.mode == .churn { lChurnFailures += 1 }
                return
            }
            opened(slot)
            if c.state != .open { return }
        } else if c.state == .handshaking {
            continueHandshake(slot)
            return
        }
        var readable = events.contains(.readable) || events.contains(.readHangup) || events.contains(.hangup) || events.contains(.error)
        var writable = events.contains(.writable)
        if let tls = c.tls { (readable, writable) = tls.retry(readable: readable, writable: writable) }
        if readable { readAll(slot) }
        if writable, c.state == .open || c.state == .halfClosed, c.pendingOut > 0 {
            flush(slot)
        }
    }

    func loopWasWoken(_ loop: EventLoop) {}

    func loop(_ loop: EventLoop, timer: Timer) {}

    func loopTickDidEnd(_ loop: EventLoop) -> Bool {
        let now = loop.now
        let p = shared.currentPhase
        if p != phase {
            if p == .warmup || (p == .measuring && phase != .warmup) { rateStart = now; pacedSent = 0 }
            phase = p
        }
        if p == .stopping {
            for i in conns.indices where conns[i].fd >= 0 { closeConn(i, countAsServerClose: false) }
            publish()
            shared.stoppedLoops.add(1)
            loop.stop()
            return false
        }
        switch config.mode {
        case .fanout:
            connectSome(now)
            sendSome(now)
        case .connections:
            connectSome(now)
        case .churn:
            if p == .warmup || p == .measuring { churn(now) }
        }
        for slot in dirtyOut { flush(slot) }
        dirtyOut.removeAll(keepingCapacity: true)
        publish()
        return false
    }

    // MARK: Connections

    func connectSome(_ now: UInt64) {
        guard nextToConnect < conns.count else { return }
        if rampStart == 0 { rampStart = now }
        let perWorkerRate = config.connectRate / Double(config.threads)
        let due = Int(Double(now - rampStart) / 1e9 * perWorkerRate) + 1
        let maxPending = max(1, config.maxPendingConnects / config.threads)
        while nextToConnect < conns.count && connectsStarted < due && connectsInProgress < maxPending {
            startConnect(nextToConnect, sourceIndex: conns[nextToConnect].client)
            nextToConnect += 1
            connectsStarted += 1
        }
    }

    func startConnect(_ slot: Int, sourceIndex: Int) {
        let c = conns[slot]
        c.startedAt = loop.now
        do {
            let (fd, result) = try Socket.connect(config.target, from: config.sourceAddress(sourceIndex &* 7 &+ config.procIndex))
            c.fd = fd
            c.state = .connecting
            try loop.epoll.add(fd, events: EpollEvents.connection, token: UInt64(slot))
            switch result {
            case .processed: opened(slot)
            case .wouldBlock: connectsInProgress += 1
            }
        } catch {
            lConnectFailures += 1
            if config.mode == .churn { lChurnFailures += 1 }
            if c.fd >= 0 { Posix.close(c.fd); c.fd = -1 }
            c.state = .closed
        }
    }

    /// TCP is connected: with `--tls` the handshake starts (and counts as a connect in
    /// progress until it completes), otherwise the connection is open.
    func opened(_ slot: Int) {
        let c = conns[slot]
        if let context = config.tls {
            do {
                c.tls = try TLSConnection(client: context, fd: c.fd, serverName: "localhost")
            } catch {
                lConnectFailures += 1
                closeConn(slot, countAsServerClose: false)
                return
            }
            c.state = .handshaking
            connectsInProgress += 1
            continueHandshake(slot)
            return
        }
        established(slot)
    }

    func continueHandshake(_ slot: Int) {
        let c = conns[slot]
        guard let tls = c.tls else { return }
        switch tls.handshake() {
        case .wantRead, .wantWrite:
            return
        case .failed:
            lConnectFailures += 1
            if config.mode == .churn { lChurnFailures += 1 }
            closeConn(slot, countAsServerClose: false)
        case .established:
            connectsInProgress -= 1
            established(slot)
            // The edge that finished the handshake may also have brought the server's first
            // records; no new edge will announce them.
            if c.state == .open { readAll(slot) }
        }
    }

    func established(_ slot: Int) {
        let c = conns[slot]
        c.state = .open
        Socket.setNoDelay(c.fd)
        lConnected += 1
        if config.adapter.serverGreets {
            c.awaitingGreeting = true
            connectsInProgress += 1
        }
        let hello = config.adapter.hello(name: config.clientName(c.client), room: c.roomName, isSender: c.isSender)
        if config.mode == .churn && slot > 0 {
            c.out += config.adapter.hello(name: "c\(c.client)x\(config.procIndex)", room: nil, isSender: true)
            appendMessage(c, phase: .ready, timestamp: loop.now)
            flush(slot)
            return
        }
        if !hello.isEmpty {
            c.out += hello
            flush(slot)
        }
    }

    func closeConn(_ slot: Int, countAsServerClose: Bool) {
        let c = conns[slot]
        if c.state == .connecting || c.state == .handshaking || c.awaitingGreeting { connectsInProgress -= 1 }
        c.awaitingGreeting = false
        c.tls?.shutdown()
        c.tls = nil
        if c.fd >= 0 { Posix.close(c.fd) }
        c.fd = -1
        if countAsServerClose && c.state == .open && phase != .stopping { lClosed += 1 }
        c.state = .closed
        c.carry = []
        c.out = []
        c.outOffset = 0
    }

    // MARK: Input

    func readAll(_ slot: Int) {
        let c = conns[slot]
        let base = readBuffer.baseAddress!
        while c.fd >= 0 {
            let carried = c.carry.count
            if carried > 0 {
                c.carry.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: carried) }
            }
            let room = UnsafeMutableRawBufferPointer(start: base + carried, count: readBuffer.count - carried)
            var n: Int
            // TLS: read records until OpenSSL wants the socket (or the buffer is full); records
            // it already holds raise no new edge, so stopping earlier could strand them.
            var drained = false
            var peerClosed = false
            if let tls = c.tls {
                n = 0
                tlsReads: while n < room.count {
                    switch tls.read(into: UnsafeMutableRawBufferPointer(rebasing: room[n...])) {
                    case .bytes(let k): n += k
                    case .wantRead, .wantWrite: drained = true; break tlsReads
                    case .closed: peerClosed = true; break tlsReads
                    }
                }
                if n == 0 {
                    if peerClosed { closed(slot) }
                    return
                }
            } else {
                do {
                    switch try Posix.read(c.fd, room) {
                    case .wouldBlock: return
                    case .processed(let r): n = r
                    }
                } catch {
                    closed(slot)
                    return
                }
                if n == 0 {
                    closed(slot)
                    return
                }
                drained = n < room.count
            }
            if c.awaitingGreeting {
                c.awaitingGreeting = false
                connectsInProgress -= 1
            }
            let total = carried + n
            let now = Monotonic.now()
            let bytes = UnsafeRawBufferPointer(start: base, count: total)
            var decoder = c.decoder
            let outcome = decoder.parse(bytes) { text in self.delivered(c, text, now: now) }
            if !decoder.replies.isEmpty {
                c.out += decoder.replies
                decoder.replies.removeAll()
                dirtyOut.append(slot)
            }
            c.decoder = decoder
            switch outcome {
            case .protocolError:
                lProtocolErrors += 1
                closeConn(slot, countAsServerClose: true)
                return
            case .consumed(let used):
                if used == total {
                    if carried > 0 { c.carry = [] }
                } else {
                    c.carry = Array(UnsafeRawBufferPointer(rebasing: bytes[used..<total]))
                }
            }
            if peerClosed {
                closed(slot)
                return
            }
            if drained { return }  // the next edge brings more
        }
    }

    func closed(_ slot: Int) {
        closeConn(slot, countAsServerClose: true)
    }

    @inline(__always)
    func delivered(_ c: Conn, _ text: UnsafeRawBufferPointer, now: UInt64) {
        guard let p = Payload.decode(text) else { return }
        lDeliveriesAll &+= 1
        if config.mode == .churn {
            let stride = config.threads * config.procs
            let first = config.procIndex * config.threads + index
            guard p.sender >= first, (p.sender - first) % stride == 0 else { return }
            let slot = (p.sender - first) / stride + 1
            guard slot < conns.count, conns[slot].state == .open else { return }
            closeConn(slot, countAsServerClose: false)
            if phase == .measuring { lCycles += 1 }
            return
        }
        // chatd.v1 echoes a sender's own messages: not a delivery to count.
        if c.isSender && p.sender == c.client && config.adapter.echoesToSender { return }
        if !c.seen {
            c.seen = true
            if c.mustReceive { lSeen += 1 }
        }
        let sender = p.sender
        let rooms = config.plan.rooms
        let rank = sender / rooms
        guard sender < config.plan.senders, sender % rooms == c.room, rank < c.streams.count else {
            // Not a sender of this client's room: a misrouted delivery, which shows as surplus.
            if p.phase == .measured { lLoss.recordDelivery(.inOrder) }
            return
        }
        let arrival = c.streams[rank].record(p.sequence)
        switch p.phase {
        case .ready:
            return
        case .warmup:
            break
        case .measured:
            lLoss.recordDelivery(arrival)
            if arrival != .duplicate { histogram.record(now > p.timestamp ? now - p.timestamp : 0) }
        }
        guard arrival != .duplicate else { return }
        lCounted &+= 1
        if lReceivedBySender[sender] == 0 { dirtySenders.append(sender) }
        lReceivedBySender[sender] &+= 1
    }

    // MARK: Churn

    func churn(_ now: UInt64) {
        let observer = conns[0]
        if observer.state == .idle || observer.state == .closed {
            startConnect(0, sourceIndex: 0xFFFF - index)
            return
        }
        // Churners start once the observer has been in the room for 200 ms.
        guard observer.state == .open, now - observer.startedAt > 200_000_000 else { return }
        for slot in conns.indices.dropFirst() where conns[slot].state == .idle || conns[slot].state == .closed {
            startConnect(slot, sourceIndex: conns[slot].client &+ conns[slot].cycles &* 4099)
            conns[slot].cycles += 1
        }
        // A half-closed cycle completes when the server closes; one that does not within the
        // deadline counts as a failure.
        if now - lastChurnCheck > 100_000_000 {
            lastChurnCheck = now
            for slot in conns.indices.dropFirst() {
                let c = conns[slot]
                if c.state == .open || c.state == .connecting, now - c.startedAt > churnDeadline {
                    lChurnFailures += 1
                    closeConn(slot, countAsServerClose: false)
                }
            }
        }
    }

    // MARK: Publishing counts

    func publish() {
        shared.connected.add(lConnected); lConnected = 0
        shared.connectFailures.add(lConnectFailures); lConnectFailures = 0
        shared.closedByServer.add(lClosed); lClosed = 0
        shared.protocolErrors.add(lProtocolErrors); lProtocolErrors = 0
        shared.seenReceivers.add(lSeen); lSeen = 0
        shared.sentAll.add(lSentAll); lSentAll = 0
        shared.deliveriesAll.add(lDeliveriesAll); lDeliveriesAll = 0
        shared.deliveriesCounted.add(lCounted); lCounted = 0
        shared.measuredSent.add(lLoss.sent)
        shared.measuredExpected.add(lLoss.expected)
        shared.measuredReceived.add(lLoss.received)
        shared.measuredDuplicates.add(lLoss.duplicates)
        shared.measuredOutOfOrder.add(lLoss.outOfOrder)
        lLoss = LossAccounting()
        shared.skippedSends.add(lSkipped); lSkipped = 0
        shared.refusedSends.add(lRefused); lRefused = 0
        shared.churnCycles.add(lCycles); lCycles = 0
        shared.churnFailures.add(lChurnFailures); lChurnFailures = 0
        for s in dirtySenders {
            shared.receivedBySender[s].add(lReceivedBySender[s])
            lReceivedBySender[s] = 0
        }
        dirtySenders.removeAll(keepingCapacity: true)
    }
}
