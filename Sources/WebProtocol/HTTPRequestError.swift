/// Why a request was refused: the status to answer with, a one-line reason for the body and
/// the log, and any header the status requires (`Allow` for 405, RFC 9110 §15.5.6;
/// `Sec-WebSocket-Version` for a refused WebSocket version, RFC 6455 §4.4).
/// The connection is closed after answering: a request the parser refused leaves the byte
/// stream in an unknown state, so it cannot be kept alive.
public struct HTTPRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: HTTPStatus
    public let reason: String
    public let headers: [HTTPHeader]

    public init(_ status: HTTPStatus, _ reason: String, headers: [HTTPHeader] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    public var description: String { "\(status): \(reason)" }

    static func bad(_ reason: String) -> HTTPRequestError { HTTPRequestError(.badRequest, reason) }
}
