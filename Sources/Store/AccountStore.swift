/// One registered account. `key` is the name as the daemon folds names for uniqueness (Room's
/// `NameKey`): the store never folds names itself, so it cannot disagree with the nickname registry.
public struct AccountRecord: Sendable, Equatable {
    public struct Flags: OptionSet, Sendable, Equatable {
        public let rawValue: Int64
        public init(rawValue: Int64) { self.rawValue = rawValue }
        /// Created by an operator through the control socket (`chatd ctl account create`).
        public static let adminCreated = Flags(rawValue: 1)
    }

    public var key: String
    /// The name as it was registered (its case kept, for display).
    public var name: String
    /// The PHC string of an Argon2id hash (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): it carries its
    /// own parameters, so hashes made before a parameter change still verify.
    public var passwordHash: String
    /// Milliseconds since the Unix epoch.
    public var created: Int64
    public var flags: Flags

    public init(key: String, name: String, passwordHash: String, created: Int64, flags: Flags = []) {
        self.key = key
        self.name = name
        self.passwordHash = passwordHash
        self.created = created
        self.flags = flags
    }
}

/// Registered accounts behind one interface: `MemoryAccountStore` (`--history-store memory`,
/// tests) and `SQLiteAccountStore` (the `accounts` table of the history database). Thread-safe.
///
/// Lookups answer from memory and never touch storage, so an event loop may ask whether a
/// nickname is registered. Changes write through to storage before they return: they run on
/// the account worker thread or the control loop, never on an event loop.
public protocol AccountStore: AnyObject, Sendable {
    func account(key: String) -> AccountRecord?
    /// Stores `record` unless an account with its key exists; false when one does.
    func create(_ record: AccountRecord) throws -> Bool
    /// Removes the account with `key`; false when there was none.
    func delete(key: String) throws -> Bool
    var count: Int { get }
}
