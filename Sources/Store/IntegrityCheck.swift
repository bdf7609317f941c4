import CSQLite
import Glibc
import EventLoop
import Logging

/// `PRAGMA quick_check` of a database too large to check before READY=1: it reads every page
/// (measured: 21 s for a 1.2 GB file on the shared 2-core machine), so for a file above
/// `Options.synchronousCheckBytes` it runs on its own thread and connection while chat goes on
/// (WAL readers do not block the writer). Damage found this way cannot be cured under a running
/// writer, so it is logged as an error and recorded in `<file>.damaged`; the next start sees the
/// marker and moves the file aside like any damaged file.
final class IntegrityCheck: @unchecked Sendable {
    // @unchecked Sendable: `handle` is only read/written under `lock`; sqlite3_interrupt is
    // documented as safe to call from another thread while the connection runs a statement.
    private let lock = Locked<OpaquePointer?>(nil)
    private var thread: LoopThread?

    static func start(path: String, marker: String, logger: Logger) -> IntegrityCheck {
        let check = IntegrityCheck()
        check.thread = LoopThread.spawn(name: "chatd-hist-check") { check.run(path: path, marker: marker, logger: logger) }
        return check
    }

    private func run(path: String, marker: String, logger: Logger) {
        let started = Monotonic.now()
        do {
            let db = try SQLiteDatabase(path: path, readOnly: true)
            lock.withLock { $0 = db.handle }
            defer { lock.withLock { $0 = nil } }
            let report = try db.texts("PRAGMA quick_check")
            let ms = (Monotonic.now() - started) / 1_000_000
            if report == ["ok"] {
                logger.info("history database checked", metadata: ["path": "\(path)", "check_ms": "\(ms)"])
                return
            }
            logger.error("history database is damaged; it will be moved aside at the next start", metadata: [
                "path": "\(path)", "report": "\(report.prefix(3).joined(separator: "; "))",
            ])
            try? Self.writeMarker(marker, report.prefix(10).joined(separator: "\n"))
        } catch let error as SQLiteError where error.primary == SQLITE_INTERRUPT {
            // Closed before the check finished: nothing to report.
        } catch let error as SQLiteError where error.isCorruption {
            logger.error("history database is damaged; it will be moved aside at the next start",
                         metadata: ["path": "\(path)", "error": "\(error)"])
            try? Self.writeMarker(marker, "\(error)")
        } catch {
            logger.warning("history database check could not run", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    private static func writeMarker(_ path: String, _ text: String) throws {
        let fd = try Posix.openFile(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        defer { Posix.close(fd) }
        var bytes = text + "\n"
        _ = try bytes.withUTF8 { try Posix.write(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Interrupts a running check and waits for its thread.
    func stop() {
        lock.withLock { h in if let h { sqlite3_interrupt(h) } }
        thread?.join()
        thread = nil
    }
}
