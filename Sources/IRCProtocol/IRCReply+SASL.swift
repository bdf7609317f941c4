/// SASL and account numerics (IRCv3 "SASL Authentication", sasl-3.1; Modern IRC numerics
/// 900–908) and the `draft/account-registration` replies.
extension IRCReply {
    /// 900 `<client> <nick>!<user>@<host> <account> :You are now logged in as <account>`.
    public func loggedIn(mask: String, account: String) -> IRCMessage {
        numeric("900", [mask, account, "You are now logged in as \(account)"])
    }

    /// 903 `<client> :SASL authentication successful`.
    public func saslSuccess() -> IRCMessage { numeric("903", ["SASL authentication successful"]) }

    /// 904 `<client> :SASL authentication failed`.
    public func saslFail() -> IRCMessage { numeric("904", ["SASL authentication failed"]) }

    /// 905 `<client> :SASL message too long`.
    public func saslTooLong() -> IRCMessage { numeric("905", ["SASL message too long"]) }

    /// 906 `<client> :SASL authentication aborted`.
    public func saslAborted() -> IRCMessage { numeric("906", ["SASL authentication aborted"]) }

    /// 907 `<client> :You have already authenticated using SASL`.
    public func saslAlready() -> IRCMessage { numeric("907", ["You have already authenticated using SASL"]) }

    /// 908 `<client> <mechanisms> :are available SASL mechanisms`.
    public func saslMechanisms(_ list: String) -> IRCMessage { numeric("908", [list, "are available SASL mechanisms"]) }

    /// `AUTHENTICATE +`: the server's empty challenge (PLAIN has no challenge).
    public func authenticateContinue() -> IRCMessage {
        IRCMessage(command: "AUTHENTICATE", params: ["+"])
    }

    /// `REGISTER SUCCESS <account> :<message>` (draft/account-registration).
    public func registerSuccess(account: String, _ message: String) -> IRCMessage {
        IRCReply.fitted(IRCMessage(source: server, command: "REGISTER", params: ["SUCCESS", account, IRCReply.text(message)]))
    }

    /// `FAIL <command> <code> [<context>…] :<description>` (IRCv3 standard replies).
    public func fail(_ command: String, _ code: String, context: [String] = [], _ description: String) -> IRCMessage {
        let safe = context.map { IRCReply.isMiddleParam($0) ? $0 : "*" }
        return IRCReply.fitted(IRCMessage(source: server, command: "FAIL", params: [command, code] + safe + [IRCReply.text(description)]))
    }
}
