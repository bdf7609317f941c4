import ChatProtocol
import EventLoop
import IRCProtocol

/// The IRC listener's settings, from the configuration at start (a reload keeps them).
struct IRCServerSettings: Sendable {
    let serverName: String
    let networkName: String
    /// Nanoseconds without input before the server pings.
    let pingInterval: UInt64
    /// Nanoseconds to answer a ping.
    let pingTimeout: UInt64
    let registration: IRCRegistration.Configuration
    /// "Tue Dec 1 2026 at 03:04:05 UTC" of the start, for 003.
    let created: String
    /// Channels one IRC client may be in (CHANLIMIT, 405).
    static let maxChannels = 50
    /// `draft/chathistory` is offered (the daemon has a history archive).
    let chatHistory: Bool
    /// ISUPPORT MAXLIST for bans (`--max-bans-per-room`, as at start).
    let maxBans: Int
    /// Nicks one KICK may name (TARGMAX).
    static let maxKickTargets = 4

    init(_ c: ChatConfig, chatHistory: Bool = false) {
        self.chatHistory = chatHistory
        maxBans = c.maxBansPerRoom
        serverName = c.serverName
        networkName = c.networkName
        pingInterval = Monotonic.nanoseconds(seconds: c.ircPingInterval)
        pingTimeout = Monotonic.nanoseconds(seconds: c.ircPingTimeout)
        registration = IRCRegistration.Configuration(
            server: c.serverName,
            capabilities: IRCCapability.chatdDefaults + (chatHistory ? [IRCCapability("draft/chathistory")] : [])
                + LoopWorker.accountCapabilities(registrationOpen: c.registration == .open),
            password: c.ircPassword, maxNickBytes: 32)
        created = IRCServerTime.format(millisecondsSince1970: WallClock.milliseconds())
    }

    /// 005 ISUPPORT (Modern IRC "RPL_ISUPPORT Parameters").
    var isupport: [IRCISupportToken] {
        // IRCv3 chathistory: the most one request returns, and the reference types it takes.
        let history = chatHistory
            ? [IRCISupportToken("CHATHISTORY", LoopWorker.chatHistoryLimit), IRCISupportToken("MSGREFTYPES", "msgid,timestamp")]
            : []
        return history + [
            IRCISupportToken("CASEMAPPING", "ascii"), IRCISupportToken("CHANTYPES", "#"),
            // Modes chatd implements (LoopWorker+IRCModeration): list b, key k, flags i m n s t;
            // member prefixes o (@) and v (+).
            IRCISupportToken("PREFIX", "(ov)@+"), IRCISupportToken("CHANMODES", "b,k,,imnst"),
            IRCISupportToken("MAXLIST", "b:\(maxBans)"),
            IRCISupportToken("NICKLEN", 32), IRCISupportToken("CHANNELLEN", 33), IRCISupportToken("TOPICLEN", 390),
            IRCISupportToken("NETWORK", networkName), IRCISupportToken("CHANLIMIT", "#:\(Self.maxChannels)"),
            IRCISupportToken(
                "TARGMAX",
                "PRIVMSG:1,NOTICE:1,JOIN:\(Self.maxChannels),PART:\(Self.maxChannels),NAMES:1,WHOIS:1,KICK:\(Self.maxKickTargets)"),
            IRCISupportToken("AWAYLEN", 390), IRCISupportToken("UTF8ONLY"), IRCISupportToken("MODES", ModeString.maxChanges),
            IRCISupportToken("KICKLEN", 390),
        ]
    }
}
