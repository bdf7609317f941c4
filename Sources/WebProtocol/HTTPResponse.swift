/// Builds HTTP/1.1 response heads (RFC 9112 §4). Header names and values come from the
/// daemon, never from a request, so they are written as given.
public enum HTTPResponse {
    /// The status line, `headers`, `Content-Length` (unless nil: a 101 or 304 has none) and
    /// `Connection: close` when the connection ends after this response, then the empty line.
    public static func head(
        _ status: HTTPStatus, headers: [HTTPHeader] = [], contentLength: Int?, keepAlive: Bool
    ) -> [UInt8] {
        var text = "HTTP/1.1 \(status.code) \(status.phrase)\r\n"
        for header in headers { text += "\(header.name): \(header.value)\r\n" }
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        if !keepAlive { text += "Connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// A complete plain-text error response for a refused request; the connection closes
    /// after it. `includeBody` is false for HEAD requests (RFC 9110 §9.3.2).
    public static func error(_ error: HTTPRequestError, includeBody: Bool = true) -> [UInt8] {
        let body = Array("\(error.status.code) \(error.status.phrase): \(error.reason)\n".utf8)
        var headers = [HTTPHeader("Content-Type", "text/plain; charset=utf-8"), HTTPHeader("Cache-Control", "no-store")]
        headers += error.headers
        return head(error.status, headers: headers, contentLength: body.count, keepAlive: false)
            + (includeBody ? body : [])
    }
}
