/// Replies about channels: LIST, MODE, TOPIC, NAMES and the channel errors.
extension IRCReply {
    /// 321 `<client> Channel :Users  Name` (optional; clients must not depend on it).
    public func listStart() -> IRCMessage {
        numeric("321", ["Channel", "Users  Name"])
    }

    /// 322 `<client> <channel> <client count> :<topic>`.
    public func list(channel: String, count: Int, topic: String) -> IRCMessage {
        numeric("322", [channel, String(count), topic])
    }

    /// 323 `<client> :End of /LIST`.
    public func listEnd() -> IRCMessage {
        numeric("323", ["End of /LIST"])
    }

    /// 324 `<client> <channel> <modestring> <mode arguments>...`.
    public func channelModeIs(channel: String, modes: String, arguments: [String] = []) -> IRCMessage {
        numeric("324", [channel, modes] + arguments)
    }

    /// 329 `<client> <channel> <creationtime>` (Unix seconds).
    public func creationTime(channel: String, created: Int) -> IRCMessage {
        numeric("329", [channel, String(created)])
    }

    /// 331 `<client> <channel> :No topic is set`.
    public func noTopic(channel: String) -> IRCMessage {
        numeric("331", [channel, "No topic is set"])
    }

    /// 332 `<client> <channel> :<topic>`.
    public func topic(channel: String, topic: String) -> IRCMessage {
        numeric("332", [channel, topic])
    }

    /// 333 `<client> <channel> <nick> <setat>` (Unix seconds).
    public func topicWhoTime(channel: String, setter: String, setAt: Int) -> IRCMessage {
        numeric("333", [channel, setter, String(setAt)])
    }

    /// Channel status symbol of 353: public, secret (+s) or private (+p).
    public enum ChannelSymbol: String, Sendable {
        case `public` = "=", secret = "@", `private` = "*"
    }

    /// 353 `<client> <symbol> <channel> :[prefix]<nick>{ [prefix]<nick>}`, as many lines as
    /// the names need (each within 512 bytes). `names` already carry their prefixes.
    public func namesReply(channel: String, symbol: ChannelSymbol = .public, names: [String]) -> [IRCMessage] {
        packed("353", [symbol.rawValue, channel], items: names)
    }

    /// 366 `<client> <channel> :End of /NAMES list`.
    public func endOfNames(channel: String) -> IRCMessage {
        numeric("366", [channel, "End of /NAMES list"])
    }

    /// 367 `<client> <channel> <mask> [<who> <set-ts>]`.
    public func banList(channel: String, mask: String, setter: String? = nil, setAt: Int? = nil) -> IRCMessage {
        var params = [channel, mask]
        if let setter, let setAt { params += [setter, String(setAt)] }
        return numeric("367", params)
    }

    /// 368 `<client> <channel> :End of channel ban list`.
    public func endOfBanList(channel: String) -> IRCMessage {
        numeric("368", [channel, "End of channel ban list"])
    }

    /// 403 `<client> <channel> :No such channel`.
    public func noSuchChannel(_ channel: String) -> IRCMessage {
        numeric("403", [channel, "No such channel"])
    }

    /// 404 `<client> <channel> :Cannot send to channel`.
    public func cannotSendToChannel(_ channel: String) -> IRCMessage {
        numeric("404", [channel, "Cannot send to channel"])
    }

    /// 405 `<client> <channel> :You have joined too many channels`.
    public func tooManyChannels(_ channel: String) -> IRCMessage {
        numeric("405", [channel, "You have joined too many channels"])
    }

    /// 441 `<client> <nick> <channel> :They aren't on that channel`.
    public func userNotInChannel(nick: String, channel: String) -> IRCMessage {
        numeric("441", [nick, channel, "They aren't on that channel"])
    }

    /// 442 `<client> <channel> :You're not on that channel`.
    public func notOnChannel(_ channel: String) -> IRCMessage {
        numeric("442", [channel, "You're not on that channel"])
    }

    /// 471 `<client> <channel> :Cannot join channel (+l)`.
    public func channelIsFull(_ channel: String) -> IRCMessage {
        numeric("471", [channel, "Cannot join channel (+l)"])
    }

    /// 472 `<client> <modechar> :is unknown mode char to me`.
    public func unknownMode(_ modeChar: String) -> IRCMessage {
        numeric("472", [modeChar, "is unknown mode char to me"])
    }

    /// 473 `<client> <channel> :Cannot join channel (+i)`.
    public func inviteOnlyChannel(_ channel: String) -> IRCMessage {
        numeric("473", [channel, "Cannot join channel (+i)"])
    }

    /// 474 `<client> <channel> :Cannot join channel (+b)`.
    public func bannedFromChannel(_ channel: String) -> IRCMessage {
        numeric("474", [channel, "Cannot join channel (+b)"])
    }

    /// 475 `<client> <channel> :Cannot join channel (+k)`.
    public func badChannelKey(_ channel: String) -> IRCMessage {
        numeric("475", [channel, "Cannot join channel (+k)"])
    }

    /// 476 `<client> <channel> :Bad Channel Mask`. The docs list it without `<client>`;
    /// every other numeric has it, clients parse it that way, and ergo sends it so.
    public func badChannelMask(_ channel: String) -> IRCMessage {
        numeric("476", [channel, "Bad Channel Mask"])
    }

    /// 477 `<client> <channel> :Channel doesn't support modes` (RFC 2812 ERR_NOCHANMODES).
    /// Modern IRC does not define 477 and servers disagree on it (ergo: "you need a
    /// registered nick"); prefer 403/404/482, which clients understand.
    public func noChannelModes(_ channel: String) -> IRCMessage {
        numeric("477", [channel, "Channel doesn't support modes"])
    }

    /// 482 `<client> <channel> :You're not channel operator`.
    public func channelOperatorPrivilegesNeeded(_ channel: String) -> IRCMessage {
        numeric("482", [channel, "You're not channel operator"])
    }
}
