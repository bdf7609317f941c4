// The JSON configuration file: read it once, parse it (JSONParser), check its shape (known keys,
// JSON kinds) so typos are never silent, and serve its values to swift-configuration as an
// InMemoryProvider holding each value in the type the loader reads it as.
//
// Why not swift-configuration's `FileProvider<JSONSnapshot>`: JSONSnapshot parses with
// Foundation's JSONSerialization, which links Foundation and ICU into the daemon (see
// JSONValue.swift), and FileProvider's initializer is `async`, which would force the SIGHUP path
// — a plain event loop thread — to block on a semaphore waiting for a Task. Reading the file here
// with read(2) keeps loading synchronous and reads it exactly once.

import Configuration
import EventLoop
import Glibc

/// A parsed config file: its path and the provider that the ConfigReader queries.
struct ConfigFile: Sendable {
    /// Refuse absurd inputs (a config file is a few hundred bytes).
    static let maxBytes = 1 << 20

    let path: String
    let provider: InMemoryProvider

    /// Reads, parses and shape-checks `path`. Every error names the file.
    init(path: String) throws(ConfigError) {
        self.path = path
        let bytes = try Self.read(path: path)
        let parsed: JSONValue
        do throws(JSONSyntaxError) {
            parsed = try JSONParser.parse(bytes)
        } catch {
            throw ConfigError("config file '\(path)': invalid JSON: \(error)")
        }
        guard case .object(let members) = parsed else {
            throw ConfigError("config file '\(path)': the top level must be a JSON object ({ \"key\": value, … })")
        }
        provider = InMemoryProvider(name: "config file '\(path)'", values: try Self.values(of: members, path: path))
    }

    private static func read(path: String) throws(ConfigError) -> [UInt8] {
        func failure(_ what: String) -> ConfigError {
            ConfigError("cannot read config file '\(path)': \(what)")
        }
        let fd: CInt
        do { fd = try Posix.open(path, O_RDONLY) } catch { throw failure(String(cString: strerror(error.rawValue))) }
        defer { Posix.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let result: IOResult<Int>
            do {
                result = try chunk.withUnsafeMutableBytes { buffer throws(Errno) in try Posix.read(fd, buffer) }
            } catch {
                // (withUnsafeMutableBytes rethrows untyped; the error is Posix.read's Errno.)
                throw failure((error as? Errno).map { String(cString: strerror($0.rawValue)) } ?? "\(error)")
            }
            // A regular file never says EAGAIN; a non-blocking FIFO someone pointed us at might.
            guard case .processed(let n) = result else { throw failure("not a regular file (read would block)") }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            guard bytes.count <= maxBytes else { throw failure("larger than \(maxBytes) bytes") }
        }
        return bytes
    }

    /// Every key must be a known setting holding the right JSON kind; each becomes a ConfigValue
    /// of the type ConfigLoader reads the setting as. `null` means "not set here".
    private static func values(
        of members: [(name: String, value: JSONValue)], path: String
    ) throws(ConfigError) -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (name, value) in members.sorted(by: { $0.name < $1.name }) {
            guard let key = ChatConfigKey(rawValue: name) else {
                var message = "config file '\(path)': unknown key \"\(name)\""
                if let suggestion = suggestion(for: name) {
                    message += " (did you mean \"\(suggestion)\"?)"
                } else {
                    message += "; known keys: " + ChatConfigKey.allCases.map(\.rawValue).joined(separator: ", ")
                }
                throw ConfigError(message, key: nil)
            }
            if value == .null { continue }
            let content: ConfigContent?
            switch (key.kind, value) {
            case (.int, _): content = value.integer.map { .int($0) }
            case (.double, .number(_, let number)): content = .double(number)
            case (.string, .string(let text)): content = .string(text)
            case (.bool, .bool(let flag)): content = .bool(flag)
            case (.addresses, .array(let elements)):
                let texts = elements.compactMap { element -> String? in
                    if case .string(let text) = element { text } else { nil }
                }
                content = texts.count == elements.count ? .stringArray(texts) : nil
            default: content = nil
            }
            guard let content else {
                // "not a string" only when the JSON kind is wrong; 2.5 for an integer, or a list
                // with a non-string element, is the right kind with a wrong value.
                let rightKind =
                    switch (key.kind, value) {
                    case (.int, .number), (.double, .number), (.addresses, .array): true
                    default: false
                    }
                throw ConfigError(
                    "config file '\(path)': \"\(name)\" must be \(key.kind.noun)"
                        + (rightKind ? "" : ", not \(value.kindDescription)"),
                    key: name)
            }
            values[AbsoluteConfigKey([name])] = ConfigValue(content, isSecret: false)
        }
        return values
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
