import WebProtocol

/// The control socket's replies: one JSON object (RFC 8259) per line, `"ok"` first, so a
/// script can read them with any JSON parser and `chatd ctl` can render them for people.
enum ControlReply {
    static func failure(_ error: String) -> [UInt8] {
        object { $0.key("ok"); $0.bool(false); $0.member("error", error) }
    }

    static func success(_ body: (inout JSONWriter) -> Void = { _ in }) -> [UInt8] {
        object { json in
            json.key("ok")
            json.bool(true)
            body(&json)
        }
    }

    private static func object(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        body(&json)
        json.endObject()
        return json.bytes + [UInt8(ascii: "\n")]
    }
}
