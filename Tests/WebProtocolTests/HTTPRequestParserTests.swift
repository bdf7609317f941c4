import Testing
import WebProtocol

func parse(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
    var parser = HTTPRequestParser(limits: limits)
    return Array(text.utf8).withUnsafeBytes { parser.parse($0) }
}

/// Feeds `text` one byte at a time, as a slow client would; the result at the end.
func parseByteByByte(_ text: String, limits: HTTPLimits = HTTPLimits()) -> HTTPParseResult {
    var parser = HTTPRequestParser(limits: limits)
    let bytes = Array(text.utf8)
    var result = HTTPParseResult.incomplete
    for end in 1...bytes.count {
        result = bytes[..<end].withUnsafeBytes { parser.parse($0) }
        if result != .incomplete { return result }
    }
    return result
}

func status(_ result: HTTPParseResult) -> Int? {
    if case .failure(let error) = result { return error.status.code }
    return nil
}

@Suite("HTTP request parser")
struct HTTPRequestParserTests {
    @Test func parsesAGetWithHeaders() throws {
        let text = "GET /app.js?v=2 HTTP/1.1\r\nHost: chat.example:8080\r\nAccept:  */* \r\nX-Empty:\r\n\r\nNEXT"
        guard case .request(let head, let consumed) = parse(text) else {
            Issue.record("not parsed: \(parse(text))")
            return
        }
        #expect(consumed == text.utf8.count - 4)
        #expect(head.method == .get)
        #expect(head.target == "/app.js?v=2")
        #expect(head.path == "/app.js")
        #expect(head.minorVersion == 1)
        #expect(head.headers == [HTTPHeader("host", "chat.example:8080"), HTTPHeader("accept", "*/*"), HTTPHeader("x-empty", "")])
        #expect(head.keepAlive)
        #expect(parseByteByByte(text) == parse(text))
    }

    @Test func keepAliveFollowsVersionAndConnection() {
        func keepAlive(_ text: String) -> Bool? {
            if case .request(let head, _) = parse(text) { return head.keepAlive }
            return nil
        }
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") == true)
        #expect(keepAlive("HEAD / HTTP/1.1\r\nHost: a\r\nConnection: foo, keep-alive\r\n\r\n") == true)
    }

    @Test func incompleteUntilTheEmptyLine() {
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n") == .incomplete)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\r") == .incomplete)
        #expect(parse("") == .incomplete)
    }

    @Test(arguments: [
        ("get / HTTP/1.1\r\nHost: a\r\n\r\n", 405),  // methods are case-sensitive
        ("POST /ws HTTP/1.1\r\nHost: a\r\n\r\n", 405),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", 400),  // bare LF
        ("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400),  // bare CR
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // double space
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        ("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // absolute-form
        ("GET /\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),  // no Host
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),  // space before colon
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 413),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 413),
        ("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ])
    func refusesMalformedRequests(text: String, expected: Int) {
        #expect(status(parse(text)) == expected)
        #expect(status(parseByteByByte(text)) == expected)
    }

    @Test func methodNotAllowedSaysWhatIsAllowed() {
        guard case .failure(let error) = parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n") else {
            Issue.record("accepted")
            return
        }
        #expect(error.headers == [HTTPHeader("Allow", "GET, HEAD")])
        let response = String(decoding: HTTPResponse.error(error), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(response.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(response.contains("\r\nConnection: close\r\n"))
    }

    @Test func requestLineCapIsExact() {
        let limits = HTTPLimits(maxRequestLine: 32)
        let fits = "GET /" + String(repeating: "a", count: 32 - 14) + " HTTP/1.1"
        #expect(fits.utf8.count == 32)
        if case .request = parse(fits + "\r\nHost: a\r\n\r\n", limits: limits) {} else { Issue.record("32-byte line refused") }
        let long = "GET /" + String(repeating: "a", count: 32 - 13) + " HTTP/1.1"
        #expect(status(parse(long + "\r\nHost: a\r\n\r\n", limits: limits)) == 414)
        // Refused as soon as the cap is passed, without waiting for the line to end.
        #expect(status(parse("GET /" + String(repeating: "a", count: 40), limits: limits)) == 414)
        #expect(status(parseByteByByte("GET /" + String(repeating: "a", count: 40), limits: limits)) == 414)
    }

    @Test func headerCaps() {
        let limits = HTTPLimits(maxHeaderCount: 3, maxHeaderBytes: 64)
        #expect(status(parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)) == 431)
        if case .request = parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits) {} else {
            Issue.record("3 headers refused")
        }
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 100)
        #expect(status(parse(big, limits: limits)) == 431)
        #expect(status(parseByteByByte(big, limits: limits)) == 431)
        // Exactly maxHeaderBytes of header section (final CRLF included) is accepted.
        let field = "Host: " + String(repeating: "h", count: 64 - 6 - 4)
        if case .request = parse("GET / HTTP/1.1\r\n" + field + "\r\n\r\n", limits: limits) {} else {
            Issue.record("64-byte header section refused")
        }
        #expect(status(parse("GET / HTTP/1.1\r\n" + field + "h\r\n\r\n", limits: limits)) == 431)
    }

    @Test func pipelinedRequestsParseOneAtATime() {
        let text = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
        var parser = HTTPRequestParser()
        var bytes = Array(text.utf8)
        var targets: [String] = []
        while case .request(let head, let consumed) = bytes.withUnsafeBytes({ parser.parse($0) }) {
            targets.append(head.target)
            bytes.removeFirst(consumed)
            parser.reset()
        }
        #expect(targets == ["/a", "/b"])
        #expect(bytes.isEmpty)
    }

    @Test func listHeaders() {
        guard case .request(let head, _) = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nX: a,, b\r\nX: c\r\n\r\n") else {
            Issue.record("refused")
            return
        }
        #expect(head.hasToken("connection", "upgrade"))
        #expect(!head.hasToken("connection", "close"))
        #expect(head.listValues("x") == ["a", "b", "c"])
    }
}
