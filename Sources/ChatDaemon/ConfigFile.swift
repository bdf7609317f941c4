// The JSON configuration file: read it once, check its shape (known keys, JSON kinds) so typos
// are never silent, and serve its values to swift-configuration through its own JSONSnapshot.
//
// Why not `FileProvider<JSONSnapshot>(filePath:)`: its initializer is `async` (it reads through
// an async file-system abstraction), which would force the daemon's SIGHUP path — a plain event
// loop thread — to block on a semaphore waiting for a Task. Reading the file here with read(2)
// and handing the bytes to the library's public `JSONSnapshot(data:providerName:parsingOptions:)`
// keeps the library's JSON parsing and type conversion, keeps loading synchronous, and reads the
// file exactly once for both the key check and the values (no window for the file to change
// between the two).

import Configuration
import Foundation
import Glibc

/// A parsed config file: its path, its raw top-level object (for the key check) and the
/// library snapshot that the ConfigReader queries.
struct ConfigFile: Sendable {
    /// Refuse absurd inputs (a config file is a few hundred bytes).
    static let maxBytes = 1 << 20

    let path: String
    let provider: ConfigFileProvider

    /// Reads, parses and shape-checks `path`. Every error names the file.
    init(path: String) throws(ConfigError) {
        self.path = path
        let bytes = try Self.read(path: path)
        let object: [String: Any]
        do {
            let parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
            guard let dictionary = parsed as? [String: Any] else {
                throw ConfigError("config file '\(path)': the top level must be a JSON object ({ \"key\": value, … })")
            }
            object = dictionary
        } catch let error as ConfigError {
            throw error
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw ConfigError("config file '\(path)': invalid JSON: \(detail)\(Self.position(in: bytes, detail: detail))")
        }
        try Self.checkShape(object, path: path)
        do {
            let snapshot = try JSONSnapshot(
                data: bytes.span.bytes, providerName: "config file '\(path)'", parsingOptions: .default)
            provider = ConfigFileProvider(snapshot: snapshot)
        } catch {
            throw ConfigError("config file '\(path)': \(error)")
        }
    }

    /// Foundation reports "… around character 57."; a byte offset is hard to find in an editor,
    /// so add " (line 3, column 12)".
    private static func position(in bytes: [UInt8], detail: String) -> String {
        guard let range = detail.range(of: "around character ") else { return "" }
        let digits = detail[range.upperBound...].prefix(while: ConfigText.isDigit)
        guard let offset = Int(digits), offset <= bytes.count else { return "" }
        var line = 1
        var column = 1
        for byte in bytes[..<offset] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                column += 1
            }
        }
        return " (line \(line), column \(column))"
    }

    private static func read(path: String) throws(ConfigError) -> [UInt8] {
        func failure(_ what: String) -> ConfigError {
            ConfigError("cannot read config file '\(path)': \(what)")
        }
        var fd: CInt
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            guard bytes.count <= maxBytes else { throw failure("larger than \(maxBytes) bytes") }
        }
        return bytes
    }

    /// Every key must be a known setting and hold the right JSON kind. (JSONSnapshot would
    /// otherwise accept `true` for a number, and silently ignore a misspelt key.) `null` means
    /// "not set here", as in JSONSnapshot.
    private static func checkShape(_ object: [String: Any], path: String) throws(ConfigError) {
        for name in object.keys.sorted() {
            guard let key = ChatConfigKey(rawValue: name) else {
                var message = "config file '\(path)': unknown key \"\(name)\""
                if let suggestion = suggestion(for: name) {
                    message += " (did you mean \"\(suggestion)\"?)"
                } else {
                    message += "; known keys: " + ChatConfigKey.allCases.map(\.rawValue).joined(separator: ", ")
                }
                throw ConfigError(message, key: nil)
            }
            let value = object[name]!
            if value is NSNull { continue }
            let ok: Bool
            switch key.kind {
            case .int, .double: ok = isNumber(value)
            case .string: ok = value is String
            case .addresses: ok = (value as? [Any])?.allSatisfy { $0 is String } ?? false
            }
            guard ok else {
                throw ConfigError(
                    "config file '\(path)': \"\(name)\" must be \(key.kind.noun), not \(describeJSON(value))",
                    key: name)
            }
        }
    }

    /// A JSON number that is not `true`/`false`: Foundation on Linux returns both as NSNumber,
    /// a boolean with objCType "c".
    private static func isNumber(_ value: Any) -> Bool {
        guard let number = value as? NSNumber, !(value is String) else { return false }
        return String(cString: number.objCType) != "c"
    }

    private static func describeJSON(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case let number as NSNumber: return String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        default: return "\(type(of: value))"
        }
    }

    /// The known key closest to a misspelt one, if it is close (edit distance at most a third of
    /// the name's length, at least 1: "thread" → "threads", but not "port" → "motd").
    static func suggestion(for name: String) -> String? {
        let candidates = ChatConfigKey.allCases.map { ($0.rawValue, editDistance(name.lowercased(), $0.rawValue)) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }), best.1 <= max(1, name.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// A ConfigProvider over one already-parsed file snapshot (FileProvider does the same, after an
/// async read). Nothing here watches the file: chatd re-reads it on SIGHUP.
struct ConfigFileProvider: ConfigProvider {
    let fileSnapshot: JSONSnapshot

    init(snapshot: JSONSnapshot) { fileSnapshot = snapshot }

    var providerName: String { fileSnapshot.providerName }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try fileSnapshot.value(forKey: key, type: type)
    }

    func fetchValue(forKey key: AbsoluteConfigKey, type: ConfigType) async throws -> LookupResult {
        try value(forKey: key, type: type)
    }

    // swift-configuration is built with NonisolatedNonsendingByDefault; spell it out here.
    nonisolated(nonsending) func watchValue<Return: ~Copyable>(
        forKey key: AbsoluteConfigKey,
        type: ConfigType,
        updatesHandler: nonisolated(nonsending) (
            _ updates: ConfigUpdatesAsyncSequence<Result<LookupResult, any Error>, Never>
        ) async throws -> Return
    ) async throws -> Return {
        try await watchValueFromValue(forKey: key, type: type, updatesHandler: updatesHandler)
    }

    func snapshot() -> any ConfigSnapshot { fileSnapshot }

    nonisolated(nonsending) func watchSnapshot<Return: ~Copyable>(
        updatesHandler: nonisolated(nonsending) (
            _ updates: ConfigUpdatesAsyncSequence<any ConfigSnapshot, Never>
        ) async throws -> Return
    ) async throws -> Return {
        try await watchSnapshotFromSnapshot(updatesHandler: updatesHandler)
    }
}
