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
