// Issue 14: history in the SQLite store survives a restart; /history pages through it; a
// damaged database is moved aside and the daemon serves.

@testable import ChatDaemon
import Foundation
import Testing

@Suite("E2E history store") struct E2EHistoryStoreTests {
    final class StateDir {
        let path: String
        init() throws {
            var template = Array("/tmp/chatd-e2e-state-XXXXXX".utf8CString)
            guard let p = mkdtemp(&template) else { throw E2EError("mkdtemp") }
            path = String(cString: p)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    private func daemon(_ dir: StateDir, history: Int = 50) throws -> E2EDaemon {
        try E2EDaemon {
            $0.history = history
            $0.historyStore = .sqlite
            $0.stateDir = dir.path
            $0.historyCommitMs = 10
        }
    }

    /// "history: N messages in #room, A to B" → (N, A, B).
    private func header(_ m: Msg?) -> (Int, UInt64, UInt64)? {
        guard let m, m.isNotice, m.text.hasPrefix("history: ") else { return nil }
        let w = m.text.split(separator: " ")
        guard w.count == 8, let n = Int(w[1]), let a = UInt64(w[5]), let b = UInt64(w[7]) else { return nil }
        return (n, a, b)
    }

    /// One /history request: the page's messages and its first sequence, nil when there is none.
    private func page(_ c: E2EClient, _ command: String) throws -> (messages: [Msg], first: UInt64)? {
        try c.send(frame: command)
        let head = c.receive()
        guard let (n, first, _) = header(head) else {
            #expect(head?.text.hasPrefix("no history") == true, "reply to \(command): \(String(describing: head))")
            return nil
        }
        let body = c.receive(count: n + 1) ?? []
        #expect(body.last == .notice("end of history"))
        return (Array(body.dropLast()), first)
    }

    @Test func cleanRestartKeepsHistoryAndSequences() throws {
        let dir = try StateDir()
        var lastBefore: UInt64 = 0
        do {
            let d = try daemon(dir)
            let a = try E2EClient.login(port: d.port, name: "alice")
            for i in 0..<3 { try a.send(frame: "before restart \(i)") }
            try a.sync()
            let p = try page(a, "/history")
            #expect(p?.messages == (0..<3).map { Msg("alice", "before restart \($0)") })
            lastBefore = try #require(p).first + 2
            d.stop()
        }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/history.db"))
        let d = try daemon(dir)
        defer { d.stop() }
        // The join replay of the first client after the restart comes from the database.
        let late = try E2EClient.connect(port: d.port, name: "late")
        #expect(late.receive(count: 5) == [.notice("history: 3 messages in #lobby")]
                + (0..<3).map { Msg("alice", "before restart \($0)") } + [.notice("end of history")])
        try late.sync()
        try late.send(frame: "after restart")
        try late.sync()
        let p = try #require(try page(late, "/history 1"))
        #expect(p.messages == [Msg("late", "after restart")])
        #expect(p.first > lastBefore, "sequence numbers continue after the restart (\(p.first) > \(lastBefore))")
    }

    @Test func historyPagesBackThroughEveryMessage() throws {
        let dir = try StateDir()
        let d = try daemon(dir, history: 10)
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "alice")
        let total = 230
        for i in 0..<total { try a.send(frame: "m\(i)") }
        try a.sync()
        var collected: [Msg] = []
        var next = "/history 100"
        while let p = try page(a, next) {
            collected.insert(contentsOf: p.messages, at: 0)
            next = "/history before \(p.first) 100"
        }
        #expect(collected == (0..<total).map { Msg("alice", "m\($0)") })
        try a.send(frame: "/history before 1")
        #expect(a.receive() == .notice("no history before 1 in #lobby"))
    }

    @Test func damagedDatabaseIsMovedAsideAndTheDaemonServes() throws {
        let dir = try StateDir()
        let garbage = Data((0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        #expect(FileManager.default.createFile(atPath: dir.path + "/history.db", contents: garbage))
        let d = try daemon(dir)
        defer { d.stop() }
        d.expectHealthy("after moving a damaged history database aside")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let aside = names.filter { $0.hasPrefix("history.db.broken-") }
        #expect(aside.count == 1, "files: \(names)")
        #expect(aside.first.flatMap { FileManager.default.contents(atPath: dir.path + "/" + $0) } == garbage)
        let a = try E2EClient.login(port: d.port, name: "alice")
        try a.send(frame: "stored in the fresh database")
        try a.sync()
        #expect(try page(a, "/history")?.messages.contains(Msg("alice", "stored in the fresh database")) == true)
    }
}
