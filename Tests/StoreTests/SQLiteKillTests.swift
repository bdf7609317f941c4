// SIGKILL: a process appending at a steady rate is killed; everything it saw committed is in
// the file, and what is lost is bounded by the commit interval (DESIGN.md §8).

import EventLoop
import Foundation
@testable import Store
import Testing

@Suite struct SQLiteKillTests {
    /// chatd-store-bench next to this test binary (both are products of `swift build --build-tests`).
    static var probePath: String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var dir = (exe as NSString).deletingLastPathComponent
        // The test bundle may be chatdPackageTests.xctest/… on some toolchains: walk up to the bin dir.
        for _ in 0..<3 {
            let candidate = dir + "/chatd-store-bench"
            if access(candidate, X_OK) == 0 { return candidate }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    @Test func sigkillLosesAtMostTheCommitInterval() throws {
        guard let probe = Self.probePath else {
            Issue.record("chatd-store-bench not found next to the test binary: build it with `swift build --build-tests`")
            return
        }
        let dir = try TempDirectory()
        let path = dir.file("history.db")
        let rate = 2_000, commitMs = 50
        let out = dir.file("probe.out")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: probe)
        p.arguments = ["probe", "--path", path, "--rate", "\(rate)", "--commit-ms", "\(commitMs)"]
        #expect(FileManager.default.createFile(atPath: out, contents: nil))
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        try p.run()

        func lastLine() -> (appended: UInt64, committed: UInt64)? {
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            guard let line = text.split(separator: "\n").last else { return nil }
            let f = line.split(separator: " ")
            guard f.count == 4, let a = UInt64(f[1]), let c = UInt64(f[3]) else { return nil }
            return (a, c)
        }
        // Let it run through a good number of commits, then kill it at a point unrelated to the
        // commit rhythm (a random append count), so the loss is a fair sample.
        let killAt = UInt64.random(in: 1_000...1_400)
        let running = waitUntil(timeout: 20) {
            guard let l = lastLine() else { return false }
            return l.committed >= 500 && l.appended >= killAt
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(running, "the probe committed 500 events and appended \(killAt) (last report: \(String(describing: lastLine())))")
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
        guard let report = lastLine() else { Issue.record("no report from the probe"); return }

        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: CapturedLog().logger)
        defer { store.close(timeout: 5) }
        #expect(store.opened == .existing, "the killed process's file opens without repair")
        let stored = store.after(room: "probe", sequence: 0, limit: 1_000_000).map(\.sequence)
        #expect(firstMismatch(stored, Array(1...UInt64(stored.count))) == nil, "a gap-free prefix was stored")
        #expect(stored.count >= report.committed, "everything reported committed survived: \(stored.count) < \(report.committed)")
        // The loss: appended before the kill but not stored. At least `appended` (the last
        // report) were appended. The bound allows the commit interval plus the time one commit
        // takes on a busy shared machine (generously 1 s), at the probe's rate.
        let lost = Int(report.appended) - stored.count
        let bound = rate * (commitMs + 1_000) / 1_000
        #expect(lost <= bound, "lost \(lost) events at \(rate)/s with \(commitMs) ms commits (bound \(bound))")
        print("SIGKILL probe: appended ≥ \(report.appended), stored \(stored.count), lost ≥ \(lost) events = \(Double(lost) * 1000 / Double(rate)) ms at \(rate)/s, commit interval \(commitMs) ms")
        #expect(store.lastSequence(room: "probe") == UInt64(stored.count))
    }
}
