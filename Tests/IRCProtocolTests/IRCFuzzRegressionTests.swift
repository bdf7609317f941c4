import Foundation
import IRCProtocol
import Testing

/// Replays every committed libFuzzer input of the `irc` target (Fuzz/corpus/irc/: seeds
/// plus any crash reproducer added there) through the entry point the fuzzer calls, so a
/// fixed crash stays fixed in `swift test` without libFuzzer. A violated invariant traps
/// the test process. To add a crash found by scripts/fuzz/run.sh: copy the artifact from
/// .build-fuzz/artifacts/irc/ into Fuzz/corpus/irc/ (name it crash-<what>);
/// `corpusReplays` runs it from then on.
@Suite("IRC fuzz regressions")
struct IRCFuzzRegressionTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/irc")

    @Test("committed corpus inputs keep every invariant")
    func corpusReplays() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        #expect(names.count >= 10, "seed corpus Fuzz/corpus/irc is missing or nearly empty")
        for name in names {
            let data = try Data(contentsOf: Self.corpus.appendingPathComponent(name))
            data.withUnsafeBytes { IRCFuzzing.fuzzLines($0) }
        }
    }

    @Test("seeded random streams keep every invariant")
    func seededStreams() {
        var generator = SeededGenerator(seed: 11)
        let pieces: [[UInt8]] = [
            bytes("CAP LS 302\r\n"), bytes("NICK a\r\n"), bytes("USER u 0 * :r\r\n"), bytes("CAP END\r\n"),
            bytes("@time=x;+c=\\s "), bytes(":n!u@h "), bytes("PRIVMSG #a :"), bytes("\u{1}ACTION "), bytes("é"),
            bytes("👋"), bytes(" "), bytes(":"), bytes("\r"), bytes("\n"), [0], [0xFF], [0xE2, 0x82], bytes("\\"),
            bytes(String(repeating: "x", count: 300)),
        ]
        for _ in 0..<300 {
            var input: [UInt8] = [UInt8.random(in: 0...255, using: &generator)]
            for _ in 0..<Int.random(in: 0...24, using: &generator) { input += pieces.randomElement(using: &generator)! }
            input.withUnsafeBytes { IRCFuzzing.fuzzLines($0) }
        }
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
