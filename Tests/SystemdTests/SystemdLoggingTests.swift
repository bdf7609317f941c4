import Glibc
import Logging
import Testing

@testable import Systemd

struct SystemdLoggingTests {
    /// JOURNAL_STREAM must name exactly stderr's device and inode (systemd.exec(5)).
    @Test func backendDecision() throws {
        let pipe = try Pipe()
        var info = stat()
        #expect(fstat(pipe.writeEnd, &info) == 0)
        defer { close(pipe.writeEnd) }
        let matching = "\(info.st_dev):\(info.st_ino)"
        #expect(SystemdLogging.backend(journalStream: matching, stderrFD: pipe.writeEnd) == .journal)
        #expect(SystemdLogging.backend(journalStream: "\(info.st_dev):\(info.st_ino + 1)", stderrFD: pipe.writeEnd) == .stderr)
        #expect(SystemdLogging.backend(journalStream: nil, stderrFD: pipe.writeEnd) == .stderr)
        for malformed in ["", ":", "1", "a:b", "1:2:3", "\(info.st_dev):"] {
            #expect(SystemdLogging.backend(journalStream: malformed, stderrFD: pipe.writeEnd) == .stderr)
        }
        #expect(SystemdLogging.backend(journalStream: matching, stderrFD: -1) == .stderr)
    }
}

/// The level machinery on a private SharedLogLevel: the process-wide one may be changed at
/// any moment by other suites running in parallel in this process (e.g. a daemon under test).
struct LogLevelTests {
    @Test func setLevelChangesEveryHandler() throws {
        let pipe = try Pipe()
        let shared = SharedLogLevel(.info)
        let logger = Logger(label: "test") { label in
            StderrLogHandler(label: label, metadataProvider: nil, outputFD: pipe.writeEnd, sharedLevel: shared)
        }
        var copy = logger  // swift-log copies handlers into each Logger value
        copy[metadataKey: "room"] = "lobby"
        shared.level = .warning
        #expect(logger.logLevel == .warning && copy.logLevel == .warning)
        logger.info("dropped")
        logger.warning("kept 1")
        shared.level = .debug  // as a SIGHUP reload would
        copy.debug("kept 2")
        close(pipe.writeEnd)
        #expect(pipe.readAll() == "<4>kept 1\n<7>kept 2 room=lobby\n")
    }

    @Test func overrideDetachesOneLogger() {
        let shared = SharedLogLevel(.info)
        var handler = JournaldLogHandler(label: "t", identifier: "chatd", metadataProvider: nil, sharedLevel: shared)
        #expect(handler.logLevel == .info)
        handler.logLevel = .critical
        shared.level = .trace
        #expect(handler.logLevel == .critical)
    }

    @Test func everyLevelRoundTrips() {
        let shared = SharedLogLevel(.info)
        for level in Logger.Level.allCases {
            shared.level = level
            #expect(shared.level == level)
        }
    }

    @Test func concurrentSetAndRead() async {
        let shared = SharedLogLevel(.info)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    for j in 0..<10_000 {
                        if i == 0 { shared.level = j % 2 == 0 ? .info : .error } else { _ = shared.level }
                    }
                }
            }
        }
        #expect(shared.level == .error)
    }
}
