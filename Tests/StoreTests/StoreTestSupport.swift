// Helpers for the Store tests: real files in a private temporary directory, a log handler that
// records what the store logged, a settable clock, and waiting on conditions with deadlines.

import EventLoop
import Foundation
import Logging
@testable import Store
import Testing

/// A fresh directory under /tmp, removed with everything in it when the value goes away.
final class TempDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/chatd-store-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw StoreTestError("mkdtemp: \(errno)") }
        path = String(cString: p)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { "\(path)/\(name)" }
}

struct StoreTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Records every log entry so tests can check what was reported, e.g. a moved-aside file.
final class CapturedLog: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    let entries = Locked<[Entry]>([])

    var logger: Logger {
        let sink = self
        var l = Logger(label: "store-test") { _ in Handler(sink: sink) }
        l.logLevel = .trace
        return l
    }

    func contains(_ level: Logger.Level, _ fragment: String) -> Bool {
        entries.withLock { $0.contains { $0.level == level && $0.message.contains(fragment) } }
    }

    func first(_ fragment: String) -> Entry? {
        entries.withLock { $0.first { $0.message.contains(fragment) } }
    }

    struct Handler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let md = (event.metadata ?? [:]).mapValues { "\($0)" }
            sink.entries.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", metadata: md)) }
        }
    }
}

/// A wall clock the test moves by hand (retention by age without waiting days).
final class TestClock: Sendable {
    let now = Locked<Int64>(1_700_000_000_000)
    var read: @Sendable () -> Int64 { { [now] in now.withLock { $0 } } }
    func advance(days: Int) { now.withLock { $0 += Int64(days) * 86_400_000 } }
}

/// Polls `condition` every 5 ms until it holds or `timeout` seconds pass.
func waitUntil(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Monotonic.now() + Monotonic.nanoseconds(seconds: timeout)
    while Monotonic.now() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

func event(_ room: String, _ seq: UInt64, _ text: String? = nil, time: Int64 = 1_700_000_000_000,
           kind: StoredEventKind = .message, sender: String = "alice", isPrivate: Bool = false) -> StoredEvent {
    StoredEvent(room: room, sequence: seq, time: time + Int64(seq), sender: sender, kind: kind,
                text: text ?? "message \(seq) in \(room)", isPrivate: isPrivate)
}

extension SQLiteHistoryStore.Options {
    /// Fast commits and retention passes so tests wait milliseconds, not seconds.
    static func testing(commitMilliseconds: Int = 5, _ adjust: (inout Self) -> Void = { _ in }) -> Self {
        var o = Self()
        o.commitMilliseconds = commitMilliseconds
        o.pruneMilliseconds = 10
        o.retryMilliseconds = 50
        adjust(&o)
        return o
    }
}

/// Both implementations, for tests of the interface's contract.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite
    var testDescription: String { rawValue }

    func make(_ dir: TempDirectory, commitMilliseconds: Int = 5, log: CapturedLog = CapturedLog()) throws -> any HistoryStore {
        switch self {
        case .memory: return MemoryHistoryStore(maxPerRoom: 1_000_000)
        case .sqlite:
            return try SQLiteHistoryStore(path: dir.file("history.db"),
                                          options: .testing(commitMilliseconds: commitMilliseconds), logger: log.logger)
        }
    }
}
