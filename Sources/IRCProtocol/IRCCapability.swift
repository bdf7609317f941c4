/// One IRCv3 capability the server offers (Capability Negotiation, "CAP LS"). `value` is
/// shown only to clients that asked for `CAP LS 302` (e.g. `sasl=PLAIN`).
public struct IRCCapability: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String?

    public init(_ name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// What chatd implements (issue 11): server-time, message-tags, echo-message,
    /// multi-prefix, cap-notify, away-notify, batch.
    public static let chatdDefaults: [IRCCapability] = [
        "server-time", "message-tags", "echo-message", "multi-prefix", "cap-notify", "away-notify", "batch",
    ].map { IRCCapability($0) }
}

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
