import BenchCore
import EventLoop
import Glibc
import Histogram
import TLS

/// The sending side: paced or windowed sends, and flushing.
extension Worker {
    // MARK: Output

    func appendMessage(_ c: Conn, phase: Payload.Phase, timestamp: UInt64) {
        let sender = c.client
        let sequence = c.nextSequence
        c.nextSequence &+= 1
        config.adapter.appendMessage(to: &c.out, room: c.roomName, payloadSize: config.size) { dst in
            Payload.write(phase: phase, sender: sender, sequence: sequence, timestamp: timestamp, size: config.size, into: dst)
        }
        lSentAll &+= 1
    }

    func sendSome(_ now: UInt64) {
        guard !senders.isEmpty else { return }
        switch phase {
        case .connecting, .draining, .stopping:
            return
        case .ready:
            // A trickle until every receiver has been seen receiving.
            guard now - lastReadySend >= 20_000_000 else { return }
            lastReadySend = now
            for (i, c) in senders.enumerated() where c.state == .open && c.pendingOut < outLimit {
                appendMessage(c, phase: .ready, timestamp: now)
                markDirty(c, i)
            }
        case .warmup, .measuring:
            let p: Payload.Phase = phase == .measuring ? .measured : .warmup
            if config.rate > 0 {
                let workerRate = config.rate * Double(senders.count) / Double(config.plan.senders)
                // Message k is due at rateStart + k/rate (k = 0, 1, …): it counts as due from that
                // instant, not one period later, or every latency would include a whole period.
                let due = UInt64(Double(now - rateStart) / 1e9 * workerRate) + 1
                // Never more than one second behind. Sends are written without blocking, so only
                // this generator's own loop can fall that far behind: the skipped sends make
                // the run invalid (RunVerdict).
                if due > pacedSent + UInt64(workerRate) + 1 {
                    let skip = due - pacedSent - UInt64(workerRate)
                    lSkipped &+= skip
                    pacedSent += skip
                }
                while pacedSent < due {
                    let intended = rateStart + UInt64(Double(pacedSent) * 1e9 / workerRate)
                    pacedSent += 1
                    let i = nextSender
                    nextSender = (nextSender + 1) % senders.count
                    let c = senders[i]
                    guard c.state == .open, c.pendingOut < outLimit else {
                        // The server stopped reading this sender (or closed it): the message
                        // was offered and its deliveries are expected, so they count as lost.
                        if p == .measured {
                            lRefused &+= 1
                            lLoss.recordSend(expectedDeliveries: expectedPerMessage[c.client])
                        }
                        continue
                    }
                    sendCounted(c, i, p, timestamp: intended)
                }
            } else {
                // As fast as the server takes them, with at most `window` messages in flight
                // per sender (deliveries to this process's receivers expected and not yet
                // received; the others get the same stream from the server).
                for (i, c) in senders.enumerated() where c.state == .open {
                    let per = UInt64(max(1, localExpectedPerMessage[c.client]))
                    let limit = UInt64(config.window) * per
                    var inFlight = shared.expectedBySender[c.client].load &- shared.receivedBySender[c.client].load
                    while inFlight < limit && c.pendingOut < outLimit {
                        sendCounted(c, i, p, timestamp: now)
                        inFlight &+= per
                    }
                }
            }
        }
    }

    func sendCounted(_ c: Conn, _ i: Int, _ p: Payload.Phase, timestamp: UInt64) {
        appendMessage(c, phase: p, timestamp: timestamp)
        shared.expectedBySender[c.client].add(UInt64(localExpectedPerMessage[c.client]))
        if p == .measured { lLoss.recordSend(expectedDeliveries: expectedPerMessage[c.client]) }
        markDirty(c, i)
    }

    func markDirty(_ c: Conn, _ senderIndex: Int) {
        if c.pendingOut > 0, let slot = slotOf(c) { dirtyOut.append(slot) }
    }

    func slotOf(_ c: Conn) -> Int? {
        let stride = config.threads * config.procs
        let first = config.procIndex * config.threads + index
        let slot = (c.client - first) / stride + (config.mode == .churn ? 1 : 0)
        return slot < conns.count && conns[slot] === c ? slot : nil
    }

    func flush(_ slot: Int) {
        let c = conns[slot]
        guard c.fd >= 0, c.pendingOut > 0 else { return }
        if let tls = c.tls {
            // SSL_write with partial writes: one record per call; a blocked write is retried
            // with the same bytes first (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: `out` may move).
            while c.pendingOut > 0 {
                let r = c.out.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[c.outOffset...])) }
                switch r {
                case .bytes(let n): c.outOffset += n
                case .wantRead, .wantWrite: return
                case .closed:
                    closed(slot)
                    return
                }
            }
            c.out.removeAll(keepingCapacity: c.out.capacity <= 65536)
            c.outOffset = 0
            return
        }
        while c.pendingOut > 0 {
            let r: IOResult<Int>
            do {
                r = try c.out.withUnsafeBytes { b throws(Errno) in
                    try Posix.write(c.fd, UnsafeRawBufferPointer(rebasing: b[c.outOffset...]))
                }
            } catch {
                closed(slot)
                return
            }
            switch r {
            case .wouldBlock: return
            case .processed(let n): c.outOffset += n
            }
        }
        c.out.removeAll(keepingCapacity: c.out.capacity <= 65536)
        c.outOffset = 0
    }
}
