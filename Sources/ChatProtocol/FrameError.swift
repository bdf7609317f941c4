/// Why a byte stream stopped being a valid sequence of frames. Either case loses framing:
/// the daemon replies with an `* error: <description>` frame and closes the connection.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header is not `whitespace* digits+ whitespace*` in 10 bytes.
    case invalidHeader
    case payloadTooLarge(length: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidHeader:
            "invalid frame header"
        case .payloadTooLarge(let length, let limit):
            "message of \(length) bytes exceeds the \(limit)-byte limit"
        }
    }
}
