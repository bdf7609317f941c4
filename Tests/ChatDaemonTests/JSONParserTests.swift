// JSONParser: RFC 8259 accepted exactly; everything else rejected with a line and column.

@testable import ChatDaemon
import Testing

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    private func failure(_ text: String) -> JSONSyntaxError? {
        do {
            let value = try parse(text)
            Issue.record("expected a syntax error for \(text.debugDescription), got \(value)")
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}, "e": {}, "f": []} "#)
        #expect(
            value
                == .object([
                    ("a", .array([
                        .number(literal: "1", value: 1), .number(literal: "-2.5e3", value: -2500), .bool(true),
                        .bool(false), .null,
                    ])),
                    ("b", .object([("c", .string("d"))])), ("e", .object([])), ("f", .array([])),
                ]))
    }

    @Test func keepsMemberOrder() throws {
        guard case .object(let members) = try parse(#"{"z": 1, "a": 2, "m": 3}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.name) == ["z", "a", "m"])
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""q\"b\\s\/""#, "q\"b\\s/"),
        (#""\b\f\n\r\t""#, "\u{8}\u{C}\n\r\t"),
        (#""\u00e9\u4e2D""#, "é中"),
        (#""\ud83d\ude00""#, "😀"),
        ("\"héllo 👋\"", "héllo 👋"),
    ])
    func decodesStrings(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test func integersStayExactAndWholeNumbersCount() throws {
        #expect(try parse("9007199254740993").integer == 9_007_199_254_740_993)  // not representable as Double
        #expect(try parse("2.0").integer == 2)
        #expect(try parse("-0").integer == 0)
        #expect(try parse("2.5").integer == nil)
        #expect(try parse("1e30").integer == nil)
        #expect(try parse("true").integer == nil)
    }

    @Test(arguments: [
        ("", "unexpected end of input, expected a value", 1, 1),
        ("   ", "unexpected end of input, expected a value", 1, 4),
        ("{", "expected a member name in double quotes", 1, 2),
        (#"{"a" 1}"#, "expected ':' after the member name", 1, 6),
        (#"{"a": 1 "b": 2}"#, "expected ',' or '}' after an object member", 1, 9),
        ("[1 2]", "expected ',' or ']' after an array element", 1, 4),
        ("[1,]", "expected a value (a string in double quotes, a number, true, false, null, [ or {)", 1, 4),
        ("01", "unexpected text after the JSON value", 1, 2),
        ("1.", "expected a digit after the decimal point", 1, 3),
        ("1e", "expected a digit in the exponent", 1, 3),
        ("-", "expected a digit", 1, 2),
        ("+1", "expected a value (a string in double quotes, a number, true, false, null, [ or {)", 1, 1),
        ("NaN", "expected a value (a string in double quotes, a number, true, false, null, [ or {)", 1, 1),
        ("tru", "expected a value (a string in double quotes, a number, true, false, null, [ or {)", 1, 1),
        ("1e999", "number out of range", 1, 1),
        (#""abc"#, "unterminated string", 1, 5),
        ("\"a\nb\"", "control character in a string (write it as \\n, \\t or \\u00XX)", 1, 3),
        (#""\x""#, "invalid escape sequence", 1, 2),
        (#""\u12G4""#, "expected 4 hex digits after \\u", 1, 6),
        (#""\ud83d""#, "unpaired UTF-16 surrogate in \\u escape", 1, 8),
        (#""\ude00""#, "unpaired UTF-16 surrogate in \\u escape", 1, 8),
        ("// comment\n{}", "expected a value (a string in double quotes, a number, true, false, null, [ or {)", 1, 1),
        ("{\n  \"é\": x\n}", "expected a value (a string in double quotes, a number, true, false, null, [ or {)", 2, 8),  // é is one column, two bytes
        (#"{"a": 1, "a": 2}"#, #"duplicate key "a""#, 1, 10),
    ])
    func rejectsWithPosition(text: String, message: String, line: Int, column: Int) {
        let error = failure(text)
        #expect(error?.message == message)
        #expect(error?.line == line && error?.column == column, "\(error?.description ?? "")")
    }

    @Test func rejectsInvalidUTF8() {
        var bytes = Array(#""ab""#.utf8)
        bytes.insert(0xFF, at: 2)
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes) }
    }

    @Test func nestingIsBoundedNotAStackOverflow() throws {
        let deep = String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000)
        #expect(failure(deep)?.message == "nested deeper than \(JSONParser.maxDepth) levels")
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try parse(ok) }
    }
}
