import EventLoop
import Logging
import Room
import Store

/// Accounts as the loops see them: the store (lookups from memory), the hashing thread, and the
/// rate limits on log-in and registration attempts. One per daemon, shared by every loop.
final class AccountService: Sendable {
    let store: any AccountStore
    let settings: AccountSettings
    let worker: AccountWorker
    let loginPerAccount = LoginThrottle(AccountSettings.loginPerAccount)
    let loginPerAddress = LoginThrottle(AccountSettings.loginPerAddress)
    let registrationsPerAddress = LoginThrottle(AccountSettings.registrationsPerAddress)

    init(store: any AccountStore, settings: AccountSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        worker = AccountWorker(
            store: store, parameters: settings.argon2, capacity: AccountSettings.workerQueueCapacity, logger: logger)
        worker.start()
    }

    func stop() { worker.stop() }

    /// The account registered under `name`'s key, if any.
    func account(named name: String) -> AccountRecord? { store.account(key: NameKey.fold(name)) }

    /// Rate limits first (cheap, on the asking loop), then the hashing thread. Returns the
    /// refusal to show, nil when the job was queued (its answer arrives later through `reply`).
    func submit(_ kind: AccountJob.Kind, name: String, password: [UInt8], address: String, now: UInt64,
                reply: @escaping @Sendable (AccountOutcome) -> Void) -> String? {
        let key = NameKey.fold(name)
        switch kind {
        case .login:
            if let wait = loginPerAddress.take(address, now: now) ?? loginPerAccount.take(key, now: now) {
                return "too many log-in attempts; try again in \(LoginThrottle.describe(wait: wait))"
            }
        case .register:
            if !settings.registrationOpen { return "registration is closed on this server (an operator creates accounts)" }
            if store.account(key: key) != nil { return AccountRefusal.exists(name).description }
            if let wait = registrationsPerAddress.take(address, now: now) {
                return "too many registrations from your address; try again in \(LoginThrottle.describe(wait: wait))"
            }
        }
        let job = AccountJob(kind: kind, name: name, key: key, password: password, reply: reply)
        return worker.submit(job) ? nil : "the server is busy checking passwords; try again in a few seconds"
    }
}
