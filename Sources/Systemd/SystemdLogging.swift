// Process-wide logging set-up: which LogHandler chatd uses, and the one log level that all
// of its loggers share and that a reload (SIGHUP) can change while the daemon runs.

import EventLoop
import Glibc
import Logging

public enum SystemdLogging {
    /// The log backend chosen for this process.
    public enum Backend: Sendable, Equatable {
        /// Native journal entries via sd_journal_sendv(3) (stderr is connected to journald).
        case journal
        /// One "<N>message key=value" line per entry on stderr (sd-daemon(3) prefixes).
        case stderr
    }

    /// Installs chatd's LogHandler with LoggingSystem.bootstrap. Chooses once per process:
    /// native journald entries when stderr is the journal — systemd.exec(5) says a service
    /// whose stdout/stderr goes to journald gets JOURNAL_STREAM="<st_dev>:<st_ino>" of that
    /// stream, and a program should switch to the native protocol only when fstat(2) of its
    /// own stderr matches (so `chatd 2>file` run from a unit shell still writes to the file) —
    /// else StderrLogHandler. Later calls are ignored (swift-log allows one bootstrap per
    /// process) except that they still set the level.
    public static func bootstrap(identifier: String, level: Logger.Level) {
        setLevel(level)
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let chosen = backend()
        chosenBackend.withLock { $0 = chosen }
        LoggingSystem.bootstrap({ label, provider in
            switch chosen {
            case .journal:
                return JournaldLogHandler(label: label, identifier: identifier, metadataProvider: provider)
            case .stderr:
                return StderrLogHandler(label: label, metadataProvider: provider)
            }
        }, metadataProvider: nil)
    }

    /// Sets the level of every chatd logger (those whose level was not set individually).
    /// Thread-safe: a relaxed atomic (SharedLogLevel), read by each handler on every log call.
    public static func setLevel(_ level: Logger.Level) {
        SharedLogLevel.process.level = level
    }

    public static var level: Logger.Level {
        SharedLogLevel.process.level
    }

    /// The backend bootstrap() installed, or nil before bootstrap().
    public static var installedBackend: Backend? {
        chosenBackend.withLock { $0 }
    }

    /// The backend bootstrap() would choose for this process right now.
    public static func backend() -> Backend {
        backend(journalStream: SystemdNotifier.environment("JOURNAL_STREAM"), stderrFD: STDERR_FILENO)
    }

    /// Decision rule, testable: the JOURNAL_STREAM value must be "<device>:<inode>" in decimal
    /// and equal fstat(2) of `stderrFD`.
    static func backend(journalStream: String?, stderrFD: Int32) -> Backend {
        guard let journalStream else { return .stderr }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return .stderr
        }
        guard Posix.isOpen(stderrFD), let info = try? Posix.fstat(stderrFD) else { return .stderr }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode ? .journal : .stderr
    }

    // MARK: - State

    private static let bootstrapped = Locked<Bool>(false)
    private static let chosenBackend = Locked<Backend?>(nil)
}
