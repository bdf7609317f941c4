// A JSON value (RFC 8259), as the config file reader needs it.
//
// Why chatd has its own JSON reader: the only JSON parsers on this toolchain are Foundation's
// (JSONSerialization/JSONDecoder, also behind swift-configuration's JSONSnapshot), and linking
// Foundation pulls ICU's tables into the static daemon (~40 MB of a 59 MB install) for a file
// of a few hundred bytes. The package mirror has no Foundation-free JSON library. The reader is
// small, strict (RFC 8259 only: no comments, no trailing commas, no NaN) and bounded.

/// One parsed JSON value.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text (as written, e.g. `2.0`, `1e30`) and its Double value: an
    /// integer setting is read from the text so that large integers stay exact.
    case number(literal: String, value: Double)
    case string(String)
    case array([JSONValue])
    /// Members in file order; JSONParser refuses duplicate names.
    case object([(name: String, value: JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x, _), .number(let y, _)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        default: false
        }
    }

    /// The value as an Int when it is a number with an integral value in Int's range
    /// (`2` and `2.0` are 2; `2.5`, `1e30`, `true` are not integers).
    var integer: Int? {
        guard case .number(let literal, let value) = self else { return nil }
        if let exact = Int(literal) { return exact }
        guard value == value.rounded(), value >= -0x1p63, value < 0x1p63 else { return nil }
        return Int(value)
    }

    /// "a string", "a boolean", … for error messages.
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Where and why a text is not JSON. `offset` is a byte offset into the input.
struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    var message: String
    var offset: Int
    var line: Int
    var column: Int

    var description: String { "\(message) (line \(line), column \(column))" }
}
