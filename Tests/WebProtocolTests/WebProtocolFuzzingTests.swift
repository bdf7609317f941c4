import Testing
import WebProtocol

/// Runs the libFuzzer entry points over seeded, mutated inputs: a violated invariant traps
/// the test process, so these fail loudly between fuzzing runs too.
@Suite("WebProtocol fuzzing entry points")
struct WebProtocolFuzzingTests {
    static func mutate(_ input: [UInt8], _ generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        switch Int.random(in: 0..<6, using: &generator) {
        case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = .random(in: 0...255, using: &generator)
        case 1: bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
        case 2 where !bytes.isEmpty: bytes.insert(.random(in: 0...255, using: &generator), at: Int.random(in: 0..<bytes.count, using: &generator))
        default: break
        }
        return bytes
    }

    @Test func httpInvariants() {
        var generator = SeededGenerator(state: 1)
        let seeds = [
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            "POST / HTTP/1.1\r\n\r\n", "GET / HTTP/1.0\r\nA: b\r\n\r\nGET",
        ]
        for _ in 0..<500 {
            for seed in seeds {
                let input = [UInt8.random(in: 0...2, using: &generator), .random(in: 0...255, using: &generator)] + Self.mutate(Array(seed.utf8), &generator)
                input.withUnsafeBytes(WebProtocolFuzzing.fuzzHTTP)
            }
        }
    }

    @Test func webSocketInvariants() {
        var generator = SeededGenerator(state: 2)
        let seeds: [[UInt8]] = [
            client(.text, "{\"type\":\"say\",\"room\":\"a\",\"text\":\"é\"}"),
            client(.text, "He", fin: false) + client(.ping, "p") + client(.continuation, "llo") + client(.close, [3, 0xE8]),
            client(.binary, [UInt8](repeating: 7, count: 300)), client(.text, [0xE2, 0x82], fin: false) + client(.continuation, [0xAC]),
        ]
        for _ in 0..<500 {
            for seed in seeds {
                let input = [UInt8.random(in: 0...6, using: &generator), .random(in: 0...255, using: &generator)] + Self.mutate(seed, &generator)
                input.withUnsafeBytes(WebProtocolFuzzing.fuzzWebSocket)
            }
        }
    }
}

/// Seeded so every run sees the same inputs (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
