extension IRCReply {
    /// 437 `<client> <channel> :<reason>` (ERR_UNAVAILRESOURCE, RFC 2812 §5.2: "the channel is
    /// temporarily unavailable"): a join that could not complete because the cluster link is down.
    public func unavailableResource(_ channel: String, reason: String) -> IRCMessage {
        numeric("437", [channel, reason])
    }
}
