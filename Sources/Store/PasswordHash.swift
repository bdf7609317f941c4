import CArgon2
import EventLoop

/// Argon2id's cost (RFC 9106 §3.1): memory in KiB, passes over it, and lanes.
public struct Argon2Parameters: Sendable, Equatable {
    public var memoryKiB: UInt32
    public var iterations: UInt32
    public var parallelism: UInt32

    /// RFC 9106 §4's second recommended option is t=3, m=64 MiB, p=4. chatd keeps its memory and
    /// passes but uses one lane: hashing runs on a single worker thread (so four lanes would cost
    /// the same time, computed one after another), and one hash in flight keeps the daemon's peak
    /// at 64 MiB. 0.2–0.3 s per hash on this project's machines (docs/ARCHITECTURE.md "Accounts").
    public static let recommended = Argon2Parameters(memoryKiB: 65_536, iterations: 3, parallelism: 1)

    public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32 = 1) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }
}

/// Password hashing with libargon2 (the RFC 9106 reference implementation, Debian's
/// libargon2-dev). Hashes are PHC strings that carry their own salt and parameters. Both calls
/// take a password's bytes and touch no other copy of them; they block for the whole hash, so
/// they belong on a worker thread, never on an event loop.
public enum PasswordHash {
    /// RFC 9106 §3.1: 16-byte salt recommended, 32-byte tag.
    static let saltBytes = 16
    static let tagBytes = 32

    public struct Failure: Error, CustomStringConvertible {
        public let code: CInt
        public var description: String { "argon2: " + String(cString: argon2_error_message(code)) }
    }

    /// A new PHC string for `password` with a fresh random salt (getrandom(2)).
    public static func hash(_ password: UnsafeRawBufferPointer, parameters p: Argon2Parameters) throws -> String {
        var salt = [UInt8](repeating: 0, count: saltBytes)
        try salt.withUnsafeMutableBytes { try Posix.randomBytes($0) }
        let length = argon2_encodedlen(p.iterations, p.memoryKiB, p.parallelism, UInt32(saltBytes), UInt32(tagBytes), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length + 1)
        let rc = argon2id_hash_encoded(
            p.iterations, p.memoryKiB, p.parallelism, password.baseAddress, password.count, salt, salt.count, tagBytes,
            &encoded, encoded.count)
        guard rc == ARGON2_OK.rawValue else { throw Failure(code: rc) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `password` matches `encoded` (argon2id_verify compares in constant time). A
    /// malformed or non-Argon2id string matches nothing.
    public static func verify(_ password: UnsafeRawBufferPointer, encoded: String) -> Bool {
        argon2id_verify(encoded, password.baseAddress, password.count) == ARGON2_OK.rawValue
    }
}
