import ChatProtocol
import Foundation
import Testing

/// Replays every committed libFuzzer input (Fuzz/corpus/<target>/, seeds plus any crash
/// reproducer added there) through the same entry points the fuzzers call, so a fixed crash
/// stays fixed in `swift test` without libFuzzer; each violated invariant is a failed expectation.
/// To add a crash found by scripts/fuzz/run.sh: copy the artifact from
/// .build-fuzz/artifacts/<target>/ into Fuzz/corpus/<target>/ (name it crash-<what>); the
/// replay below then runs it on every `swift test`.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static let targets = ["decoder", "command", "names"]

    static func violations(_ target: String, _ input: UnsafeRawBufferPointer) -> [String] {
        switch target {
        case "decoder": ProtocolFuzzing.checkDecoder(input)
        case "command": ProtocolFuzzing.checkCommand(input)
        case "names": ProtocolFuzzing.checkNames(input)
        default: ["unknown fuzz target \(target)"]
        }
    }

    static func corpus(_ target: String) throws -> [(String, Data)] {
        let dir = corpusRoot.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        return try names.map { ($0, try Data(contentsOf: dir.appendingPathComponent($0))) }
    }

    @Test("committed corpus inputs keep every invariant", arguments: 0..<targets.count)
    func corpusReplays(_ index: Int) throws {
        let target = Self.targets[index]
        let inputs = try Self.corpus(target)
        #expect(inputs.count >= 10, "seed corpus Fuzz/corpus/\(target) is missing or nearly empty")
        for (name, data) in inputs {
            let violations = data.withUnsafeBytes { Self.violations(target, $0) }
            #expect(violations.isEmpty, "Fuzz/corpus/\(target)/\(name): \(violations)")
        }
    }
}
