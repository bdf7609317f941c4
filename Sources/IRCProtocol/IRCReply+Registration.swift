/// The registration burst and connection-level replies (Modern IRC "Connection
/// Registration", numerics 001–005, 221, 251–255, 372–376, 409, 417, 421, 422, 451, 462,
/// 464).
extension IRCReply {
    /// 001 `<client> :Welcome to the <networkname> Network, <nick>`. The docs allow
    /// `!<user>@<host>` after the nick; it is left out because clients must not resolve it
    /// and chatd's hosts are cloaks anyway.
    public func welcome(network: String, nick: String) -> IRCMessage {
        numeric("001", ["Welcome to the \(network) Network, \(nick)"])
    }

    /// 002 `<client> :Your host is <servername>, running version <version>`.
    public func yourHost(version: String) -> IRCMessage {
        numeric("002", ["Your host is \(server), running version \(version)"])
    }

    /// 003 `<client> :This server was created <datetime>`.
    public func created(_ datetime: String) -> IRCMessage {
        numeric("003", ["This server was created \(datetime)"])
    }

    /// 004 `<client> <servername> <version> <available user modes> <available channel
    /// modes> [<channel modes with a parameter>]`.
    public func myInfo(version: String, userModes: String, channelModes: String, channelModesWithParameter: String? = nil)
        -> IRCMessage
    {
        numeric("004", [server, version, userModes, channelModes] + (channelModesWithParameter.map { [$0] } ?? []))
    }

    /// 005 `<client> <1-13 tokens> :are supported by this server`, as many lines as needed.
    public func isupport(_ tokens: [IRCISupportToken]) -> [IRCMessage] {
        // ":" server " 005 " client … " :are supported by this server"
        let overhead = 1 + server.utf8.count + 5 + client.utf8.count + 30
        return IRCISupportToken.lines(tokens, maxBytes: IRCLimits.maxBodyBytes - overhead)
            .map { numeric("005", $0 + ["are supported by this server"]) }
    }

    /// 221 `<client> <user modes>` (e.g. "+i", or "+" for none).
    public func userModeIs(_ modes: String) -> IRCMessage {
        numeric("221", [modes])
    }

    /// 251 `<client> :There are <u> users and <i> invisible on <s> servers`.
    public func luserClient(users: Int, invisible: Int, servers: Int) -> IRCMessage {
        numeric("251", ["There are \(users) users and \(invisible) invisible on \(servers) servers"])
    }

    /// 252 `<client> <ops> :operator(s) online`.
    public func luserOp(_ operators: Int) -> IRCMessage {
        numeric("252", [String(operators), "operator(s) online"])
    }

    /// 253 `<client> <connections> :unknown connection(s)`.
    public func luserUnknown(_ connections: Int) -> IRCMessage {
        numeric("253", [String(connections), "unknown connection(s)"])
    }

    /// 254 `<client> <channels> :channels formed`.
    public func luserChannels(_ channels: Int) -> IRCMessage {
        numeric("254", [String(channels), "channels formed"])
    }

    /// 255 `<client> :I have <c> clients and <s> servers`.
    public func luserMe(clients: Int, servers: Int) -> IRCMessage {
        numeric("255", ["I have \(clients) clients and \(servers) servers"])
    }

    /// 265 `<client> [<u> <m>] :Current local users <u>, max <m>`.
    public func localUsers(current: Int, max: Int) -> IRCMessage {
        numeric("265", [String(current), String(max), "Current local users \(current), max \(max)"])
    }

    /// 266 `<client> [<u> <m>] :Current global users <u>, max <m>`.
    public func globalUsers(current: Int, max: Int) -> IRCMessage {
        numeric("266", [String(current), String(max), "Current global users \(current), max \(max)"])
    }

    /// 375 `<client> :- <server> Message of the day - `, one 372 `<client> :<line>` per
    /// line, 376 `<client> :End of /MOTD command.`; or, without a MOTD, 422
    /// `<client> :MOTD File is missing` (clients autojoin on either 376 or 422).
    public func motd(_ text: String?) -> [IRCMessage] {
        guard let text, !text.isEmpty else { return [numeric("422", ["MOTD File is missing"])] }
        var lines = [numeric("375", ["- \(server) Message of the day - "])]
        // Split on LF bytes: "\r\n" is one Character, so splitting Characters would miss it.
        for raw in text.utf8.split(separator: IRCBytes.lf, omittingEmptySubsequences: false) {
            let line = raw.last == IRCBytes.cr ? raw.dropLast() : raw[...]
            lines.append(numeric("372", ["- " + String(decoding: line, as: UTF8.self)]))
        }
        lines.append(numeric("376", ["End of /MOTD command."]))
        return lines
    }

    /// 409 `<client> :No origin specified` (PING without a token).
    public func noOrigin() -> IRCMessage {
        numeric("409", ["No origin specified"])
    }

    /// 417 `<client> :Input line was too long`.
    public func inputTooLong() -> IRCMessage {
        numeric("417", ["Input line was too long"])
    }

    /// 421 `<client> <command> :Unknown command`.
    public func unknownCommand(_ command: String) -> IRCMessage {
        numeric("421", [command, "Unknown command"])
    }

    /// 451 `<client> :You have not registered`.
    public func notRegistered() -> IRCMessage {
        numeric("451", ["You have not registered"])
    }

    /// 461 `<client> <command> :Not enough parameters`.
    public func needMoreParams(_ command: String) -> IRCMessage {
        numeric("461", [command, "Not enough parameters"])
    }

    /// 462 `<client> :You may not reregister`.
    public func alreadyRegistered() -> IRCMessage {
        numeric("462", ["You may not reregister"])
    }

    /// 464 `<client> :Password incorrect`.
    public func passwordMismatch() -> IRCMessage {
        numeric("464", ["Password incorrect"])
    }

    /// 410 `<client> <subcommand> :Invalid CAP command` (IRCv3 capability negotiation,
    /// "Errors"; not in the Modern numerics list but what ergo and the spec send).
    public func invalidCapCommand(_ subcommand: String) -> IRCMessage {
        numeric("410", [subcommand, "Invalid CAP command"])
    }
}
