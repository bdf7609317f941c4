import EventLoop
import IRCProtocol
import Room

/// Accounts on IRC: SASL PLAIN (`AUTHENTICATE`, IRCv3 sasl-3.1, numerics 900–908) before or after
/// registration, `REGISTER` (IRCv3 draft/account-registration) after it, and how the account
/// thread's answers are shown.
extension LoopWorker {
    /// The capabilities accounts add to CAP LS.
    static func accountCapabilities(registrationOpen: Bool) -> [IRCCapability] {
        [IRCCapability("sasl", value: IRCSASLExchange.mechanisms), IRCCapability("account-tag"), IRCCapability("extended-join")]
            + (registrationOpen ? [IRCCapability("draft/account-registration")] : [])
    }

    /// `AUTHENTICATE` and `REGISTER`, in either phase; false for any other command.
    func handleAccountCommandIRC(_ conn: Connection, _ m: IRCMessage) -> Bool {
        if m.isCommand("AUTHENTICATE") {
            authenticateIRC(conn, m)
        } else if m.isCommand("REGISTER") {
            registerIRC(conn, m)
        } else {
            return false
        }
        return true
    }

    func authenticateIRC(_ conn: Connection, _ m: IRCMessage) {
        let rp = ircReply(conn)
        guard let parameter = m.params.first, !parameter.isEmpty else { return send(conn, rp.needMoreParams("AUTHENTICATE")) }
        let session = conn.accountSession
        if session.name != nil { return send(conn, rp.saslAlready()) }
        if session.pending != nil { return send(conn, rp.saslFail()) }
        var exchange = session.sasl ?? IRCSASLExchange()
        let step = exchange.feed(parameter)
        session.sasl = nil
        switch step {
        case .challenge:
            session.sasl = exchange
            send(conn, rp.authenticateContinue())
        case .needMore:
            session.sasl = exchange
        case .credentials(let plain):
            guard plain.actsAsItself else {
                return send(conn, rp.notice("SASL: logging in as another account (authzid) is not supported"), rp.saslFail())
            }
            if let refusal = requestAccount(.sasl, name: plain.authentication, password: plain.password, for: conn) {
                send(conn, rp.notice("SASL: \(refusal)"), rp.saslFail())
            }
        case .unknownMechanism:
            send(conn, rp.saslMechanisms(IRCSASLExchange.mechanisms), rp.saslFail())
        case .invalid:
            send(conn, rp.saslFail())
        case .tooLong:
            send(conn, rp.saslTooLong())
        case .aborted:
            send(conn, rp.saslAborted())
        }
    }

    /// `REGISTER <account> <email> <password>`: the account must be `*` or the current nick
    /// (chatd accounts are nicknames); the email is not used.
    func registerIRC(_ conn: Connection, _ m: IRCMessage) {
        let rp = ircReply(conn)
        guard conn.phase == .active else {
            return send(conn, rp.fail("REGISTER", "COMPLETE_CONNECTION_REQUIRED", "Register after connecting"))
        }
        guard m.params.count >= 3 else { return send(conn, rp.needMoreParams("REGISTER")) }
        let wanted = m.params[0]
        guard wanted == "*" || NameKey.fold(wanted) == NameKey.fold(conn.name) else {
            return send(conn, rp.fail("REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", context: [wanted], "The account name must be your nickname"))
        }
        if let current = conn.accountName {
            return send(conn, rp.fail("REGISTER", "ALREADY_AUTHENTICATED", context: [current], "You are already logged in as \(current)"))
        }
        let password = Array(m.params[2].utf8)
        if let problem = AccountSettings.problem(withPassword: password) {
            let code = password.count < AccountSettings.passwordBytes.lowerBound ? "WEAK_PASSWORD" : "UNACCEPTABLE_PASSWORD"
            return send(conn, rp.fail("REGISTER", code, problem))
        }
        if let accounts, accounts.account(named: conn.name) != nil {
            return send(conn, rp.fail("REGISTER", "ACCOUNT_EXISTS", context: [conn.name], "\(conn.name) is already registered"))
        }
        if let refusal = requestAccount(.ircRegister, name: conn.name, password: password, for: conn) {
            send(conn, rp.fail("REGISTER", "TEMPORARILY_UNAVAILABLE", context: [conn.name], refusal))
        }
    }

    func showAccountOutcomeIRC(_ conn: Connection, _ request: AccountSession.Request, _ outcome: AccountOutcome) {
        let rp = ircReply(conn)
        let nick = conn.phase == .active ? conn.name : (conn.irc?.registration.nick ?? "*")
        let mask = "\(nick)!\(conn.irc?.registration.user ?? nick)@irc"
        switch (request, outcome) {
        case (.ircRegister, .loggedIn(let account)):
            send(conn, rp.registerSuccess(account: account, "Account created"), rp.loggedIn(mask: mask, account: account))
        case (.ircRegister, .refused(let refusal)):
            if case .exists(let name) = refusal {
                send(conn, rp.fail("REGISTER", "ACCOUNT_EXISTS", context: [name], refusal.description))
            } else {
                send(conn, rp.fail("REGISTER", "TEMPORARILY_UNAVAILABLE", context: [nick], refusal.description))
            }
        case (_, .loggedIn(let account)):
            send(conn, rp.loggedIn(mask: mask, account: account), rp.saslSuccess())
        case (_, .refused):
            send(conn, rp.saslFail())
        }
    }
}
