/// A value of a flat JSON object: what chatd.v1 client messages are made of.
public enum JSONScalar: Equatable, Sendable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
}

/// Reads one flat JSON object (RFC 8259) whose values are strings, integers, booleans or
/// null. Hand-written because the daemon does not link Foundation (issue 19 removes it, and
/// JSONSerialization allocates a dictionary of class instances per message); chatd.v1
/// client messages never need nesting, so nested objects/arrays, fractions and exponents
/// are refused with a clear error instead of being half-supported.
public enum FlatJSON {
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    public static func parseObject(_ bytes: UnsafeRawBufferPointer) -> Result<[String: JSONScalar], ParseError> {
        var reader = Reader(bytes: bytes)
        do throws(ParseError) {
            let object = try reader.object()
            reader.skipWhitespace()
            if reader.index != bytes.count { throw reader.error("trailing characters after the object") }
            return .success(object)
        } catch {
            return .failure(error)
        }
    }

    public static func parseObject(_ text: String) -> Result<[String: JSONScalar], ParseError> {
        var copy = text
        return copy.withUTF8 { parseObject(UnsafeRawBufferPointer($0)) }
    }

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        func error(_ reason: String) -> ParseError { ParseError(offset: index, reason: reason) }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(ParseError) {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { throw error("expected \(what)") }
            index += 1
        }

        mutating func object() throws(ParseError) -> [String: JSONScalar] {
            try expect(UInt8(ascii: "{"), "'{'")
            var object: [String: JSONScalar] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return object
            }
            while true {
                skipWhitespace()
                let keyOffset = index
                guard index < bytes.count, bytes[index] == ASCII.quote else { throw error("expected a string key") }
                let key = try string()
                if object[key] != nil { throw ParseError(offset: keyOffset, reason: "duplicate key \"\(key)\"") }
                try expect(ASCII.colon, "':'")
                object[key] = try scalar()
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return object
                }
                guard bytes[index] == ASCII.comma else { throw error("expected ',' or '}'") }
                index += 1
            }
        }

        mutating func scalar() throws(ParseError) -> JSONScalar {
            skipWhitespace()
            guard index < bytes.count else { throw error("expected a value") }
            switch bytes[index] {
            case ASCII.quote: return .string(try string())
            case UInt8(ascii: "-"), 0x30...0x39: return .int(try integer())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "{"), UInt8(ascii: "["): throw error("nested objects and arrays are not used by chatd.v1")
            default: throw error("expected a value")
            }
        }

        mutating func literal(_ word: String) throws(ParseError) {
            for byte in word.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw error("invalid literal") }
                index += 1
            }
        }

        /// -?(0|[1-9][0-9]*) within Int64 (RFC 8259 §6 without fraction or exponent).
        mutating func integer() throws(ParseError) -> Int64 {
            let start = index
            let negative = bytes[index] == ASCII.minus
            if negative { index += 1 }
            guard index < bytes.count, ASCII.isDigit(bytes[index]) else { throw error("expected a digit") }
            if bytes[index] == ASCII.zero, index + 1 < bytes.count, ASCII.isDigit(bytes[index + 1]) {
                throw error("leading zero in a number")
            }
            var magnitude: UInt64 = 0
            while index < bytes.count, ASCII.isDigit(bytes[index]) {
                let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[index] - ASCII.zero))
                if overflow1 || overflow2 || sum > UInt64(Int64.max) + (negative ? 1 : 0) {
                    throw ParseError(offset: start, reason: "integer out of range")
                }
                magnitude = sum
                index += 1
            }
            if index < bytes.count, [ASCII.dot, UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                throw error("only integers are used by chatd.v1")
            }
            return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
        }

        /// A string with its escapes (RFC 8259 §7), surrogate pairs joined, lone surrogates
        /// and raw control characters refused. Raw bytes must be valid UTF-8.
        mutating func string() throws(ParseError) -> String {
            index += 1  // the opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ end: Int) throws(ParseError) {
                guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self) else {
                    throw ParseError(offset: runStart, reason: "string is not valid UTF-8")
                }
                scalars.append(contentsOf: text.unicodeScalars)
            }
            while true {
                guard index < bytes.count else { throw error("unterminated string") }
                let byte = bytes[index]
                if byte == ASCII.quote {
                    try flush(index)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw error("control character in a string") }
                if byte != ASCII.backslash {
                    index += 1
                    continue
                }
                try flush(index)
                index += 1
                guard index < bytes.count else { throw error("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case ASCII.quote: scalars.append("\"")
                case ASCII.backslash: scalars.append("\\")
                case ASCII.slash: scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var value = try hex4()
                    if (0xD800...0xDBFF).contains(value) {
                        guard index + 1 < bytes.count, bytes[index] == ASCII.backslash, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("lone surrogate escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate escape") }
                        value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(value) else { throw error("lone surrogate escape") }
                    scalars.append(scalar)
                default: throw error("invalid escape")
                }
                runStart = index
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("short \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }
}
