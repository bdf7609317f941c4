import ArgumentParser
import EventLoop
import Glibc
import Logging
import Store

/// Measures the SQLite history store on its own, and serves as the victim of the SIGKILL test.
@main
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatd-store-bench",
        abstract: "Write throughput of the SQLite history store, and a probe for the crash-loss test.",
        subcommands: [Throughput.self, Probe.self, Open.self])
}

struct StoreOptions: ParsableArguments {
    @Option(help: "The database file (created if missing).") var path: String
    @Option(help: "Group commit interval in ms (--history-commit-ms).") var commitMs = 50
    @Option(help: "Unsaved events held before the oldest are dropped.") var queue = 65_536
    @Option(help: "Unsaved bytes held before the oldest are dropped.") var queueBytes = 16 << 20

    func open(_ logger: Logger) throws -> SQLiteHistoryStore {
        var o = SQLiteHistoryStore.Options()
        o.commitMilliseconds = commitMs
        o.queueCapacity = queue
        o.queueBytes = queueBytes
        return try SQLiteHistoryStore(path: path, options: o, logger: logger)
    }
}

func stderrLogger() -> Logger {
    var l = Logger(label: "chatd-store-bench") { StreamLogHandler.standardError(label: $0) }
    l.logLevel = .warning
    return l
}

/// Appends as fast as one thread can, in `rooms` rooms, then waits for the writer; prints one
/// JSON line: append cost on the caller's thread, stored events/s end to end, batch sizes.
struct Throughput: ParsableCommand {
    @OptionGroup var store: StoreOptions
    @Option(help: "Events to append.") var events = 200_000
    @Option(help: "Rooms to spread them over.") var rooms = 10
    @Option(help: "Text bytes per event.") var bytes = 64

    func run() throws {
        let s = try store.open(stderrLogger())
        let names = (0..<rooms).map { "room\($0)" }
        var next = names.map { s.lastSequence(room: $0) + 1 }
        let text = String(repeating: "m", count: bytes)
        let t0 = Monotonic.now()
        for i in 0..<events {
            let r = i % rooms
            s.append(StoredEvent(room: names[r], sequence: next[r], time: RealtimeClock.milliseconds(),
                                 sender: "bench", kind: .message, text: text))
            next[r] += 1
        }
        let t1 = Monotonic.now()
        let flushed = s.flush(timeout: 300)
        let t2 = Monotonic.now()
        let st = s.statistics
        s.close(timeout: 10)
        let seconds = Double(t2 - t0) / 1e9
        print("""
            {"events":\(events),"rooms":\(rooms),"bytes":\(bytes),"commit_ms":\(store.commitMs),\
            "append_ns":\(Double(t1 - t0) / Double(events)),"stored_per_s":\(Double(st.committed) / seconds),\
            "seconds":\(seconds),"batches":\(st.batches),"largest_batch":\(st.largestBatch),\
            "mean_batch":\(st.batches > 0 ? Double(st.committed) / Double(st.batches) : 0),\
            "dropped":\(st.dropped),"flushed":\(flushed)}
            """)
    }
}

/// Appends to room "probe" at `rate` per second until killed, printing
/// `appended A committed C` whenever a count changes (stdout, flushed at once): a test kills it
/// with SIGKILL and checks that events 1…C are all in the file.
struct Probe: ParsableCommand {
    @OptionGroup var store: StoreOptions
    @Option(help: "Events per second.") var rate = 2_000

    func run() throws {
        let s = try store.open(stderrLogger())
        var seq = s.lastSequence(room: "probe")
        let start = Monotonic.now()
        var appended: UInt64 = 0
        var reported: (UInt64, UInt64) = (0, 0)
        while true {
            let due = UInt64(Double(Monotonic.now() - start) / 1e9 * Double(rate))
            while appended < due {
                seq += 1
                s.append(StoredEvent(room: "probe", sequence: seq, time: RealtimeClock.milliseconds(),
                                     sender: "probe", kind: .message, text: "probe \(seq)"))
                appended += 1
            }
            let committed = s.statistics.committed
            if (appended, committed) != reported {
                // One write(2) per line, unbuffered: the line must be out before a SIGKILL.
                var line = "appended \(appended) committed \(committed)\n"
                _ = line.withUTF8 { try? Posix.write(1, UnsafeRawBufferPointer($0)) }
                reported = (appended, committed)
            }
            usleep(500)
        }
    }
}

/// Opens an existing database and times what start-up and a room's first join cost: the open
/// (quick_check, migrations), then a room's last sequence and its newest `limit` events.
struct Open: ParsableCommand {
    @OptionGroup var store: StoreOptions
    @Option(help: "The room whose history a first join would load.") var room = "room1"
    @Option(help: "Events a join replays.") var limit = 50

    func run() throws {
        let t0 = Monotonic.now()
        let s = try store.open(stderrLogger())
        let t1 = Monotonic.now()
        let last = s.lastSequence(room: room)
        let events = s.latest(room: room, limit: limit)
        let t2 = Monotonic.now()
        s.close(timeout: 10)
        print("""
            {"open_ms":\(Double(t1 - t0) / 1e6),"first_join_load_ms":\(Double(t2 - t1) / 1e6),\
            "last_sequence":\(last),"loaded":\(events.count),"opened":"\(s.opened)"}
            """)
    }
}
