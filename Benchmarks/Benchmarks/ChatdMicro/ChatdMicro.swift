import Benchmark
import ChatDaemon
import ChatProtocol
import EventLoop
import Glibc
import Room
import Synchronization

// The steady-state delivery path must allocate nothing per delivered message (DESIGN.md §5):
// each benchmark reports wall time and mallocs per operation (scaled by `scaledIterations`).
// BENCH_SHORT=1 (CI) runs a few iterations only; no benchmark has timing thresholds.

let short = getenv("BENCH_SHORT") != nil

func config(_ scale: BenchmarkScalingFactor = .kilo) -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: short ? 1 : 3,
        scalingFactor: scale,
        maxDuration: short ? .milliseconds(200) : .seconds(2),
        maxIterations: short ? 5 : 1000)
}

/// 1,000 frames of a 64-byte message text, back to back, as a socket read would return them.
func framedStream(count: Int, payload: Int) -> [UInt8] {
    let text = [UInt8](repeating: UInt8(ascii: "x"), count: payload)
    var out: [UInt8] = []
    for _ in 0..<count { out += FrameEncoder.frame(text) }
    return out
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("FramedDecoder.decode 64 B frame", configuration: config()) { benchmark in
        let stream = framedStream(count: 1000, payload: 64)
        benchmark.startMeasurement()
        stream.withUnsafeBytes { bytes in
            var done = 0
            while done < benchmark.scaledIterations.count {
                var offset = 0
                while offset < bytes.count && done < benchmark.scaledIterations.count {
                    let r = FramedDecoder.decode(UnsafeRawBufferPointer(rebasing: bytes[offset...]), maxPayload: 65536)
                    guard case .frame(let po, let pl) = r else { fatalError("decode") }
                    blackHole(pl)
                    offset += po + pl
                    done += 1
                }
            }
        }
    }

    Benchmark("RingBuffer append+consume 74 B", configuration: config()) { benchmark in
        let ring = RingBuffer(minimumCapacity: 4096)
        let chunk = [UInt8](repeating: 1, count: 74)
        benchmark.startMeasurement()
        chunk.withUnsafeBytes { c in
            for _ in benchmark.scaledIterations {
                ring.append(c)
                ring.withContiguousReadableBytes { blackHole($0.count) }
                ring.consume(74)
            }
        }
    }

    // Fan-out: one shared frame queued to 100 recipients, each queue flushed with writev to
    // /dev/null (the real syscall path). One operation = one delivery.
    Benchmark("WriteQueue enqueue+flush per recipient (100 recipients)", configuration: config()) { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let pool = IOVecPool()
        var queues = [WriteQueue](repeating: WriteQueue(), count: 100)
        let frame = FramedEncoding.message(sender: "alice", text: String(repeating: "x", count: 64))
        // Warm the queues' storage once, outside the measurement.
        for i in queues.indices { queues[i].enqueue(frame); _ = queues[i].flush(to: devNull, using: pool) }
        benchmark.startMeasurement()
        var delivered = 0
        while delivered < benchmark.scaledIterations.count {
            for i in queues.indices {
                queues[i].enqueue(frame)
                _ = queues[i].flush(to: devNull, using: pool)
            }
            delivered += queues.count
        }
    }

    // The delivery loop of one room event to 100 framed members, as LoopWorker.deliver runs it:
    // the event's framed slot is read (encoded by the first delivery, before the measurement),
    // then each recipient gets a retain, an append and a flush. One operation = one delivery;
    // mallocs per operation must be 0.
    Benchmark("Framed: shared event encoding to 100 recipients", configuration: config()) { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let pool = IOVecPool()
        var queues = [WriteQueue](repeating: WriteQueue(), count: 100)
        let event = RoomEvent(
            kind: .message, room: "lobby", source: EventSource(nick: "alice", user: "alice", host: "framed"),
            text: String(repeating: "x", count: 64), time: 0)
        let first = FramedEncoding.bytes(for: event)!
        for i in queues.indices { queues[i].enqueue(first); _ = queues[i].flush(to: devNull, using: pool) }
        benchmark.startMeasurement()
        var delivered = 0
        while delivered < benchmark.scaledIterations.count {
            guard let bytes = FramedEncoding.bytes(for: event) else { fatalError("no framed bytes") }
            for i in queues.indices {
                queues[i].enqueue(bytes)
                _ = queues[i].flush(to: devNull, using: pool)
            }
            delivered += queues.count
        }
    }

    // The same delivery loop with the counting LoopWorker does for /metrics (docs/METRICS.md):
    // a local delivery count, bytes out per flush and one tick-histogram bucket per event,
    // stored into the loop's single-writer LoopStats. Against the benchmark above it shows
    // what metrics cost per delivery; mallocs per operation must stay 0.
    Benchmark("Framed: shared event encoding to 100 recipients, metrics counted", configuration: config()) { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let pool = IOVecPool()
        let stats = LoopStats()
        var queues = [WriteQueue](repeating: WriteQueue(), count: 100)
        let event = RoomEvent(
            kind: .message, room: "lobby", source: EventSource(nick: "alice", user: "alice", host: "framed"),
            text: String(repeating: "x", count: 64), time: 0)
        let first = FramedEncoding.bytes(for: event)!
        for i in queues.indices { queues[i].enqueue(first); _ = queues[i].flush(to: devNull, using: pool) }
        var deliveries = 0
        benchmark.startMeasurement()
        var delivered = 0
        while delivered < benchmark.scaledIterations.count {
            let tickStart = Monotonic.now()
            guard let bytes = FramedEncoding.bytes(for: event) else { fatalError("no framed bytes") }
            for i in queues.indices {
                queues[i].enqueue(bytes)
                deliveries &+= 1
                let queued = queues[i].pendingBytes
                _ = queues[i].flush(to: devNull, using: pool)
                stats.add(LoopStats.Slot.bytesOut(0), queued &- queues[i].pendingBytes)
            }
            stats.deliveries.store(deliveries, ordering: .relaxed)
            let took = Monotonic.now() &- tickStart
            stats.add(LoopStats.Slot.tickBucket(TickHistogram.bucket(took)), 1)
            stats.add(LoopStats.Slot.tickNanoseconds, Int(truncatingIfNeeded: took))
            delivered += queues.count
        }
        blackHole(stats.load(LoopStats.Slot.bytesOut(0)))
    }

    // The same for 100 IRC members, half of them without server-time: they share the tagged
    // line from past its `@time=` tag. One operation = one delivery; 0 mallocs per operation.
    Benchmark("IRC: shared event encoding to 100 recipients", configuration: config()) { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let pool = IOVecPool()
        var queues = [WriteQueue](repeating: WriteQueue(), count: 100)
        let event = RoomEvent(
            kind: .message, room: "lobby", source: EventSource(nick: "alice", user: "alice", host: "framed"),
            text: String(repeating: "x", count: 64), time: 0)
        let first = IRCEncoding.bytes(for: event)!
        for i in queues.indices { queues[i].enqueue(first); _ = queues[i].flush(to: devNull, using: pool) }
        benchmark.startMeasurement()
        var delivered = 0
        while delivered < benchmark.scaledIterations.count {
            guard let tagged = IRCEncoding.bytes(for: event), let (plain, offset) = IRCEncoding.plain(for: event, tagged: tagged)
            else { fatalError("no IRC bytes") }
            for i in queues.indices {
                if i & 1 == 0 { queues[i].enqueue(tagged) } else { queues[i].enqueue(plain, from: offset) }
                _ = queues[i].flush(to: devNull, using: pool)
            }
            delivered += queues.count
        }
    }

    // The same for 100 browser members: one WebSocket text frame (header + chatd.v1 JSON) in the
    // event's web slot, shared by all. One operation = one delivery; 0 mallocs per operation.
    Benchmark("WebSocket: shared event encoding to 100 recipients", configuration: config()) { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        let pool = IOVecPool()
        var queues = [WriteQueue](repeating: WriteQueue(), count: 100)
        let event = RoomEvent(
            kind: .message, room: "lobby", source: EventSource(nick: "alice", user: "alice", host: "web"),
            text: String(repeating: "x", count: 64), time: 0)
        let first = WebEncoding.bytes(for: event)!
        for i in queues.indices { queues[i].enqueue(first); _ = queues[i].flush(to: devNull, using: pool) }
        benchmark.startMeasurement()
        var delivered = 0
        while delivered < benchmark.scaledIterations.count {
            guard let bytes = WebEncoding.bytes(for: event) else { fatalError("no WebSocket bytes") }
            for i in queues.indices {
                queues[i].enqueue(bytes)
                _ = queues[i].flush(to: devNull, using: pool)
            }
            delivered += queues.count
        }
    }

    Benchmark("History.append (50 entries)", configuration: config()) { benchmark in
        var history = History(capacity: 50)
        let frames = (0..<64).map {
            RoomEvent(kind: .message, room: "r", source: EventSource(nick: "bob", user: "bob", host: "framed"),
                      text: "message \($0)", time: 0)
        }
        for f in frames { history.append(f) }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            history.append(frames[i & 63])
        }
        blackHole(history.count)
    }

    // For comparison: encoding a message allocates once per message (the shared frame), never
    // per recipient.
    Benchmark("FramedEncoding.message encode once per message", configuration: config()) { benchmark in
        let text = [UInt8](repeating: UInt8(ascii: "x"), count: 64)
        let name = Array("alice".utf8)
        benchmark.startMeasurement()
        name.withUnsafeBytes { n in
            text.withUnsafeBytes { t in
                for _ in benchmark.scaledIterations { blackHole(FramedEncoding.message(sender: n, text: t)) }
            }
        }
    }
}
