/// `/register PASSWORD` and `/login PASSWORD`: account commands for the user's current name.
/// The password is the rest of the message, verbatim (spaces allowed). Its description never
/// shows it, so no log line or test failure message can leak one.
public enum AccountCommand: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Register the current name as an account with this password, and log in to it.
    case register(password: String)
    /// Log in to the account of the current name.
    case login(password: String)

    public var password: String {
        switch self {
        case .register(let p), .login(let p): p
        }
    }

    public var description: String {
        switch self {
        case .register: "register(password: <hidden>)"
        case .login: "login(password: <hidden>)"
        }
    }

    public var debugDescription: String { description }

    static let helpText = [
        "/register PASSWORD  register your name as an account (then only you can keep it)",
        "/login PASSWORD     log in to the account of your name",
    ]

    /// `name` is the lower-cased command name ("register" or "login"); `rest` what follows it.
    static func parse(_ name: String, _ rest: ArgumentCursor) -> ChatInput {
        guard let password = rest.remainder() else { return .invalid("usage: /\(name) PASSWORD") }
        return .account(name == "register" ? .register(password: password) : .login(password: password))
    }
}
