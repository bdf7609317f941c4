// A full disk (a small tmpfs this test mounts): commits fail and are logged, appends and reads
// go on, and once space returns everything still queued is stored.

import Foundation
import Logging
@testable import Store
import Testing

@Suite(.serialized) struct SQLiteDiskFullTests {
    /// mount(8) a tmpfs of `size` on `dir`; nil and a recorded failure if that is impossible.
    private func mountTmpfs(_ dir: String, size: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir]
        let err = Pipe()
        p.standardError = err
        do { try p.run() } catch {
            Issue.record("cannot run mount(8) for the disk-full test (needs root and util-linux): \(error)")
            return false
        }
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("cannot mount a tmpfs for the disk-full test (it must run as root): \(msg)")
            return false
        }
        return true
    }

    private func unmount(_ dir: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/umount")
        p.arguments = ["-l", dir]
        try? p.run()
        p.waitUntilExit()
    }

    /// Writes zeros to `path` until the file system is full; returns the bytes written.
    private func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        return total
    }

    @Test func diskFullIsLoggedAndRecovers() throws {
        let dir = try TempDirectory()
        let mnt = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: false)
        guard mountTmpfs(mnt, size: "4m") else { return }
        defer { unmount(mnt) }
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: "\(mnt)/history.db", options: .testing {
            $0.retryMilliseconds = 20
        }, logger: log.logger)
        defer { store.close(timeout: 5) }
        let text = String(repeating: "y", count: 2_000)
        for s in 1...100 as ClosedRange<UInt64> { store.append(event("r", s, text)) }
        #expect(store.flush(timeout: 5))

        #expect(fill("\(mnt)/filler") > 0)
        for s in 101...1_000 as ClosedRange<UInt64> { store.append(event("r", s, text)) }
        #expect(waitUntil { store.statistics.failedCommits > 0 }, "a commit hit the full disk")
        let failure = log.first("history write failed")
        #expect(failure?.level == .error)
        #expect(failure?.metadata["error"]?.contains("full") == true, "reason: \(failure?.metadata ?? [:])")
        // Chat goes on: appends return at once and reads see them.
        #expect(store.append(event("r", 1_001, text)) > 0)
        #expect(store.latest(room: "r", limit: 2).map(\.sequence) == [1_000, 1_001])
        #expect(!store.flush(timeout: 0.2), "nothing can be stored while the disk is full")

        try FileManager.default.removeItem(atPath: "\(mnt)/filler")
        #expect(store.flush(timeout: 15), "queued events stored once space returned")
        #expect(log.contains(.notice, "history writes recovered"))
        #expect(store.statistics.dropped == 0)
        #expect(store.latest(room: "r", limit: 2_000).map(\.sequence) == Array(1...1_001))
    }
}
