import Logging
import Store

extension ChatServer {
    /// The account store beside the history: the `accounts` table of the history database when
    /// history is in SQLite, else memory (`--history-store memory`, a database that could not be
    /// used, `--cluster`: accounts are then lost on restart, which the log says).
    static func openAccountStore(history: (any HistoryStore)?, logger: Logger) -> any AccountStore {
        guard let sqlite = history as? SQLiteHistoryStore else {
            logger.info("accounts kept in memory only (no history database)")
            return MemoryAccountStore()
        }
        do {
            let store = try SQLiteAccountStore(path: sqlite.path)
            logger.info("accounts", metadata: ["chat.history_db": "\(sqlite.path)", "chat.accounts": "\(store.count)"])
            return store
        } catch {
            logger.error("accounts cannot be stored in the history database; kept in memory only until restart",
                         metadata: ["chat.history_db": "\(sqlite.path)", "chat.reason": "\(error)"])
            return MemoryAccountStore()
        }
    }
}
