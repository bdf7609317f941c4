/// WebSocket (RFC 6455) carrying chatd.v1 JSON: the `101 Switching Protocols` head, then server
/// frames (unmasked, §5.1). A delivery is a text frame `{"type":"message",…,"text":"…",…}`
/// whose text is the benchmark payload (ASCII without `"` or `\`, so it is never escaped).
/// Pings are answered with pongs (chatd pings a WebSocket that sent nothing for 30 s: the
/// receivers); everything else (welcome, who, history replay, join events) is a notice.
extension StreamDecoder {
    @inlinable
    mutating func parseWS(
        _ bytes: UnsafeRawBufferPointer, maxPayload: Int, _ delivery: (UnsafeRawBufferPointer) -> Void
    ) -> Outcome {
        var offset = 0
        let n = bytes.count
        if !upgraded {
            var i = 3
            while i < n && !(bytes[i - 3] == 13 && bytes[i - 2] == 10 && bytes[i - 1] == 13 && bytes[i] == 10) { i &+= 1 }
            guard i < n else { return n > 8192 ? .protocolError : .consumed(0) }
            guard Self.hasPrefix(bytes, "HTTP/1.1 101 ") else { return .protocolError }
            upgraded = true
            offset = i &+ 1
        }
        while n - offset >= 2 {
            let first = bytes[offset]
            let second = bytes[offset &+ 1]
            // Server frames are never masked and, here, never fragmented (chatd sends one frame per
            // message; so does `ws` for a string).
            guard second & 0x80 == 0, first & 0x80 != 0 else { return .protocolError }
            var length = Int(second & 0x7F)
            var header = 2
            if length == 126 {
                guard n - offset >= 4 else { break }
                length = Int(bytes[offset &+ 2]) << 8 | Int(bytes[offset &+ 3])
                header = 4
            } else if length == 127 {
                guard n - offset >= 10 else { break }
                length = 0
                for k in 2..<10 { length = length << 8 | Int(bytes[offset &+ k]) }
                header = 10
            }
            guard length <= maxPayload else { return .protocolError }
            guard n - offset >= header &+ length else { break }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(offset &+ header)..<(offset &+ header &+ length)])
            switch first & 0x0F {
            case 0x1:
                if let text = Self.wsMessageText(payload) { delivery(text) } else { notices &+= 1 }
            case 0x9:
                replies.append(0x8A)
                replies.append(0x80 | UInt8(length))
                replies.append(contentsOf: [0, 0, 0, 0])
                replies.append(contentsOf: payload)
            default:
                notices &+= 1
            }
            offset &+= header &+ length
        }
        return .consumed(offset)
    }

    /// The text of a chatd.v1 `message` event: what follows `"text":"` up to the next `"`.
    @inlinable
    public static func wsMessageText(_ json: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard hasPrefix(json, #"{"type":"message""#) else { return nil }
        let key: StaticString = #""text":""#
        let k = key.utf8CodeUnitCount
        var i = 17
        while i &+ k <= json.count {
            if json[i] == 34 && hasPrefix(UnsafeRawBufferPointer(rebasing: json[i...]), key) {
                let start = i &+ k
                var end = start
                while end < json.count && json[end] != 34 { end &+= 1 }
                return end < json.count ? UnsafeRawBufferPointer(rebasing: json[start..<end]) : nil
            }
            i &+= 1
        }
        return nil
    }
}
