/// Writes JSON (RFC 8259) into a byte buffer: objects, arrays, strings, integers. Companion
/// of FlatJSON (same reason for being hand-written); the writer may nest because server
/// messages carry lists (history, rooms, members).
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current container needs a comma first.
    private var needsComma = false

    public init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// The key of the next member; follow it with exactly one value.
    public mutating func key(_ name: String) {
        separate()
        writeString(name)
        bytes.append(ASCII.colon)
        needsComma = false
    }

    public mutating func string(_ value: String) { separate(); writeString(value); needsComma = true }
    public mutating func int(_ value: Int64) { separate(); bytes.append(contentsOf: String(value).utf8); needsComma = true }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: (value ? "true" : "false").utf8); needsComma = true }

    public mutating func member(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func member(_ name: String, _ value: Int64) { key(name); int(value) }
    public mutating func member(_ name: String, _ value: Int) { key(name); int(Int64(value)) }

    private mutating func separate() {
        if needsComma { bytes.append(ASCII.comma) }
    }

    /// Escapes `"`, `\` and the control characters; U+2028/U+2029 too, so the output is also
    /// safe inside a JavaScript string literal.
    private mutating func writeString(_ value: String) {
        bytes.append(ASCII.quote)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": bytes.append(contentsOf: [ASCII.backslash, ASCII.quote])
            case "\\": bytes.append(contentsOf: [ASCII.backslash, ASCII.backslash])
            case "\n": bytes.append(contentsOf: [ASCII.backslash, UInt8(ascii: "n")])
            case "\r": bytes.append(contentsOf: [ASCII.backslash, UInt8(ascii: "r")])
            case "\t": bytes.append(contentsOf: [ASCII.backslash, UInt8(ascii: "t")])
            case "\u{00}"..."\u{1F}", "\u{2028}", "\u{2029}":
                let hex = Array("0123456789abcdef".utf8)
                let value = Int(scalar.value)
                bytes.append(contentsOf: [ASCII.backslash, UInt8(ascii: "u"), hex[value >> 12 & 15], hex[value >> 8 & 15], hex[value >> 4 & 15], hex[value & 15]])
            default: bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        bytes.append(ASCII.quote)
    }
}
