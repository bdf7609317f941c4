import ChatProtocol
import Testing

@Suite("UTF-8 validation")
struct UTF8ValidationTests {
    static func isValid(_ input: [UInt8]) -> Bool { withBytes(input, UTF8Validation.isValid) }

    static func stdlibAccepts(_ input: [UInt8]) -> Bool { String(validating: input, as: UTF8.self) != nil }

    static let valid: [[UInt8]] = [
        [], [0x00], [0x41], [0x7F],
        [0xC2, 0x80], [0xDF, 0xBF],  // U+0080, U+07FF
        [0xE0, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],  // U+0800, U+FFFF
        [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],  // U+D7FF, U+E000 around the surrogates
        [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10000, U+10FFFF
        [0xF0, 0x9F, 0x98, 0x80],  // 😀
        Array("héllo wörld, 日本語, 👋🏽".utf8),
    ]

    static let invalid: [[UInt8]] = [
        [0x80], [0xBF],  // lone continuation
        [0xC0, 0x80], [0xC1, 0xBF],  // overlong 2-byte
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],  // overlong 3-byte
        [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates U+D800, U+DFFF
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF],  // > U+10FFFF
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF],
        [0xC2], [0xE0, 0xA0], [0xF0, 0x9F, 0x98],  // truncated
        [0xC2, 0x41], [0xE2, 0x82, 0x41], [0xF0, 0x9F, 0x41, 0x80],  // continuation missing
        [0x41, 0x42, 0xC2],  // truncated at the end
    ]

    @Test("valid sequences", arguments: valid)
    func acceptsValid(input: [UInt8]) {
        #expect(Self.isValid(input))
        #expect(Self.stdlibAccepts(input), "table error")
    }

    @Test("invalid sequences", arguments: invalid)
    func rejectsInvalid(input: [UInt8]) {
        #expect(!Self.isValid(input))
        #expect(!Self.stdlibAccepts(input), "table error")
    }

    @Test("a bad byte is found at every position of a long ASCII run (word and tail paths)")
    func badByteAtEveryPosition() {
        for length in 0..<40 {
            let ascii = [UInt8](repeating: 0x61, count: length)
            #expect(Self.isValid(ascii))
            for position in 0..<length {
                for bad: [UInt8] in [[0x80], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80]] {
                    var input = ascii
                    input.replaceSubrange(position..<min(length, position + bad.count), with: bad)
                    #expect(!Self.isValid(input), "length \(length), position \(position)")
                }
            }
        }
    }

    @Test("a valid multi-byte scalar at every position of an ASCII run")
    func goodScalarAtEveryPosition() {
        for scalar in ["é", "€", "😀"] {
            for position in 0..<24 {
                var input = [UInt8](repeating: 0x61, count: 24)
                input.insert(contentsOf: bytes(scalar), at: position)
                #expect(Self.isValid(input))
            }
        }
    }

    @Test("all 2-byte inputs agree with the stdlib")
    func exhaustiveTwoBytes() {
        for value in 0..<0x1_0000 {
            let input = [UInt8(value >> 8), UInt8(value & 0xFF)]
            if Self.isValid(input) != Self.stdlibAccepts(input) {
                Issue.record("disagreement on \(input)")
            }
        }
    }

    @Test("3- and 4-byte inputs over the interesting lead/second bytes agree with the stdlib")
    func leadAndSecondBytes() {
        let tails: [[UInt8]] = [[0x80], [0xBF], [0x41], [0xC0], [0x80, 0x80], [0xBF, 0xBF], [0x80, 0x41]]
        for lead in UInt8(0xC0)...0xFF {
            for second in UInt8.min...UInt8.max {
                for tail in tails {
                    let input = [lead, second] + tail
                    if Self.isValid(input) != Self.stdlibAccepts(input) {
                        Issue.record("disagreement on \(input)")
                    }
                }
            }
        }
    }

    @Test("random buffers agree with String(validating:as:)")
    func randomBuffers() {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        let alphabet: [[UInt8]] = [
            bytes("a"), bytes(" "), bytes("é"), bytes("€"), bytes("😀"), [0x80], [0xBF], [0xC0], [0xC2], [0xE0],
            [0xED], [0xEF], [0xF0], [0xF4], [0xF5], [0xFF], [0xA0], [0x90], [0x8F], [0x9F],
        ]
        var validSeen = 0
        var invalidSeen = 0
        for _ in 0..<20_000 {
            var input: [UInt8] = []
            let pieces = Int.random(in: 0...24, using: &generator)
            for _ in 0..<pieces {
                // Mostly well-formed pieces so that a fair share of buffers is valid.
                if Int.random(in: 0..<8, using: &generator) == 0 {
                    input += alphabet.randomElement(using: &generator)!
                } else {
                    input += alphabet[Int.random(in: 0..<5, using: &generator)]
                }
            }
            let expected = Self.stdlibAccepts(input)
            if expected { validSeen += 1 } else { invalidSeen += 1 }
            if Self.isValid(input) != expected {
                Issue.record("disagreement on \(input)")
            }
        }
        #expect(validSeen > 1000 && invalidSeen > 1000, "random inputs are too one-sided")
    }
}
