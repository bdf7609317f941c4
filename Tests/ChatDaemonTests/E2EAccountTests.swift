// Issue 18, accounts: /register and /login over the framed protocol against a real daemon,
// accounts surviving a restart in the SQLite store, the auth-timeout rename, closed registration,
// and the limits on guessing and mass registration.

@testable import ChatDaemon
import Foundation
import Store
import Testing

@Suite("E2E accounts") struct E2EAccountTests {
    final class StateDir {
        let path: String
        init() throws {
            var template = Array("/tmp/chatd-e2e-accounts-XXXXXX".utf8CString)
            guard let p = mkdtemp(&template) else { throw E2EError("mkdtemp") }
            path = String(cString: p)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Cheap Argon2id parameters: the tests are about the protocol, not the hash's cost.
    static func daemon(_ configure: (inout ChatConfig) -> Void = { _ in }) throws -> E2EDaemon {
        try E2EDaemon {
            $0.argon2MemoryKiB = 64
            $0.argon2Iterations = 1
            configure(&$0)
        }
    }

    /// Leaves with /quit and waits for the goodbye: the daemon has released the name by then
    /// (a bare close races with the next client taking the name).
    static func quit(_ c: E2EClient) throws {
        try c.send(frame: "/quit")
        #expect(notice(c) { $0 == "bye" } == "bye")
    }

    /// The next `*` line, skipping the daemon's join notices and the rest.
    static func notice(_ c: E2EClient, _ match: (String) -> Bool, timeout: Double = 5) -> String? {
        c.receiveUntil(timeout: timeout) { $0.isNotice && match($0.text) }?.last?.text
    }

    @Test func registerThenLogInFromAnotherConnection() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "alice")
        try a.send(frame: "/register correct horse")
        #expect(Self.notice(a) { $0.contains("registered") } == "registered and logged in as alice")
        try a.send(frame: "/register another one")
        #expect(Self.notice(a) { $0.hasPrefix("error:") } == "error: you are already logged in as alice")
        try Self.quit(a)

        // The name is protected now: a new holder is told to log in.
        let b = try E2EClient.connect(port: d.port, name: "Alice")
        #expect(Self.notice(b) { $0.contains("registered account") }?.hasPrefix("Alice is a registered account: send /login PASSWORD within 30 s") == true)
        try b.send(frame: "/login wrong horse")
        #expect(Self.notice(b) { $0.hasPrefix("error:") } == "error: wrong password")
        try b.send(frame: "/login short")
        #expect(Self.notice(b) { $0.hasPrefix("error:") } == "error: password too short (at least 8 bytes)")
        try b.send(frame: "/login correct horse")
        #expect(Self.notice(b) { $0.contains("logged in") } == "you are logged in as alice")
        try b.send(frame: "/login")
        #expect(Self.notice(b) { $0.hasPrefix("error:") } == "error: usage: /login PASSWORD")
    }

    @Test func logInToAnUnregisteredNameIsRefused() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let c = try E2EClient.login(port: d.port, name: "nobody")
        try c.send(frame: "/login whatever123")
        #expect(Self.notice(c) { $0.hasPrefix("error:") } == "error: nobody is not a registered account")
    }

    @Test func accountsSurviveARestartWithTheSQLiteStore() throws {
        let dir = try StateDir()
        func daemon() throws -> E2EDaemon {
            try Self.daemon {
                $0.historyStore = .sqlite
                $0.stateDir = dir.path
            }
        }
        do {
            let d = try daemon()
            let a = try E2EClient.login(port: d.port, name: "carol")
            try a.send(frame: "/register s3cret-pass")
            #expect(Self.notice(a) { $0.contains("registered") } == "registered and logged in as carol")
            d.stop()
        }
        let d = try daemon()
        defer { d.stop() }
        let a = try E2EClient.login(port: d.port, name: "carol")
        try a.send(frame: "/login not-the-pass")
        #expect(Self.notice(a) { $0.hasPrefix("error:") } == "error: wrong password")
        try a.send(frame: "/login s3cret-pass")
        #expect(Self.notice(a) { $0.contains("logged in") } == "you are logged in as carol")
        #expect(d.server.accounts?.store.count == 1)
    }

    @Test func anUnauthenticatedHolderOfARegisteredNameIsRenamed() throws {
        let d = try Self.daemon { $0.authTimeout = 0.5 }
        defer { d.stop() }
        let owner = try E2EClient.login(port: d.port, name: "erin")
        try owner.send(frame: "/register erins-password")
        #expect(Self.notice(owner) { $0.contains("registered") } != nil)
        try Self.quit(owner)

        let watcher = try E2EClient.login(port: d.port, name: "watcher")
        let squatter = try E2EClient.connect(port: d.port, name: "erin")
        let told = Self.notice(squatter, { $0.hasPrefix("you are now Guest") }, timeout: 5)
        let guest = try #require(told.flatMap { $0.split(separator: " ")[3].dropLast() }.map(String.init))
        #expect(told == "you are now \(guest): erin is a registered account and you did not log in within 0.5 s")
        #expect(Self.notice(watcher) { $0.contains("is now known as") } == "erin is now known as \(guest)")

        // Logging in in time keeps the name.
        let owner2 = try E2EClient.connect(port: d.port, name: "erin")
        try owner2.send(frame: "/login erins-password")
        #expect(Self.notice(owner2) { $0.contains("logged in") } == "you are logged in as erin")
        #expect(owner2.drain(for: 1).contains { $0.text.hasPrefix("you are now Guest") } == false)
        try owner2.sync()
    }

    @Test func closedRegistrationRefusesUsers() throws {
        let d = try Self.daemon { $0.registration = .closed }
        defer { d.stop() }
        let c = try E2EClient.login(port: d.port, name: "frank")
        try c.send(frame: "/register franks-password")
        #expect(Self.notice(c) { $0.hasPrefix("error:") } == "error: registration is closed on this server (an operator creates accounts)")
    }

    @Test func guessingIsRateLimitedPerAccount() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        let owner = try E2EClient.login(port: d.port, name: "grace")
        try owner.send(frame: "/register graces-password")
        #expect(Self.notice(owner) { $0.contains("registered") } != nil)
        try Self.quit(owner)

        // The burst is 5 per account; the 6th attempt is refused without checking the password,
        // even the right one, and says when to retry.
        let guesser = try E2EClient.login(port: d.port, name: "grace")
        for i in 0..<5 {
            try guesser.send(frame: "/login guess-number-\(i)")
            #expect(Self.notice(guesser) { $0.hasPrefix("error:") } == "error: wrong password")
        }
        try guesser.send(frame: "/login graces-password")
        let refusal = Self.notice(guesser) { $0.hasPrefix("error:") }
        #expect(refusal?.hasPrefix("error: too many log-in attempts; try again in ") == true, "\(String(describing: refusal))")
        #expect(refusal?.hasSuffix(" s") == true)
    }

    @Test func massRegistrationFromOneAddressIsBounded() throws {
        let d = try Self.daemon()
        defer { d.stop() }
        var registered = 0
        var refusals: [String] = []
        for i in 0..<8 {
            let c = try E2EClient.login(port: d.port, name: "bot\(i)")
            try c.send(frame: "/register bot-password-\(i)")
            let answer = Self.notice(c) { $0.contains("registered and logged in") || $0.hasPrefix("error:") }
            if answer?.hasPrefix("registered") == true { registered += 1 } else { refusals.append(answer ?? "nothing") }
        }
        #expect(registered == Int(AccountSettings.registrationsPerAddress.burst))
        #expect(refusals.count == 3)
        #expect(refusals.allSatisfy { $0.hasPrefix("error: too many registrations from your address; try again in ") })
        #expect(d.server.accounts?.store.count == registered)
    }
}

/// The real binary at debug log level: no password typed by a user reaches the log, whatever
/// happened to it (registered, wrong, right, refused by a limit).
@Suite("E2E accounts, real binary") struct E2EAccountLogTests {
    @Test func noPasswordReachesTheLog() throws {
        let path = try #require(ChatdBinary.path, "chatd binary not found: build it (swift build) or set CHATD_BIN")
        let port = ChatdBinary.freePort()
        let log = "/tmp/chatd-e2e-accounts-\(getpid())-\(port).log"
        defer { unlink(log) }
        let chatd = try ChildProcess(
            [path, "--listen", "127.0.0.1:\(port)", "--history-store", "memory", "--log-level", "trace",
             "--argon2-memory-kib", "64", "--argon2-iterations", "1", "--max-conns-per-ip", "0"],
            logPath: log)
        defer { chatd.terminate() }
        #expect(waitForPort(port), "chatd did not start: \(chatd.log)")
        let secret = "Tr0ub4dor-\(getpid())"
        let a = try E2EClient.login(port: port, name: "henry")
        try a.send(frame: "/register \(secret)")
        #expect(E2EAccountTests.notice(a) { $0.contains("registered") } == "registered and logged in as henry")
        try E2EAccountTests.quit(a)
        let b = try E2EClient.login(port: port, name: "henry")
        for attempt in ["\(secret)x", "x\(secret)", secret, secret, secret, secret] {
            try b.send(frame: "/login \(attempt)")
            _ = E2EAccountTests.notice(b) { $0.hasPrefix("error:") || $0.contains("logged in") }
        }
        try b.send(frame: "/register \(secret)")
        _ = E2EAccountTests.notice(b) { $0.hasPrefix("error:") }
        chatd.terminate()
        let text = chatd.log
        #expect(text.contains("logged in to account"), "the log is at trace level and saw the log-ins")
        #expect(!text.contains(secret), "a password is in the daemon's log")
        #expect(!text.contains(String(secret.dropFirst(3))))
    }
}
