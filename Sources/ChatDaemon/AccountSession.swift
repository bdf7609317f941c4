import IRCProtocol

/// A connection's account state: nil on `Connection` for a guest who never tried to log in, so
/// guests carry one nil reference and nothing more.
final class AccountSession {
    /// What the connection asked the account thread, until the answer arrives (one at a time).
    enum Request: Equatable {
        /// `/login`, chatd.v1 `login`.
        case login
        /// `/register`, chatd.v1 `register`.
        case register
        /// IRC SASL PLAIN (answered with 900/903 or 904).
        case sasl
        /// IRC `REGISTER` (draft/account-registration).
        case ircRegister
    }

    /// The account logged in to (the name as registered); nil until a log-in succeeds.
    var name: String?
    var pending: Request?
    /// IRC SASL: the exchange in progress (`AUTHENTICATE`), nil between exchanges.
    var sasl: IRCSASLExchange?
    /// Monotonic ns by which the current (registered) name must be logged in to; an auth timer
    /// firing earlier belongs to a name held before and is ignored.
    var authDeadline: UInt64 = 0

    init() {}
}

extension Connection {
    /// The account this connection is logged in to, nil for a guest: who the user *is*, as
    /// opposed to `name`, which any guest may hold until the auth timeout renames them.
    var accountName: String? { account?.name }

    /// The account session, created on first use.
    var accountSession: AccountSession {
        if let account { return account }
        let s = AccountSession()
        account = s
        return s
    }
}
