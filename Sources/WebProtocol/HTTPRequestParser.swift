/// Size caps for one request head. A request over a cap is refused before more of it is
/// buffered, so a client cannot make the daemon hold more than these per connection.
public struct HTTPLimits: Equatable, Sendable {
    /// Longest request line, CRLF excluded (414 beyond; RFC 9112 §3 recommends ≥ 8000).
    public var maxRequestLine: Int
    /// Most header fields (431 beyond).
    public var maxHeaderCount: Int
    /// Most bytes of header section after the request line, final CRLF included (431 beyond).
    public var maxHeaderBytes: Int

    public init(maxRequestLine: Int = 8192, maxHeaderCount: Int = 64, maxHeaderBytes: Int = 16384) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// The most bytes a head can take: a buffer this large always holds a complete head or
    /// an error.
    public var maxHeadBytes: Int { maxRequestLine + 2 + maxHeaderBytes }
}

public enum HTTPParseResult: Equatable, Sendable {
    /// No complete head yet and no cap exceeded: read more and call again with the
    /// whole buffer so far.
    case incomplete
    /// A complete head that took the first `consumed` bytes (no body follows: chatd refuses
    /// bodies), so pipelined bytes after it belong to the next request.
    case request(HTTPRequestHead, consumed: Int)
    case failure(HTTPRequestError)
}

/// A strict HTTP/1.1 request-head parser (RFC 9112 §2–§6), written by hand because no
/// maintained parser is usable here: Debian 12 packages no llhttp or picohttpparser, its
/// libhttp-parser is the unmaintained joyent parser, and swift-nio's parser only runs inside
/// a NIO channel pipeline (docs in /work/shared/notes/tls-websocket.md). It is fuzzed
/// (Fuzz/harness/http.swift).
///
/// Strict means: lines end in CRLF (a bare CR or LF is refused, the request-smuggling
/// ambiguity of RFC 9112 §2.2), no leading empty lines, single spaces in the request line,
/// origin-form targets of visible ASCII only, no whitespace before a header colon
/// (§5.1), no obs-fold (§5.2), exactly one Host in HTTP/1.1 (§3.2), and no body at all
/// (Content-Length other than 0 or any Transfer-Encoding is 413: chatd serves GET and HEAD).
///
/// The struct remembers how far it has searched, so feeding a head byte by byte costs
/// O(bytes) in total, not O(bytes²). Call `reset()` after a request (or start a new parser)
/// and pass the buffer from the next request's first byte.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPLimits
    /// Bytes already searched for the end of the head.
    private var searched = 0
    /// Where the request line's CRLF starts, once seen.
    private var requestLineEnd: Int?

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    public mutating func reset() {
        searched = 0
        requestLineEnd = nil
    }

    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> HTTPParseResult {
        let count = buffer.count
        // Resume the search a few bytes back: the CRLFCRLF may straddle two reads.
        var index = max(0, searched &- 3)
        var headEnd: Int?
        while index < count {
            let byte = buffer[index]
            if let lineEnd = requestLineEnd {
                // Header bytes so far: lineEnd + 2 ... index.
                if index &- (lineEnd &+ 2) >= limits.maxHeaderBytes {
                    return .failure(HTTPRequestError(
                        .headerFieldsTooLarge, "header section larger than \(limits.maxHeaderBytes) bytes"))
                }
            } else if index > limits.maxRequestLine || (index == limits.maxRequestLine && byte != ASCII.cr) {
                // Up to maxRequestLine bytes, then CR at index ≤ maxRequestLine, LF right after.
                if !(byte == ASCII.lf && index == limits.maxRequestLine &+ 1) {
                    return .failure(HTTPRequestError(.uriTooLong, "request line longer than \(limits.maxRequestLine) bytes"))
                }
            }
            if byte == ASCII.lf {
                guard index > 0, buffer[index &- 1] == ASCII.cr else { return .failure(.bad("bare LF in request head")) }
                if requestLineEnd == nil {
                    requestLineEnd = index &- 1
                } else if index >= 3, buffer[index &- 2] == ASCII.lf, buffer[index &- 3] == ASCII.cr {
                    headEnd = index &+ 1
                    break
                }
            } else if index > 0, buffer[index &- 1] == ASCII.cr {
                return .failure(.bad("bare CR in request head"))
            }
            index &+= 1
        }
        searched = index
        guard let end = headEnd, let lineEnd = requestLineEnd else { return .incomplete }
        return Self.parseHead(buffer, requestLineEnd: lineEnd, headEnd: end, limits: limits)
    }

    /// Parses a complete head: `buffer[..<requestLineEnd]` is the request line and
    /// `buffer[requestLineEnd + 2 ..< headEnd]` the header lines with the final empty line.
    /// Line endings are already known to be CRLF.
    static func parseHead(
        _ buffer: UnsafeRawBufferPointer, requestLineEnd: Int, headEnd: Int, limits: HTTPLimits
    ) -> HTTPParseResult {
        let line = UnsafeRawBufferPointer(rebasing: buffer[..<requestLineEnd])
        if line.isEmpty { return .failure(.bad("empty request line")) }
        guard let firstSpace = line.firstIndex(of: ASCII.space) else { return .failure(.bad("malformed request line")) }
        let afterMethod = firstSpace &+ 1
        guard let secondSpace = line[afterMethod...].firstIndex(of: ASCII.space) else {
            return .failure(.bad("malformed request line"))
        }
        let methodBytes = line[..<firstSpace]
        let targetBytes = line[afterMethod..<secondSpace]
        let versionBytes = line[(secondSpace &+ 1)...]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(ASCII.isTokenByte) else {
            return .failure(.bad("malformed method"))
        }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy(ASCII.isVisible) else {
            return .failure(.bad("malformed request target"))
        }
        let minorVersion: Int
        switch Array(versionBytes) {
        case Array("HTTP/1.1".utf8): minorVersion = 1
        case Array("HTTP/1.0".utf8): minorVersion = 0
        case let version where version.count == 8 && version.starts(with: "HTTP/".utf8)
            && ASCII.isDigit(version[5]) && version[6] == ASCII.dot && ASCII.isDigit(version[7]):
            return .failure(HTTPRequestError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are served"))
        default:
            return .failure(.bad("malformed HTTP version"))
        }
        let methodName = String(decoding: methodBytes, as: UTF8.self)
        guard let method = HTTPMethod(rawValue: methodName) else {
            return .failure(HTTPRequestError(
                .methodNotAllowed, "method \(methodName) is not served", headers: [HTTPHeader("Allow", "GET, HEAD")]))
        }
        guard targetBytes.first == ASCII.slash else {
            return .failure(.bad("request target must be a path (origin-form)"))
        }

        var headers: [HTTPHeader] = []
        var start = requestLineEnd &+ 2
        let lastLineStart = headEnd &- 2
        while start < lastLineStart {
            var end = start
            while buffer[end] != ASCII.cr { end &+= 1 }
            if headers.count == limits.maxHeaderCount {
                return .failure(HTTPRequestError(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields"))
            }
            switch parseField(UnsafeRawBufferPointer(rebasing: buffer[start..<end])) {
            case .success(let header): headers.append(header)
            case .failure(let error): return .failure(error)
            }
            start = end &+ 2
        }

        let head = HTTPRequestHead(
            method: method, target: String(decoding: targetBytes, as: UTF8.self), minorVersion: minorVersion,
            headers: headers)
        if let error = checkFraming(head) { return .failure(error) }
        return .request(head, consumed: headEnd)
    }

    /// `name ":" OWS value OWS` (RFC 9112 §5.1).
    static func parseField(_ line: UnsafeRawBufferPointer) -> Result<HTTPHeader, HTTPRequestError> {
        if let first = line.first, first == ASCII.space || first == ASCII.tab {
            return .failure(.bad("obsolete line folding in header"))
        }
        guard let colon = line.firstIndex(of: ASCII.colon) else { return .failure(.bad("header line without a colon")) }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenByte) else {
            return .failure(.bad("malformed header name"))
        }
        var valueStart = colon &+ 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == ASCII.space || line[valueStart] == ASCII.tab { valueStart &+= 1 }
        while valueEnd > valueStart, line[valueEnd &- 1] == ASCII.space || line[valueEnd &- 1] == ASCII.tab { valueEnd &-= 1 }
        let value = line[valueStart..<valueEnd]
        // field-vchar / SP / HTAB / obs-text (RFC 9110 §5.5): no other control bytes.
        guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == ASCII.tab }) else {
            return .failure(.bad("control character in header value"))
        }
        return .success(HTTPHeader(
            String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
    }

    /// Host and body rules (RFC 9112 §3.2, §6.3).
    static func checkFraming(_ head: HTTPRequestHead) -> HTTPRequestError? {
        let hosts = head.headers.filter { $0.name == "host" }.count
        if head.minorVersion == 1, hosts != 1 { return .bad(hosts == 0 ? "missing Host header" : "more than one Host header") }
        if hosts > 1 { return .bad("more than one Host header") }
        if head.value("transfer-encoding") != nil {
            return HTTPRequestError(.contentTooLarge, "request bodies are not accepted")
        }
        let lengths = head.headers.filter { $0.name == "content-length" }
        for length in lengths {
            guard !length.value.isEmpty, length.value.utf8.allSatisfy(ASCII.isDigit) else {
                return .bad("malformed Content-Length")
            }
            if length.value.utf8.contains(where: { $0 != ASCII.zero }) {
                return HTTPRequestError(.contentTooLarge, "request bodies are not accepted")
            }
        }
        return nil
    }
}
