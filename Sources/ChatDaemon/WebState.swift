import WebProtocol

/// One http:// connection's protocol state, beside the common `Connection` fields: HTTP
/// requests until `GET /ws` upgrades it, then the WebSocket session (chatd.v1).
final class WebState {
    var parser: HTTPRequestParser
    /// Set by the upgrade; from then on every byte is a WebSocket frame.
    var session: WebSocketSession?
    /// Monotonic ns by which the current request (or, once upgraded, the hello) must be
    /// complete; moved on by every served request, so a keep-alive connection that keeps asking
    /// is not cut while one that trickles a head (slowloris) or idles is.
    var deadline: UInt64

    init(limits: HTTPLimits, deadline: UInt64) {
        parser = HTTPRequestParser(limits: limits)
        self.deadline = deadline
    }
}
