import EventLoop
import Glibc
import Logging
import Room
import Store

/// One request for the account thread: hash a new password, or check one.
struct AccountJob: Sendable {
    enum Kind: Sendable {
        case register(flags: AccountRecord.Flags)
        case login
    }

    var kind: Kind
    /// The account's name as typed, and its `NameKey`.
    var name: String
    var key: String
    /// Zeroed by the worker once hashed or checked (best effort: the copies the protocol parsers
    /// made are ordinary strings).
    var password: [UInt8]
    /// Called on the account thread with the answer; posts it to the asker's mailbox.
    var reply: @Sendable (AccountOutcome) -> Void
}

/// The thread that runs Argon2id (0.2–0.3 s and 64 MiB per hash at the defaults) so no event
/// loop ever waits on it. A bounded queue in front: a request that does not fit is refused at
/// once instead of queueing without limit (a pthread condition variable, like the history
/// writer's `WriterQueue`). Answers go back through the asker's `reply` (a loop's mailbox).
final class AccountWorker: @unchecked Sendable {
    // @unchecked Sendable: `jobs` and `stopping` are touched only with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let work = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [AccountJob] = []
    private var stopping = false
    private var thread: LoopThread?

    let store: any AccountStore
    let parameters: Argon2Parameters
    let capacity: Int
    let logger: Logger

    init(store: any AccountStore, parameters: Argon2Parameters, capacity: Int, logger: Logger) {
        self.store = store
        self.parameters = parameters
        self.capacity = capacity
        self.logger = logger
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(work, nil)
    }

    deinit {
        pthread_cond_destroy(work)
        pthread_mutex_destroy(mutex)
        work.deallocate()
        mutex.deallocate()
    }

    func start() {
        thread = LoopThread.spawn(name: "chatd-accounts") { [self] in run() }
    }

    /// Queues `job`; false when the queue is full or the worker stopped (nothing is queued).
    func submit(_ job: AccountJob) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !stopping, jobs.count < capacity else { return false }
        jobs.append(job)
        pthread_cond_signal(work)
        return true
    }

    /// Finishes the job in hand, drops the queued ones unanswered (their connections are closing
    /// anyway: this runs at shutdown) and joins the thread.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        jobs.removeAll()
        pthread_cond_signal(work)
        pthread_mutex_unlock(mutex)
        thread?.join()
        thread = nil
    }

    private func next() -> AccountJob? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while jobs.isEmpty && !stopping { pthread_cond_wait(work, mutex) }
        return stopping ? nil : jobs.removeFirst()
    }

    private func run() {
        while var job = next() {
            let outcome = perform(job)
            job.password.withUnsafeMutableBytes { if let base = $0.baseAddress { _ = memset(base, 0, $0.count) } }
            job.reply(outcome)
        }
    }

    /// Runs one job: never logs the password, only names and outcomes.
    func perform(_ job: AccountJob) -> AccountOutcome {
        switch job.kind {
        case .login:
            guard let record = store.account(key: job.key) else { return .refused(.noSuchAccount(job.name)) }
            let matches = job.password.withUnsafeBytes { PasswordHash.verify($0, encoded: record.passwordHash) }
            return matches ? .loggedIn(account: record.name) : .refused(.wrongPassword)
        case .register(let flags):
            if store.account(key: job.key) != nil { return .refused(.exists(job.name)) }
            do {
                let hash = try job.password.withUnsafeBytes { try PasswordHash.hash($0, parameters: parameters) }
                let record = AccountRecord(key: job.key, name: job.name, passwordHash: hash, created: WallClock.milliseconds(), flags: flags)
                guard try store.create(record) else { return .refused(.exists(job.name)) }
                logger.notice("account registered", metadata: ["chat.account": "\(job.name)"])
                return .loggedIn(account: job.name)
            } catch {
                logger.error("account registration failed", metadata: ["chat.account": "\(job.name)", "chat.reason": "\(error)"])
                return .refused(.failed)
            }
        }
    }
}
