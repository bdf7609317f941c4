import IRCProtocol

/// One IRC connection's protocol state, beside the common `Connection` fields.
final class IRCState {
    var registration: IRCRegistration
    var decoder = IRCLineDecoder()
    // Negotiated capabilities (IRCv3), read on the delivery path.
    var serverTime = false
    var echoMessage = false
    var batch = false
    var awayNotify = false
    var multiPrefix = false
    var messageTags = false
    /// draft/chathistory: the client fetches history itself, so joins replay none.
    var chatHistory = false
    /// account-tag and extended-join: whose account sent a message, and joins with the account.
    var accountTag = false
    var extendedJoin = false
    /// A PING was sent and no input has arrived since.
    var pingSent = false
    /// The last multi-room action (nick change, quit) shown, so it is shown once.
    var lastAction: UInt64 = 0
    var batches = 0

    init(registration: IRCRegistration) {
        self.registration = registration
    }

    func apply(capabilities: Set<String>) {
        serverTime = capabilities.contains("server-time")
        echoMessage = capabilities.contains("echo-message")
        batch = capabilities.contains("batch")
        awayNotify = capabilities.contains("away-notify")
        multiPrefix = capabilities.contains("multi-prefix")
        messageTags = capabilities.contains("message-tags")
        chatHistory = capabilities.contains("draft/chathistory")
        accountTag = capabilities.contains("account-tag")
        extendedJoin = capabilities.contains("extended-join")
    }
}
