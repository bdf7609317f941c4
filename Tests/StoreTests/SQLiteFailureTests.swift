// What the SQLite store does when things go wrong: a damaged or foreign file, a newer schema,
// a writer that falls behind, a full disk.

import EventLoop
import Foundation
import Logging
@testable import Store
import Testing

@Suite struct SQLiteFailureTests {
    /// Writes a real database with history, closes it, and returns its path.
    private func populatedDatabase(_ dir: TempDirectory, events: UInt64 = 2_000) throws -> String {
        let path = dir.file("history.db")
        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: CapturedLog().logger)
        for s in 1...events { store.append(event("r", s, String(repeating: "x", count: 200))) }
        store.close(timeout: 10)
        return path
    }

    private func expectMovedAside(_ store: SQLiteHistoryStore, _ log: CapturedLog, original: [UInt8], dir: TempDirectory) throws {
        guard case .replaced(let aside, _) = store.opened else {
            Issue.record("expected the file to be replaced, opened: \(store.opened)")
            return
        }
        #expect(aside.hasPrefix(dir.file("history.db.broken-")))
        #expect(FileManager.default.contents(atPath: aside).map { [UInt8]($0) } == original, "the damaged file is kept as it was")
        #expect(log.contains(.error, "moving it aside"))
        // The fresh database works.
        store.append(event("fresh", 1))
        #expect(store.flush(timeout: 5))
        #expect(store.latest(room: "fresh", limit: 5).count == 1)
        #expect(store.lastSequence(room: "r") == 0)
    }

    @Test func truncatedFileIsMovedAside() throws {
        let dir = try TempDirectory()
        let path = try populatedDatabase(dir)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size > 100_000, "the database was checkpointed into the main file (\(size) bytes)")
        #expect(truncate(path, off_t(size / 2)) == 0)
        let damaged = [UInt8](FileManager.default.contents(atPath: path)!)
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        try expectMovedAside(store, log, original: damaged, dir: dir)
    }

    @Test func garbageFileIsMovedAside() throws {
        let dir = try TempDirectory()
        let path = dir.file("history.db")
        var rng = SystemRandomNumberGenerator()
        let garbage = (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(garbage)))
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        try expectMovedAside(store, log, original: garbage, dir: dir)
    }

    /// Valid header, damaged pages: only the check at open finds it.
    @Test func damagedPagesAreFoundByTheCheckAndMovedAside() throws {
        let dir = try TempDirectory()
        let path = try populatedDatabase(dir)
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        // Overwrite pages 3 onwards partly (page size 4096), keeping the 100-byte header and
        // the schema page intact.
        for page in stride(from: 2, to: bytes.count / 4096, by: 3) {
            for i in 0..<512 { bytes[page * 4096 + 8 + i] = 0xA5 }
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: path, options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        try expectMovedAside(store, log, original: bytes, dir: dir)
    }

    /// A file too large to check before start-up is checked in the background: damage found
    /// there is logged and marked, and the next start moves the file aside.
    @Test func backgroundCheckMarksDamageForTheNextStart() throws {
        let dir = try TempDirectory()
        let path = try populatedDatabase(dir)
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        for page in stride(from: 2, to: bytes.count / 4096, by: 3) {
            for i in 0..<512 { bytes[page * 4096 + 8 + i] = 0xA5 }
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let log = CapturedLog()
        let background = SQLiteHistoryStore.Options.testing { $0.synchronousCheckBytes = 0 }
        do {
            let store = try SQLiteHistoryStore(path: path, options: background, logger: log.logger)
            #expect(store.opened == .existing, "opened at once, without the full check")
            #expect(waitUntil { log.contains(.error, "moved aside at the next start") })
            #expect(FileManager.default.fileExists(atPath: path + ".damaged"))
            store.close(timeout: 5)
        }
        let store = try SQLiteHistoryStore(path: path, options: background, logger: log.logger)
        defer { store.close(timeout: 5) }
        guard case .replaced = store.opened else {
            Issue.record("the marked file was not moved aside: \(store.opened)")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".damaged"))
    }

    @Test func backgroundCheckOfAHealthyFileLogsSuccess() throws {
        let dir = try TempDirectory()
        let path = try populatedDatabase(dir, events: 100)
        let log = CapturedLog()
        let store = try SQLiteHistoryStore(path: path, options: .testing { $0.synchronousCheckBytes = 0 }, logger: log.logger)
        defer { store.close(timeout: 5) }
        #expect(waitUntil { log.contains(.info, "history database checked") })
        #expect(!FileManager.default.fileExists(atPath: path + ".damaged"))
        #expect(store.latest(room: "r", limit: 1_000).count == 100)
    }

    /// A file from a newer chatd is not touched: the daemon keeps history in memory instead.
    @Test func newerSchemaFallsBackToMemoryAndLeavesTheFile() throws {
        let dir = try TempDirectory()
        let path = try populatedDatabase(dir, events: 10)
        try setUserVersion(path, 99)
        let before = FileManager.default.contents(atPath: path)
        let log = CapturedLog()
        let store = SQLiteHistoryStore.openOrFallBack(path: path, options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        #expect(store is MemoryHistoryStore)
        #expect(log.contains(.error, "history is kept in memory only"))
        #expect(log.first("history is kept in memory only")?.metadata["error"]?.contains("newer") == true)
        #expect(FileManager.default.contents(atPath: path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + ".broken"))
    }

    /// An unusable directory (a file in the way): memory, logged, never a failed start.
    @Test func unusableDirectoryFallsBackToMemory() throws {
        let dir = try TempDirectory()
        #expect(FileManager.default.createFile(atPath: dir.file("notadir"), contents: Data()))
        let log = CapturedLog()
        let store = SQLiteHistoryStore.openOrFallBack(path: dir.file("notadir/history.db"), options: .testing(), logger: log.logger)
        defer { store.close(timeout: 5) }
        #expect(store is MemoryHistoryStore)
        #expect(log.contains(.error, "history is kept in memory only"))
        store.append(event("r", 1))
        #expect(store.latest(room: "r", limit: 1).count == 1)
    }

    private func setUserVersion(_ path: String, _ version: Int) throws {
        let db = try SQLiteDatabase(path: path)
        try db.execute("PRAGMA user_version = \(version)")
    }
}
