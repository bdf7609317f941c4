import IRCProtocol
import Testing

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The wire form of a message without CR LF; records an issue if it cannot be written.
func wire(_ message: IRCMessage, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        let bytes = try message.serialized()
        #expect(bytes.suffix(2) == [0x0D, 0x0A], sourceLocation: sourceLocation)
        return String(decoding: bytes.dropLast(2), as: UTF8.self)
    } catch {
        Issue.record("cannot write \(message.command): \(error)", sourceLocation: sourceLocation)
        return ""
    }
}

/// Feeds `stream` to a decoder in reads of the given sizes, dropping consumed bytes like
/// the session does; returns every event with the line's bytes, and the largest buffer held.
struct DecodedEvent: Equatable, CustomStringConvertible {
    var kind: String
    var text: String

    var description: String { "\(kind)(\(text.debugDescription))" }
}

func decodeAll(_ stream: [UInt8], reads: [Int] = [], decoder: IRCLineDecoder = IRCLineDecoder())
    -> (events: [DecodedEvent], maxBuffered: Int)
{
    var decoder = decoder
    var buffer: [UInt8] = []
    var events: [DecodedEvent] = []
    var position = 0
    var readIndex = 0
    var maxBuffered = 0
    while true {
        let step = buffer.withUnsafeBytes { decoder.next($0) }
        switch step.event {
        case .line(let range):
            events.append(DecodedEvent(kind: "line", text: String(decoding: buffer[range], as: UTF8.self)))
        case .overlong(let part, let truncated):
            events.append(DecodedEvent(
                kind: part == .tags ? "overlong-tags" : "overlong-body",
                text: truncated.map { String(decoding: buffer[$0], as: UTF8.self) } ?? ""))
        case .needMore:
            break
        }
        buffer.removeFirst(step.consumed)
        if step.event != .needMore { continue }
        guard position < stream.count else { return (events, maxBuffered) }
        let size = readIndex < reads.count ? reads[readIndex] : stream.count
        readIndex += 1
        let end = min(stream.count, position + max(1, size))
        buffer += stream[position..<end]
        position = end
        maxBuffered = max(maxBuffered, buffer.count)
    }
}
