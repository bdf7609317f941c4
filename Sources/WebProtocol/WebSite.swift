/// The http:// listener's routes: the page's static files, `GET /healthz`, and `GET /ws`
/// (handed back to the caller for the WebSocket upgrade). Pure: the daemon reads the files
/// once at start-up (so a request never touches the disk and a missing directory is a
/// start-up error) and passes their contents here.
public struct WebSite: Sendable {
    public struct File: Equatable, Sendable {
        public let contentType: String
        public let body: [UInt8]
        /// The body gzip-compressed, when `NAME.gz` was shipped next to it. Served only to
        /// clients that accept gzip; nothing is compressed at run time.
        public let gzipBody: [UInt8]?
        /// A strong validator (RFC 9110 §8.8.3) from the content, so a restarted daemon
        /// with the same files answers 304 to a browser's cached copy.
        public let etag: String
    }

    public enum Answer: Equatable, Sendable {
        /// Write these bytes; close the connection afterwards unless `keepAlive`.
        case response([UInt8], keepAlive: Bool)
        /// `GET /ws`: validate the handshake (WebSocketHandshake) and switch protocols.
        case webSocket
    }

    /// RFC 9110 §8.3 media types; the charset matters for the page's non-ASCII text.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "json": "application/json", "txt": "text/plain; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "webmanifest": "application/manifest+json",
    ]

    /// The page loads only its own script, style and images and talks only to its own host
    /// (CSP Level 3: 'self' in connect-src covers ws:/wss: to the same host). No inline
    /// script or style is allowed, so injected markup could not run even if some text were
    /// ever inserted as HTML.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    public let files: [String: File]

    /// `contents` maps names relative to the site root ("index.html", "app.js",
    /// "app.js.gz") to their bytes. Names with an unknown extension are not served.
    public init(contents: [String: [UInt8]]) {
        var files: [String: File] = [:]
        for (name, body) in contents where !name.hasSuffix(".gz") {
            guard let dot = name.lastIndex(of: "."), let type = Self.contentTypes[String(name[name.index(after: dot)...])] else {
                continue
            }
            files[name] = File(contentType: type, body: body, gzipBody: contents[name + ".gz"], etag: Self.etag(body))
        }
        self.files = files
    }

    public func answer(_ head: HTTPRequestHead) -> Answer {
        let path = head.path
        let keepAlive = head.keepAlive
        let includeBody = head.method == .get
        if path == "/ws" { return .webSocket }
        if path == "/healthz" {
            let body = Array("ok\n".utf8)
            return .response(HTTPResponse.head(
                .ok, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8"), HTTPHeader("Cache-Control", "no-store")],
                contentLength: body.count, keepAlive: keepAlive) + (includeBody ? body : []), keepAlive: keepAlive)
        }
        let name = path == "/" ? "index.html" : String(path.dropFirst())
        guard let file = files[name] else {
            // A wrong URL is not a broken connection: 404 keeps it alive.
            let error = HTTPRequestError(.notFound, "no such page")
            let body = Array("404 Not Found: \(path)\n".utf8)
            return .response(HTTPResponse.head(
                error.status, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8"), HTTPHeader("Cache-Control", "no-store")],
                contentLength: body.count, keepAlive: keepAlive) + (includeBody ? body : []), keepAlive: keepAlive)
        }
        let gzip = file.gzipBody != nil && Self.acceptsGzip(head)
        var headers = [
            HTTPHeader("Content-Type", file.contentType),
            HTTPHeader("ETag", file.etag),
            // Names are not fingerprinted, so caches revalidate every time; the ETag makes that a 304.
            HTTPHeader("Cache-Control", "no-cache"),
            HTTPHeader("X-Content-Type-Options", "nosniff"),
            HTTPHeader("Referrer-Policy", "no-referrer"),
        ]
        if file.contentType.hasPrefix("text/html") { headers.append(HTTPHeader("Content-Security-Policy", Self.contentSecurityPolicy)) }
        if file.gzipBody != nil { headers.append(HTTPHeader("Vary", "Accept-Encoding")) }
        if Self.matches(head.listValues("if-none-match"), file.etag) {
            return .response(HTTPResponse.head(.notModified, headers: headers, contentLength: nil, keepAlive: keepAlive), keepAlive: keepAlive)
        }
        if gzip { headers.append(HTTPHeader("Content-Encoding", "gzip")) }
        let body = gzip ? file.gzipBody ?? file.body : file.body
        return .response(
            HTTPResponse.head(.ok, headers: headers, contentLength: body.count, keepAlive: keepAlive) + (includeBody ? body : []),
            keepAlive: keepAlive)
    }

    /// `If-None-Match: *` or a list containing the tag, compared weakly (RFC 9110 §13.1.2).
    static func matches(_ tags: [Substring], _ etag: String) -> Bool {
        tags.contains { $0 == "*" || $0 == etag || $0 == "W/" + etag }
    }

    /// gzip listed with a non-zero weight (RFC 9110 §12.5.3, §12.4.2).
    static func acceptsGzip(_ head: HTTPRequestHead) -> Bool {
        head.listValues("accept-encoding").contains { element in
            let parts = element.split(separator: ";").map { $0.trimmingOWS().lowercased() }
            guard parts.first == "gzip" else { return false }
            let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return weight > 0
        }
    }

    /// FNV-1a 64 of the content, quoted: enough to tell versions of a file apart.
    static func etag(_ body: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}
