/// What the registration settled on, for the session that takes over.
public struct IRCRegistered: Sendable, Equatable {
    public var nick: String
    /// USER's first parameter made safe for masks (`IRCNames.sanitizeUser`).
    public var user: String
    public var realname: String
    /// Enabled capability names.
    public var capabilities: Set<String>
    /// 302 when the client sent `CAP LS 302` (or higher): it gets cap values and
    /// `CAP NEW/DEL` (cap-notify is implied); 301 for a plain `CAP LS`; 0 when it never
    /// negotiated.
    public var capVersion: Int

    public init(nick: String, user: String, realname: String, capabilities: Set<String>, capVersion: Int) {
        self.nick = nick
        self.user = user
        self.realname = realname
        self.capabilities = capabilities
        self.capVersion = capVersion
    }
}
