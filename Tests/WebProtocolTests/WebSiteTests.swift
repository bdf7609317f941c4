import Testing
import WebProtocol

@Suite("Web site routes")
struct WebSiteTests {
    static let site = WebSite(contents: [
        "index.html": Array("<!doctype html><title>chatd</title>".utf8),
        "app.js": Array("console.log(1)".utf8),
        "app.js.gz": [0x1F, 0x8B, 0x08],
        "notes.unknown": [1, 2, 3],
    ])

    static func answer(_ request: String) -> (text: String, keepAlive: Bool)? {
        guard case .request(let head, _) = parse(request) else { return nil }
        switch site.answer(head) {
        case .response(let bytes, let keepAlive): return (String(decoding: bytes, as: UTF8.self), keepAlive)
        case .webSocket: return ("websocket", true)
        }
    }

    static func header(_ response: String, _ name: String) -> String? {
        response.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ": ") }
            .map { String($0.dropFirst(name.count + 2)) }
    }

    @Test func servesTheIndexWithCSPAndETag() throws {
        let (text, keepAlive) = try #require(Self.answer("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(keepAlive)
        #expect(Self.header(text, "Content-Type") == "text/html; charset=utf-8")
        #expect(Self.header(text, "Content-Security-Policy") == WebSite.contentSecurityPolicy)
        #expect(Self.header(text, "Cache-Control") == "no-cache")
        #expect(Self.header(text, "Content-Length") == "35")
        #expect(text.hasSuffix("\r\n\r\n<!doctype html><title>chatd</title>"))
        let etag = try #require(Self.header(text, "ETag"))
        #expect(etag.count == 18 && etag.hasPrefix("\""))

        let (cached, _) = try #require(Self.answer("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\", \(etag)\r\n\r\n"))
        #expect(cached.hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
        #expect(cached.hasSuffix("\r\n\r\n"))
        #expect(Self.header(cached, "Content-Length") == nil)
    }

    @Test func headHasNoBodyAndHTTP10Closes() throws {
        let (text, keepAlive) = try #require(Self.answer("HEAD /app.js HTTP/1.0\r\n\r\n"))
        #expect(!keepAlive)
        #expect(Self.header(text, "Content-Length") == "14")
        #expect(Self.header(text, "Connection") == "close")
        #expect(text.hasSuffix("\r\n\r\n"))
        #expect(Self.header(text, "Content-Security-Policy") == nil)
    }

    @Test func precompressedGzipOnlyWhenAccepted() throws {
        let (gzip, _) = try #require(Self.answer("GET /app.js HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br, gzip;q=0.5\r\n\r\n"))
        #expect(Self.header(gzip, "Content-Encoding") == "gzip")
        #expect(Self.header(gzip, "Content-Length") == "3")
        #expect(Self.header(gzip, "Vary") == "Accept-Encoding")
        let (refused, _) = try #require(Self.answer("GET /app.js HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\n\r\n"))
        #expect(Self.header(refused, "Content-Encoding") == nil)
        #expect(refused.hasSuffix("console.log(1)"))
        let (index, _) = try #require(Self.answer("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n"))
        #expect(Self.header(index, "Content-Encoding") == nil)  // no index.html.gz shipped
    }

    @Test func healthWebSocketAndNotFound() throws {
        let (health, _) = try #require(Self.answer("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.hasSuffix("\r\n\r\nok\n"))
        #expect(Self.answer("GET /ws?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")?.text == "websocket")
        for missing in ["/nope", "/app.js.gz", "/notes.unknown", "/../etc/passwd", "/index.html/"] {
            let (text, keepAlive) = try #require(Self.answer("GET \(missing) HTTP/1.1\r\nHost: a\r\n\r\n"))
            #expect(text.hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(missing)")
            #expect(keepAlive)
        }
    }
}
