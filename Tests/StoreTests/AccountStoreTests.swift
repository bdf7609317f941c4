// Accounts: the Argon2id hashing wrapper over libargon2, and both account stores (the SQLite one
// across a reopen, and a database of schema version 1 upgraded in place).

import EventLoop
import Foundation
@testable import Store
import Testing

@Suite struct PasswordHashTests {
    static let cheap = Argon2Parameters(memoryKiB: 64, iterations: 1)

    func hash(_ password: String, _ p: Argon2Parameters = cheap) throws -> String {
        try Array(password.utf8).withUnsafeBytes { try PasswordHash.hash($0, parameters: p) }
    }

    func verify(_ password: String, _ encoded: String) -> Bool {
        Array(password.utf8).withUnsafeBytes { PasswordHash.verify($0, encoded: encoded) }
    }

    @Test func hashesAreArgon2idWithTheirParametersAndVerify() throws {
        let encoded = try hash("correct horse", Argon2Parameters(memoryKiB: 256, iterations: 2))
        #expect(encoded.hasPrefix("$argon2id$v=19$m=256,t=2,p=1$"))
        #expect(!encoded.contains("correct horse"))
        #expect(verify("correct horse", encoded))
        #expect(!verify("correct hors", encoded))
        #expect(!verify("", encoded))
    }

    @Test func everyHashHasItsOwnSalt() throws {
        let a = try hash("same password"), b = try hash("same password")
        #expect(a != b)
        #expect(verify("same password", a) && verify("same password", b))
    }

    @Test func malformedOrForeignHashesMatchNothing() throws {
        let argon2i = try hash("pw12345678").replacingOccurrences(of: "$argon2id$", with: "$argon2i$")
        for encoded in ["", "$argon2id$", "plain text", argon2i] {
            #expect(!verify("pw12345678", encoded), "\(encoded)")
        }
    }

    @Test func impossibleParametersThrow() {
        #expect(throws: PasswordHash.Failure.self) { try hash("pw12345678", Argon2Parameters(memoryKiB: 1, iterations: 1)) }
    }
}

@Suite struct AccountStoreTests {
    func record(_ name: String, hash: String = "$argon2id$x") -> AccountRecord {
        AccountRecord(key: name.lowercased(), name: name, passwordHash: hash, created: 1_700_000_000_000, flags: [])
    }

    func contract(_ store: any AccountStore) throws {
        #expect(store.count == 0)
        #expect(try store.create(record("Alice")))
        var again = record("ALICE", hash: "other")
        again.key = "alice"
        #expect(try !store.create(again))
        #expect(store.account(key: "alice")?.passwordHash == "$argon2id$x", "the first registration stays")
        #expect(store.account(key: "bob") == nil)
        #expect(try store.delete(key: "alice"))
        #expect(try !store.delete(key: "alice"))
        #expect(store.account(key: "alice") == nil && store.count == 0)
    }

    @Test func memoryStoreKeepsTheContract() throws { try contract(MemoryAccountStore()) }

    @Test func sqliteStoreKeepsTheContract() throws {
        let dir = try TempDirectory()
        try contract(SQLiteAccountStore(path: dir.file("history.db")))
    }

    @Test func sqliteAccountsSurviveReopening() throws {
        let dir = try TempDirectory()
        let path = dir.file("history.db")
        do {
            let store = try SQLiteAccountStore(path: path)
            var admin = record("Op")
            admin.flags = .adminCreated
            #expect(try store.create(record("Alice")) && store.create(admin))
        }
        let store = try SQLiteAccountStore(path: path)
        #expect(store.count == 2)
        #expect(store.account(key: "alice") == record("Alice"))
        #expect(store.account(key: "op")?.flags == .adminCreated)
    }

    /// A history database written before accounts existed (schema 1, with events) gains the
    /// table and keeps its history.
    @Test func aVersionOneHistoryDatabaseIsUpgraded() throws {
        let dir = try TempDirectory()
        let path = dir.file("history.db")
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("BEGIN; " + SQLiteSchema.migrations[0] + "; PRAGMA user_version = 1; COMMIT")
            try db.execute("INSERT INTO rooms(name) VALUES('lobby'); INSERT INTO events(room, seq, time, kind, private, sender, text) VALUES(1, 1, 0, 0, 0, 'a', 'hi')")
        }
        let store = try SQLiteAccountStore(path: path)
        #expect(try store.create(record("Alice")))
        let db = try SQLiteDatabase(path: path)
        #expect(try db.integer("PRAGMA user_version") == SQLiteSchema.version)
        #expect(try db.integer("SELECT count(*) FROM events") == 1)
    }
}
