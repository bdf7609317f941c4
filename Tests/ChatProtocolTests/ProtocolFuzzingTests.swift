import ChatProtocol
import Testing

/// Runs the libFuzzer invariant checks over seeded inputs; each violated invariant is a failed
/// expectation naming the invariant and the input.
@Suite("Fuzzing entry points")
struct ProtocolFuzzingTests {
    static func streamInput(_ generator: inout SeededGenerator) -> [UInt8] {
        var input = [UInt8.random(in: 0...255, using: &generator), UInt8.random(in: 0...255, using: &generator)]
        for _ in 0..<Int.random(in: 0...6, using: &generator) {
            let length = Int.random(in: 0...80, using: &generator)
            let payload = (0..<length).map { _ in
                Bool.random(using: &generator) ? UInt8.random(in: 0x20...0x7E, using: &generator) : UInt8.random(in: 0...255, using: &generator)
            }
            var frame = FrameEncoder.frame(payload)
            switch Int.random(in: 0..<10, using: &generator) {
            case 0: frame[Int.random(in: 0..<frame.count, using: &generator)] = .random(in: 0...255, using: &generator)
            case 1: frame.removeLast(Int.random(in: 0...frame.count, using: &generator))
            case 2: frame.replaceSubrange(0..<10, with: bytes(" \(length)".padding(toLength: 10)))
            default: break
            }
            input += frame
        }
        return input
    }

    @Test("decoder invariants hold on seeded streams")
    func decoder() {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<2000 {
            expectInvariants(Self.streamInput(&generator), ProtocolFuzzing.checkDecoder)
        }
        for input in [[], [0], [6, 1], [6, 9] + FrameEncoder.frame("hello") + bytes("GET /")] as [[UInt8]] {
            expectInvariants(input, ProtocolFuzzing.checkDecoder)
        }
    }

    @Test("command invariants hold on seeded inputs")
    func commands() {
        var generator = SeededGenerator(seed: 2)
        let words = ["/", "//", "/join", "/JOIN", "/msg", "/me", "/nick", "/leave", "/quit", "/x", " ", "\t", "\n",
                     "#", "rust", "bob", "*", "é", "👋", "\u{301}", "\u{A0}"]
        for _ in 0..<5000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined()
            expectInvariants(bytes(text), ProtocolFuzzing.checkCommand)
        }
        expectInvariants([0x2F, 0xFF, 0x20, 0xC0], ProtocolFuzzing.checkCommand)
    }

    @Test("a violated invariant is reported, with where it is checked")
    func violationsAreReported() {
        var invariants = FuzzInvariants()
        invariants.require(true, "holds")
        invariants.require(false, "does not hold")
        invariants.fail("unreachable case")
        #expect(invariants.violations.count == 2)
        #expect(invariants.violations.first?.contains("ProtocolFuzzingTests.swift:") == true)
        #expect(invariants.violations.first?.hasSuffix("violated: does not hold") == true)
    }

    @Test("name invariants hold on seeded inputs")
    func names() {
        var generator = SeededGenerator(seed: 3)
        let pieces: [[UInt8]] = [bytes("a"), bytes("Z"), bytes("é"), bytes("😀"), bytes("#"), bytes("*"), bytes(" "),
                                 bytes("\u{200D}"), bytes("\u{FE0F}"), bytes("İ"), [0xFF], [0xC0, 0x80], [0x00]]
        for _ in 0..<5000 {
            let input = (0..<Int.random(in: 0...12, using: &generator)).flatMap { _ in pieces.randomElement(using: &generator)! }
            expectInvariants(input, ProtocolFuzzing.checkNames)
        }
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        self + String(repeating: " ", count: Swift.max(0, length - utf8.count))
    }
}

/// One `#expect` per input: the violations, with the input's bytes to reproduce them.
private func expectInvariants(_ input: [UInt8], _ check: (UnsafeRawBufferPointer) -> [String]) {
    let violations = withBytes(input, check)
    #expect(violations.isEmpty, "input \(input): \(violations)")
}
