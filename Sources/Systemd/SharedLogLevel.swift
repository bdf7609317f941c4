// The log level shared by many loggers and changeable while they log: SIGHUP reloads
// the config's "log-level" and every logger of every event-loop thread must follow at once.
// swift-log copies a LogHandler into each Logger value, so the level cannot live in the
// handler itself; handlers hold a reference to one of these and read it on every log call
// (a relaxed atomic load: no lock on the logging path, and no ordering is needed with
// respect to other memory — a log line decided under the old level just before a reload is
// fine).

import Logging
import Synchronization

final class SharedLogLevel: Sendable {
    /// The process-wide level behind SystemdLogging.setLevel/level.
    static let process = SharedLogLevel(.info)

    private let storage: Atomic<UInt8>

    init(_ level: Logger.Level) {
        storage = Atomic(Self.code(level))
    }

    var level: Logger.Level {
        get { Logger.Level.allCases[Int(storage.load(ordering: .relaxed))] }
        set { storage.store(Self.code(newValue), ordering: .relaxed) }
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level)!)
    }
}
