/// A minimal ordered JSON object writer (no Foundation): results keep a stable key order so
/// scripts and diffs read them easily.
public struct JSONObject: Sendable {
    public private(set) var fields: [(String, String)] = []

    public init() {}

    public mutating func set(_ key: String, _ value: Int) { fields.append((key, String(value))) }
    public mutating func set(_ key: String, _ value: UInt64) { fields.append((key, String(value))) }
    public mutating func set(_ key: String, _ value: Bool) { fields.append((key, value ? "true" : "false")) }
    public mutating func set(_ key: String, _ value: Double, digits: Int = 3) {
        fields.append((key, value.isFinite ? fixed(value, digits) : "null"))
    }
    public mutating func set(_ key: String, _ value: String) { fields.append((key, Self.quote(value))) }
    public mutating func set(_ key: String, _ value: JSONObject) { fields.append((key, value.rendered)) }
    public mutating func set(_ key: String, _ values: [String]) {
        fields.append((key, "[" + values.map(Self.quote).joined(separator: ", ") + "]"))
    }
    public mutating func set(_ key: String, _ values: [Double], digits: Int = 3) {
        fields.append((key, "[" + values.map { $0.isFinite ? fixed($0, digits) : "null" }.joined(separator: ", ") + "]"))
    }
    public mutating func setNull(_ key: String) { fields.append((key, "null")) }

    public var rendered: String {
        "{" + fields.map { "\(Self.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
