import WebProtocol

/// The http:// listeners' settings, from the configuration at start (a reload keeps them): the
/// page (read once, so a request never touches the disk), who may open a WebSocket, and the
/// WebSocket liveness timing.
struct WebServerSettings: Sendable {
    let site: WebSite
    let origins: OriginPolicy
    let httpLimits = HTTPLimits()
    /// Milliseconds of silence before the server pings a WebSocket, and then to answer. Browsers
    /// answer pings themselves (RFC 6455 §5.5.2), so this finds dead peers and keeps NAT and proxy
    /// idle timers (often 60 s) from cutting a quiet chat.
    static let pingInterval: Int64 = 30_000
    static let pongTimeout: Int64 = 30_000
    /// Rooms one browser connection may be in (as IRC's CHANLIMIT).
    static let maxRooms = IRCServerSettings.maxChannels

    init(site: WebSite, allowedOrigins: [String]) {
        self.site = site
        if allowedOrigins.contains("*") {
            origins = .any
        } else {
            origins = allowedOrigins.isEmpty ? .sameHost : .allowed(allowedOrigins)
        }
    }
}
