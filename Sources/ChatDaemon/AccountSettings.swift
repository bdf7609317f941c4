import EventLoop
import Store

/// How accounts behave (`--registration`, `--auth-timeout`, `--argon2-*`), and the fixed limits
/// that keep password guessing and mass registration slow. Read at start-up.
struct AccountSettings: Sendable {
    var registrationOpen = true
    /// Nanoseconds a connection using a registered name has to log in before it is renamed.
    var authTimeout: UInt64 = 30_000_000_000
    var argon2 = Argon2Parameters.recommended

    /// Password bytes accepted by register and log in: 8 at least (a guessable password is the
    /// weakest link whatever the hash), 256 at most (Argon2 takes any length, but hashing cost
    /// should not be the client's to choose).
    static let passwordBytes = 8...256

    /// Log-in attempts per account: 5 at once, then one per 20 s (3 a minute). An online guesser
    /// gets ~4,300 guesses a day at most, however many addresses it uses.
    static let loginPerAccount = RateLimit(burst: 5, perSecond: 1.0 / 20)
    /// Log-in attempts per client address, over all accounts: 20 at once, then one per 3 s.
    static let loginPerAddress = RateLimit(burst: 20, perSecond: 1.0 / 3)
    /// Registrations per client address: 5 at once, then one per 10 minutes.
    static let registrationsPerAddress = RateLimit(burst: 5, perSecond: 1.0 / 600)
    /// Requests waiting for the hashing thread; past it a request is refused at once ("busy").
    static let workerQueueCapacity = 64

    init() {}

    init(_ c: ChatConfig) {
        registrationOpen = c.registration == .open
        authTimeout = Monotonic.nanoseconds(seconds: c.authTimeout)
        argon2 = Argon2Parameters(memoryKiB: UInt32(c.argon2MemoryKiB), iterations: UInt32(c.argon2Iterations), parallelism: 1)
    }

    /// The reason `password` is not acceptable, nil when it is.
    static func problem(withPassword password: some Collection<UInt8>) -> String? {
        if password.count < passwordBytes.lowerBound { return "password too short (at least \(passwordBytes.lowerBound) bytes)" }
        if password.count > passwordBytes.upperBound { return "password too long (at most \(passwordBytes.upperBound) bytes)" }
        return nil
    }
}

/// A token bucket's shape: `burst` at once, then `perSecond`.
struct RateLimit: Sendable {
    var burst: Double
    var perSecond: Double
}
