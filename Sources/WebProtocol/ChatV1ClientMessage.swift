/// What a browser sends over the `chatd.v1` subprotocol: one JSON object per WebSocket text
/// message, `type` saying which (docs/PROTOCOLS.md). Names are checked by the daemon with
/// the same rules as every other protocol; this only checks the shape.
public enum ChatV1ClientMessage: Equatable, Sendable {
    /// `{"type":"hello","nick":"alice"}`: the first message; picks the nickname.
    case hello(nick: String)
    /// `{"type":"nick","nick":"bob"}`
    case nick(String)
    /// `{"type":"join","room":"lobby"}`, `"key":"…"` for a room with a key (+k).
    case join(room: String, key: String? = nil)
    /// `{"type":"part","room":"lobby"}`
    case part(room: String)
    /// `{"type":"say","room":"lobby","text":"hi"}`
    case say(room: String, text: String)
    /// `{"type":"me","room":"lobby","text":"waves"}`
    case me(room: String, text: String)
    /// `{"type":"msg","to":"bob","text":"psst"}`: a private message.
    case msg(to: String, text: String)
    /// `{"type":"who","room":"lobby"}`
    case who(room: String)
    /// `{"type":"rooms"}`
    case rooms
    /// `{"type":"command","room":"lobby","text":"/kick bob spam"}`: a moderation or
    /// administration command typed into the page, the same text as a framed client's, about `room`.
    case command(room: String, text: String)
    /// `{"type":"history","room":"lobby","before":42,"limit":50}`: up to `limit` messages
    /// with a room sequence below `before` (scroll-back; omit `before` for the newest).
    case history(room: String, before: Int64?, limit: Int)

    public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Most messages one history request may ask for.
    public static let maxHistoryLimit = 200

    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<ChatV1ClientMessage, DecodeError> {
        switch FlatJSON.parseObject(bytes) {
        case .failure(let error): return .failure(DecodeError(reason: error.description))
        case .success(let object):
            do throws(DecodeError) {
                return .success(try decode(object))
            } catch {
                return .failure(error)
            }
        }
    }

    static func decode(_ object: [String: JSONScalar]) throws(DecodeError) -> ChatV1ClientMessage {
        let fields = Fields(object: object)
        let type = try fields.string("type")
        let message: ChatV1ClientMessage
        let allowed: Set<String>
        switch type {
        case "hello": message = .hello(nick: try fields.string("nick")); allowed = ["nick"]
        case "nick": message = .nick(try fields.string("nick")); allowed = ["nick"]
        case "join": message = .join(room: try fields.string("room"), key: try fields.optionalString("key")); allowed = ["room", "key"]
        case "command":
            message = .command(room: try fields.string("room"), text: try fields.string("text")); allowed = ["room", "text"]
        case "part": message = .part(room: try fields.string("room")); allowed = ["room"]
        case "say": message = .say(room: try fields.string("room"), text: try fields.string("text")); allowed = ["room", "text"]
        case "me": message = .me(room: try fields.string("room"), text: try fields.string("text")); allowed = ["room", "text"]
        case "msg": message = .msg(to: try fields.string("to"), text: try fields.string("text")); allowed = ["to", "text"]
        case "who": message = .who(room: try fields.string("room")); allowed = ["room"]
        case "rooms": message = .rooms; allowed = []
        case "history":
            let limit = try fields.optionalInt("limit") ?? 50
            guard (1...Int64(maxHistoryLimit)).contains(limit) else {
                throw DecodeError(reason: "\"limit\" must be 1…\(maxHistoryLimit)")
            }
            message = .history(room: try fields.string("room"), before: try fields.optionalInt("before"), limit: Int(limit))
            allowed = ["room", "before", "limit"]
        default: throw DecodeError(reason: "unknown message type \"\(type)\"")
        }
        if let extra = object.keys.filter({ $0 != "type" && !allowed.contains($0) }).sorted().first {
            throw DecodeError(reason: "unexpected field \"\(extra)\" in \(type)")
        }
        return message
    }

    struct Fields {
        let object: [String: JSONScalar]

        func string(_ name: String) throws(DecodeError) -> String {
            guard case .string(let value)? = object[name] else {
                throw DecodeError(reason: "\"\(name)\" must be a string")
            }
            return value
        }

        func optionalString(_ name: String) throws(DecodeError) -> String? {
            switch object[name] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw DecodeError(reason: "\"\(name)\" must be a string")
            }
        }

        func optionalInt(_ name: String) throws(DecodeError) -> Int64? {
            switch object[name] {
            case nil, .null?: return nil
            case .int(let value)?: return value
            default: throw DecodeError(reason: "\"\(name)\" must be an integer")
            }
        }
    }
}
