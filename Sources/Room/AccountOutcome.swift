/// The answer of the account worker (password hashing and checking run off the event loops) to
/// one request of a connection, posted to the connection's loop (`LoopMessage.account`). The
/// connection remembers what it asked (register or log in, and through which protocol), so the
/// outcome only says what happened.
public enum AccountOutcome: Sendable, Equatable {
    /// The password matched (log in) or the account was created (register): the connection is
    /// now logged in to `account`, the name as registered.
    case loggedIn(account: String)
    case refused(AccountRefusal)
}

public enum AccountRefusal: Sendable, Equatable {
    case noSuchAccount(String)
    case wrongPassword
    case exists(String)
    /// Hashing or storage failed (logged by the worker with the reason).
    case failed

    public var description: String {
        switch self {
        case .noSuchAccount(let name): "\(name) is not a registered account"
        case .wrongPassword: "wrong password"
        case .exists(let name): "\(name) is already registered"
        case .failed: "the account service failed; try again later"
        }
    }
}
