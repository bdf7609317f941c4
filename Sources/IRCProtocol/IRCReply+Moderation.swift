/// Replies and errors of channel moderation: INVITE, KILL and the ban list (Modern IRC numerics).
extension IRCReply {
    /// 341 `<client> <nick> <channel>`: the invite was sent.
    public func inviting(nick: String, channel: String) -> IRCMessage {
        numeric("341", [nick, channel])
    }

    /// 443 `<client> <nick> <channel> :is already on channel`.
    public func userOnChannel(nick: String, channel: String) -> IRCMessage {
        numeric("443", [nick, channel, "is already on channel"])
    }

    /// 478 `<client> <channel> <char> :Channel list is full` (ERR_BANLISTFULL).
    public func banListFull(channel: String, mode: Character = "b") -> IRCMessage {
        numeric("478", [channel, String(mode), "Channel list is full"])
    }

    /// 481 `<client> :Permission Denied- You're not an IRC operator`.
    public func noPrivileges() -> IRCMessage {
        numeric("481", ["Permission Denied- You're not an IRC operator"])
    }

    /// 696 `<client> <target> <mode char> <parameter> :<description>` (ERR_INVALIDMODEPARAM).
    public func invalidModeParameter(target: String, mode: Character, parameter: String, description: String) -> IRCMessage {
        numeric("696", [target, String(mode), parameter.isEmpty ? "*" : parameter, description])
    }
}
