import EventLoop
import Glibc
import Logging
import Store

extension ChatServer {
    /// Opens the configured history store; nil for `--history-store memory`, where the rooms'
    /// in-memory history (bounded by `--history` and `--history-budget-bytes`) is all there is,
    /// rather than a second copy of it. Never fails: a state directory or database that cannot
    /// be used is logged and a memory store (bounded per room) is used instead (DESIGN.md §8).
    static func openHistoryStore(_ c: ChatConfig, logger: Logger) -> (any HistoryStore)? {
        let retention = HistoryRetention(keepDays: c.historyKeepDays, keepPerRoom: c.historyKeepPerRoom)
        // In memory the per-room bound is what keeps the daemon's size in check.
        let memoryRetention = HistoryRetention(
            keepDays: c.historyKeepDays,
            keepPerRoom: min(c.historyKeepPerRoom > 0 ? c.historyKeepPerRoom : .max, MemoryHistoryStore.defaultMaxPerRoom))
        if c.historyStore == .memory {
            logger.info("history kept in memory only (--history-store memory)")
            return nil
        }
        var env: [String: String] = [:]
        for name in ["STATE_DIRECTORY", "XDG_STATE_HOME", "HOME"] {
            if let v = getenv(name) { env[name] = String(cString: v) }
        }
        guard let (dir, source) = StateDirectory.resolve(flag: c.stateDir, environment: env) else {
            logger.error("no state directory (set --state-dir); history is kept in memory only")
            return MemoryHistoryStore(retention: memoryRetention)
        }
        do {
            try Posix.makeDirectories(dir, mode: 0o700)
        } catch {
            logger.error("state directory cannot be created; history is kept in memory only",
                         metadata: ["chat.state_dir": "\(dir)", "chat.reason": "\(error)"])
            return MemoryHistoryStore(retention: memoryRetention)
        }
        var options = SQLiteHistoryStore.Options()
        options.commitMilliseconds = c.historyCommitMs
        options.retention = retention
        let path = dir + "/history.db"
        let store = SQLiteHistoryStore.openOrFallBack(path: path, options: options, logger: logger)
        if let sqlite = store as? SQLiteHistoryStore {
            logger.info("history database", metadata: [
                "chat.history_db": "\(path)", "chat.state_dir_from": "\(source.rawValue)", "chat.opened": "\(sqlite.opened)",
            ])
        }
        return store
    }
}

extension ChatServer {
    /// Where room settings and server bans are kept: beside the history in its SQLite file, or in
    /// memory (`--history-store memory`, an unusable database, and `--cluster`, whose nodes do
    /// not share them yet: docs/ARCHITECTURE.md "Moderation").
    static func openModerationStore(history: (any HistoryStore)?, logger: Logger) -> StoreModeration {
        if let sqlite = history as? SQLiteHistoryStore {
            do {
                return StoreModeration(store: try SQLiteModerationStore(path: sqlite.path))
            } catch {
                logger.error("room settings cannot be stored in the history database; kept in memory until restart",
                             metadata: ["chat.history_db": "\(sqlite.path)", "chat.reason": "\(error)"])
            }
        }
        return StoreModeration(store: MemoryModerationStore())
    }
}
