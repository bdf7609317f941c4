/// Replies about users: AWAY, WHOIS, WHO, ISON, USERHOST, NICK errors, user MODE.
extension IRCReply {
    /// 301 `<client> <nick> :<message>`.
    public func away(nick: String, message: String) -> IRCMessage {
        numeric("301", [nick, message])
    }

    /// 302 `<client> :[<reply>{ <reply>}]`, reply = `nick[*]=<+|->host` (built by the caller).
    public func userHost(_ replies: [String]) -> IRCMessage {
        numeric("302", [replies.joined(separator: " ")])
    }

    /// 303 `<client> :[<nickname>{ <nickname>}]`.
    public func isOn(_ nicks: [String]) -> IRCMessage {
        numeric("303", [nicks.joined(separator: " ")])
    }

    /// 305 `<client> :You are no longer marked as being away`.
    public func unaway() -> IRCMessage {
        numeric("305", ["You are no longer marked as being away"])
    }

    /// 306 `<client> :You have been marked as being away`.
    public func nowAway() -> IRCMessage {
        numeric("306", ["You have been marked as being away"])
    }

    /// 311 `<client> <nick> <username> <host> * :<realname>`.
    public func whoisUser(nick: String, user: String, host: String, realname: String) -> IRCMessage {
        numeric("311", [nick, user, host, "*", realname])
    }

    /// 312 `<client> <nick> <server> :<server info>`.
    public func whoisServer(nick: String, server: String, info: String) -> IRCMessage {
        numeric("312", [nick, server, info])
    }

    /// 317 `<client> <nick> <secs> <signon> :seconds idle, signon time`.
    public func whoisIdle(nick: String, idleSeconds: Int, signon: Int) -> IRCMessage {
        numeric("317", [nick, String(idleSeconds), String(signon), "seconds idle, signon time"])
    }

    /// 318 `<client> <nick> :End of /WHOIS list`; `nick` exactly as the client sent it.
    public func endOfWhois(nick: String) -> IRCMessage {
        numeric("318", [nick, "End of /WHOIS list"])
    }

    /// 319 `<client> <nick> :[prefix]<channel>{ [prefix]<channel>}`, split over lines when
    /// the list is long (the docs allow several 319s).
    public func whoisChannels(nick: String, channels: [String]) -> [IRCMessage] {
        packed("319", [nick], items: channels)
    }

    /// 315 `<client> <mask> :End of WHO list`; `mask` as the client sent it.
    public func endOfWho(mask: String) -> IRCMessage {
        numeric("315", [mask, "End of WHO list"])
    }

    /// 352 `<client> <channel> <username> <host> <server> <nick> <flags> :<hopcount>
    /// <realname>`; `channel` is `*` when not about a channel, flags are `H`/`G` then
    /// optionally `*` and the highest membership prefix.
    public func whoReply(
        channel: String, user: String, host: String, server: String, nick: String, flags: String,
        hopcount: Int = 0, realname: String
    ) -> IRCMessage {
        numeric("352", [channel, user, host, server, nick, flags, "\(hopcount) \(realname)"])
    }

    /// 401 `<client> <nickname> :No such nick/channel`.
    public func noSuchNick(_ nick: String) -> IRCMessage {
        numeric("401", [nick, "No such nick/channel"])
    }

    /// 406 `<client> :There was no such nickname` (the docs' layout, without the nick).
    public func wasNoSuchNick() -> IRCMessage {
        numeric("406", ["There was no such nickname"])
    }

    /// 431 `<client> :No nickname given`.
    public func noNicknameGiven() -> IRCMessage {
        numeric("431", ["No nickname given"])
    }

    /// 432 `<client> <nick> :Erroneus nickname` (the docs' spelling, which clients display).
    public func erroneousNickname(_ nick: String) -> IRCMessage {
        numeric("432", [nick, "Erroneus nickname"])
    }

    /// 433 `<client> <nick> :Nickname is already in use`.
    public func nicknameInUse(_ nick: String) -> IRCMessage {
        numeric("433", [nick, "Nickname is already in use"])
    }

    /// 436 `<client> <nick> :Nickname collision KILL from <user>@<host>`.
    public func nickCollision(_ nick: String, user: String, host: String) -> IRCMessage {
        numeric("436", [nick, "Nickname collision KILL from \(user)@\(host)"])
    }

    /// 501 `<client> :Unknown MODE flag`.
    public func unknownModeFlag() -> IRCMessage {
        numeric("501", ["Unknown MODE flag"])
    }

    /// 502 `<client> :Cant change mode for other users` (the docs' wording).
    public func usersDontMatch() -> IRCMessage {
        numeric("502", ["Cant change mode for other users"])
    }

    /// 411 `<client> :No recipient given (<command>)`.
    public func noRecipient(command: String) -> IRCMessage {
        numeric("411", ["No recipient given (\(command))"])
    }

    /// 412 `<client> :No text to send`.
    public func noTextToSend() -> IRCMessage {
        numeric("412", ["No text to send"])
    }
}
