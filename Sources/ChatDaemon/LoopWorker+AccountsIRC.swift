import EventLoop
import IRCProtocol
import Room

/// Accounts on IRC: how an answer of the account thread is shown (SASL numerics, REGISTER replies).
extension LoopWorker {
    func showAccountOutcomeIRC(_ conn: Connection, _ request: AccountSession.Request, _ outcome: AccountOutcome) {
        switch outcome {
        case .loggedIn(let account):
            send(conn, ircReply(conn).notice("you are logged in as \(account)"))
        case .refused(let refusal):
            send(conn, ircReply(conn).notice(refusal.description))
        }
    }
}
