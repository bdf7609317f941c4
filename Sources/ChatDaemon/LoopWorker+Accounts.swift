import ChatProtocol
import EventLoop
import Logging
import Room
import Store

/// Accounts in the session, for every protocol: register and log-in requests (checked against the
/// rate limits here, hashed on the account thread, answered through the mailbox), and the
/// protection of registered names — a connection holding one without being logged in to it is
/// renamed to a guest name after `--auth-timeout`.
extension LoopWorker {
    /// `/register PASSWORD`, `/login PASSWORD` (framed): for the account of the current name.
    func executeAccount(_ command: AccountCommand, for conn: Connection) {
        let request: AccountSession.Request
        if case .register = command { request = .register } else { request = .login }
        if let refusal = requestAccount(request, name: conn.name, password: Array(command.password.utf8), for: conn) {
            refuse(refusal, to: conn)
        }
    }

    /// Starts `request` for account `name`. Returns the refusal to show, or nil when the request
    /// went to the account thread (`accountAnswered` shows the outcome).
    func requestAccount(_ request: AccountSession.Request, name: String, password: [UInt8], for conn: Connection) -> String? {
        guard let accounts else { return "this server has no accounts" }
        let registering = request == .register || request == .ircRegister
        if let problem = AccountSettings.problem(withPassword: password) { return problem }
        let session = conn.accountSession
        if session.pending != nil { return "a log-in or registration is already in progress" }
        if let current = session.name {
            if registering || NameKey.fold(current) == NameKey.fold(name) { return "you are already logged in as \(current)" }
        }
        if name.isEmpty { return "choose a name first" }
        let mailbox = hub.mailboxes[loop.index]
        let id = conn.id
        let kind: AccountJob.Kind = registering ? .register(flags: []) : .login
        if let refusal = accounts.submit(kind, name: name, password: password, address: conn.address, now: loop.now, reply: { outcome in
            mailbox.post(.account(id, outcome))
        }) {
            logger.notice(registering ? "registration refused" : "log-in refused", metadata: meta(conn, reason: refusal))
            return refusal
        }
        session.pending = request
        return nil
    }

    /// The account thread's answer (`LoopMessage.account`).
    func accountAnswered(_ conn: Connection, _ outcome: AccountOutcome) {
        guard let session = conn.account, let request = session.pending else { return }
        session.pending = nil
        switch outcome {
        case .loggedIn(let account):
            session.name = account
            if refuseServerBanned(conn, account: account) { return }
            var m = meta(conn)
            m["chat.account"] = "\(account)"
            logger.notice("logged in to account", metadata: m)
        case .refused(let refusal):
            logger.notice("log-in refused", metadata: meta(conn, reason: refusal.description))
        }
        switch conn.wire {
        case .irc:
            showAccountOutcomeIRC(conn, request, outcome)
        case .framed, .http:
            switch outcome {
            case .loggedIn(let account):
                serverNotice(request == .register ? "registered and logged in as \(account)" : "you are logged in as \(account)", to: conn)
            case .refused(let refusal):
                refuse(refusal.description, to: conn)
            }
        case .metrics: ListenScheme.notAChatProtocol()
        }
    }

    /// After `conn` took its current name: when that is a registered account's and `conn` is not
    /// logged in to it, says so and starts the auth timeout.
    func protectRegisteredName(_ conn: Connection) {
        guard let accounts, let record = accounts.account(named: conn.name) else { return }
        if let current = conn.accountName, NameKey.fold(current) == record.key { return }
        let session = conn.accountSession
        session.authDeadline = loop.now &+ accounts.settings.authTimeout
        schedule(conn, .authTimeout, at: session.authDeadline)
        serverNotice(
            "\(conn.name) is a registered account: \(loginHint(conn)) within \(Self.seconds(accounts.settings.authTimeout)) s or you will be renamed",
            to: conn)
    }

    /// The auth timeout of the current name passed: still not logged in to it → a guest name.
    func authTimeoutPassed(_ conn: Connection) {
        guard conn.phase == .active, conn.closeReason == nil, let accounts, let session = conn.account,
              loop.now >= session.authDeadline, let record = accounts.account(named: conn.name)
        else { return }
        if let current = session.name, NameKey.fold(current) == record.key { return }
        let old = conn.name
        let why = "\(old) is a registered account and you did not log in within \(Self.seconds(accounts.settings.authTimeout)) s"
        for attempt in 0..<16 {
            let guest = "Guest" + String(UInt32.random(in: 0..<(attempt < 8 ? 10_000 : 100_000_000)))
            if accounts.account(named: guest) == nil && rename(conn, to: guest) {
                logger.notice("renamed: auth timeout", metadata: meta(conn, reason: "was \(old)"))
                serverNotice("you are now \(guest): \(why)", to: conn)
                return
            }
        }
        closeGracefully(conn, .refused, error: why, reason: "auth timeout")
    }

    /// How this protocol's user logs in, for the auth-timeout notice.
    func loginHint(_ conn: Connection) -> String {
        switch conn.wire {
        case .irc: "log in with SASL"
        case .http: "log in"
        default: "send /login PASSWORD"
        }
    }

    static func seconds(_ nanoseconds: UInt64) -> String {
        let s = Double(nanoseconds) / 1e9
        return s == s.rounded() ? "\(Int(s))" : "\(s)"
    }
}
