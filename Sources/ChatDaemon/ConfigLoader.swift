// Where settings come from, and in which order. Built on apple/swift-configuration: one
// ConfigReader over three providers, the first that has a key wins:
//
//   1. InMemoryProvider "command line"  — the flags given to chatd (ConfigOverrides)
//   2. EnvironmentVariablesProvider     — CHATD_<KEY>, keys prefixed with "chatd"
//   3. the JSON file of --config        — ConfigFile (an InMemoryProvider, see ConfigFile.swift)
//   (4. the defaults of ChatConfig)
//
// Key mapping: a setting's key is one component, its flag name without dashes
// ("max-message-bytes"). ConfigFile stores each top-level key as that one component;
// EnvironmentVariablesProvider, behind `prefixKeys(with: "chatd")`, encodes ["chatd",
// "max-message-bytes"] as CHATD_MAX_MESSAGE_BYTES (upper-cased, non-alphanumerics → "_",
// components joined by "_"). Lists: a JSON array of strings in the file; a comma-separated
// string in the environment (CHATD_LISTEN="0.0.0.0:7575,[::]:7576", elements trimmed).
//
// The ConfigReader's plain getters return nil for a value of the wrong type (and only tell an
// AccessReporter). A typo must never silently fall back to a default, so every load attaches a
// reporter that collects such failures, and the load throws the first one.

import Configuration
import EventLoop
import Glibc
import Logging

/// Settings given on the command line; nil = not given. One optional per `ChatConfig` field.
public struct ConfigOverrides: Sendable, Equatable {
    public var listen: [ListenAddress]?
    public var threads: Int?
    public var maxMessageBytes: Int?
    public var handshakeTimeout: Double?
    public var idleTimeout: Double?
    public var queueSoftBytes: Int?
    public var queueSoftSeconds: Double?
    public var queueHardBytes: Int?
    public var msgRate: Double?
    public var msgBurst: Int?
    public var maxConnsPerIP: Int?
    public var maxConns: Int?
    public var history: Int?
    public var historyBudgetBytes: Int?
    public var historyStore: HistoryStoreKind?
    public var stateDir: String?
    public var controlSocket: String?
    public var historyCommitMs: Int?
    public var historyKeepDays: Int?
    public var historyKeepPerRoom: Int?
    public var historyPrivate: Bool?
    public var shutdownTimeout: Double?
    public var logLevel: Logger.Level?
    /// An empty string removes a motd set by the environment or the file.
    public var motd: String?
    public var serverName: String?
    public var networkName: String?
    public var ircPingInterval: Double?
    public var ircPingTimeout: Double?
    /// An empty string removes a password set by the environment or the file.
    public var ircPassword: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var tlsMaxHandshakes: Int?
    public var registration: RegistrationPolicy?
    public var authTimeout: Double?
    public var argon2MemoryKiB: Int?
    public var argon2Iterations: Int?
    public var webRoot: String?
    /// Comma-separated, as in the file and the environment.
    public var httpAllowedOrigins: String?
    public var cluster: String?
    public var nodeName: String?
    public var clusterStreamLength: Int?
    public var admins: [String]?
    public var maxBansPerRoom: Int?

    public init() {}
}

/// Loads a `ChatConfig`. Precedence: command-line flags > environment (`CHATD_MAX_MESSAGE_BYTES`,
/// `CHATD_LISTEN="a:1,b:2"`, …) > config file (JSON, keys = flag names without dashes) > defaults.
///
/// Keep the loader: on SIGHUP the daemon calls `loadBlocking()` again, which re-reads the file
/// (the flags and the environment captured at start still apply, with the same precedence). A
/// bad file then throws and the daemon keeps its old configuration.
public struct ConfigLoader: Sendable {
    /// `--config FILE`; nil = no file (defaults + environment + flags). A given file that is
    /// missing is an error.
    public var configFile: String?
    /// What the command line set.
    public var overrides: ConfigOverrides
    /// The environment to read `CHATD_*` from (injectable for tests).
    public var environment: [String: String]

    public init(
        configFile: String?,
        overrides: ConfigOverrides,
        environment: [String: String] = ConfigLoader.processEnvironment()
    ) {
        self.configFile = configFile
        self.overrides = overrides
        self.environment = environment
    }

    /// This process's environment (environ(7)); a later duplicate of a name wins, as in getenv.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }

    /// Reads file + environment + overrides and validates. Throws `ConfigError`.
    public func load() async throws -> ChatConfig {
        try loadBlocking()
    }

    /// The same as `load()`, synchronously: nothing in the load suspends (the file is read with
    /// read(2), and all providers answer synchronously), so this runs on the calling thread with
    /// no Task and no semaphore — safe from a signal handler's loop thread. Throws `ConfigError`.
    public func loadBlocking() throws -> ChatConfig {
        try loadConfig()
    }

    private func loadConfig() throws(ConfigError) -> ChatConfig {
        let file = try configFile.map { path throws(ConfigError) in try ConfigFile(path: path) }
        let arguments = InMemoryProvider(name: "command line", values: overrides.configValues)
        let env = EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["chatd"])
        var providers: [any ConfigProvider] = [arguments, env]
        if let file { providers.append(file.provider) }

        let reporter = ConfigAccessRecorder()
        let reader = ConfigReader(providers: providers, accessReporter: reporter)
        let sources = Sources(
            arguments: arguments.providerName, environment: env.providerName,
            file: file.map { ($0.provider.providerName, $0.path) })

        var config = ChatConfig()
        var listenTexts: [String]?
        for key in ChatConfigKey.allCases {
            let name = ConfigKey([key.rawValue])
            switch key {
            case .listen: listenTexts = reader.stringArray(forKey: name)
            case .threads: reader.int(forKey: name).map { config.threads = $0 }
            case .maxMessageBytes: reader.int(forKey: name).map { config.maxMessageBytes = $0 }
            case .handshakeTimeout: reader.double(forKey: name).map { config.handshakeTimeout = $0 }
            case .idleTimeout: reader.double(forKey: name).map { config.idleTimeout = $0 }
            case .queueSoftBytes: reader.int(forKey: name).map { config.queueSoftBytes = $0 }
            case .queueSoftSeconds: reader.double(forKey: name).map { config.queueSoftSeconds = $0 }
            case .queueHardBytes: reader.int(forKey: name).map { config.queueHardBytes = $0 }
            case .msgRate: reader.double(forKey: name).map { config.msgRate = $0 }
            case .msgBurst: reader.int(forKey: name).map { config.msgBurst = $0 }
            case .maxConnsPerIP: reader.int(forKey: name).map { config.maxConnsPerIP = $0 }
            case .maxConns: reader.int(forKey: name).map { config.maxConns = $0 }
            case .history: reader.int(forKey: name).map { config.history = $0 }
            case .historyBudgetBytes: reader.int(forKey: name).map { config.historyBudgetBytes = $0 }
            case .historyStore:
                if let text = reader.string(forKey: name) {
                    do throws(ConfigError) {
                        config.historyStore = try ChatConfig.parseHistoryStore(text)
                    } catch {
                        throw sources.annotate(error, origin: reporter.origin(of: key))
                    }
                }
            case .stateDir: reader.string(forKey: name).map { config.stateDir = $0.isEmpty ? nil : $0 }
            case .cluster: reader.string(forKey: name).map { config.cluster = $0.isEmpty ? nil : $0 }
            case .nodeName: reader.string(forKey: name).map { config.nodeName = $0.isEmpty ? nil : $0 }
            case .clusterStreamLength: reader.int(forKey: name).map { config.clusterStreamLength = $0 }
            case .admins: reader.stringArray(forKey: name).map { config.admins = $0.filter { !$0.isEmpty } }
            case .maxBansPerRoom: reader.int(forKey: name).map { config.maxBansPerRoom = $0 }
            case .controlSocket: reader.string(forKey: name).map { config.controlSocket = $0 }
            case .historyCommitMs: reader.int(forKey: name).map { config.historyCommitMs = $0 }
            case .historyKeepDays: reader.int(forKey: name).map { config.historyKeepDays = $0 }
            case .historyKeepPerRoom: reader.int(forKey: name).map { config.historyKeepPerRoom = $0 }
            case .historyPrivate: reader.bool(forKey: name).map { config.historyPrivate = $0 }
            case .shutdownTimeout: reader.double(forKey: name).map { config.shutdownTimeout = $0 }
            case .logLevel:
                if let text = reader.string(forKey: name) {
                    do throws(ConfigError) {
                        config.logLevel = try ChatConfig.parseLogLevel(text)
                    } catch {
                        throw sources.annotate(error, origin: reporter.origin(of: key))
                    }
                }
            case .motd: reader.string(forKey: name).map { config.motd = $0.isEmpty ? nil : $0 }
            case .serverName: reader.string(forKey: name).map { config.serverName = $0 }
            case .networkName: reader.string(forKey: name).map { config.networkName = $0 }
            case .ircPingInterval: reader.double(forKey: name).map { config.ircPingInterval = $0 }
            case .ircPingTimeout: reader.double(forKey: name).map { config.ircPingTimeout = $0 }
            case .ircPassword:
                reader.string(forKey: name, isSecret: true).map { config.ircPassword = $0.isEmpty ? nil : $0 }
            case .tlsCert: reader.string(forKey: name).map { config.tlsCert = $0.isEmpty ? nil : $0 }
            case .tlsKey: reader.string(forKey: name).map { config.tlsKey = $0.isEmpty ? nil : $0 }
            case .tlsMaxHandshakes: reader.int(forKey: name).map { config.tlsMaxHandshakes = $0 }
            case .registration:
                if let text = reader.string(forKey: name) {
                    do throws(ConfigError) {
                        config.registration = try ChatConfig.parseRegistration(text)
                    } catch {
                        throw sources.annotate(error, origin: reporter.origin(of: key))
                    }
                }
            case .authTimeout: reader.double(forKey: name).map { config.authTimeout = $0 }
            case .argon2MemoryKiB: reader.int(forKey: name).map { config.argon2MemoryKiB = $0 }
            case .argon2Iterations: reader.int(forKey: name).map { config.argon2Iterations = $0 }
            case .webRoot: reader.string(forKey: name).map { config.webRoot = $0.isEmpty ? nil : $0 }
            case .httpAllowedOrigins:
                reader.string(forKey: name).map { text in
                    config.httpAllowedOrigins = text.split(separator: ",").map { ConfigText.trim($0) }.filter { !$0.isEmpty }
                }
            }
            if let failure = reporter.failure {
                throw sources.explain(failure, key: key, environment: environment)
            }
        }
        if let listenTexts {
            do throws(ConfigError) {
                config.listen = try listenTexts.map { text throws(ConfigError) in try ListenAddress.parse(text) }
            } catch {
                throw sources.annotate(error, origin: reporter.origin(of: .listen))
            }
        }
        do throws(ConfigError) {
            try config.validate()
        } catch {
            throw sources.annotate(error, origin: error.key.flatMap(ChatConfigKey.init).flatMap(reporter.origin(of:)))
        }
        return config
    }
}

// MARK: - Internals

extension ChatConfigKey {
    /// The type each setting is read as.
    enum Kind {
        case int, double, string, bool, addresses, names

        /// For "must be …" messages.
        var noun: String {
            switch self {
            case .int: "an integer"
            case .double: "a number"
            case .string: "a string"
            case .bool: "true or false"
            case .addresses: "a list of addresses like [\"0.0.0.0:7575\", \"[::]:7575\"]"
            case .names: "a list of names like [\"alice\", \"bob\"]"
            }
        }
    }

    var kind: Kind {
        switch self {
        case .listen: .addresses
        case .admins: .names
        case .threads, .maxMessageBytes, .queueSoftBytes, .queueHardBytes, .msgBurst, .maxConnsPerIP, .maxConns,
            .history, .historyBudgetBytes, .tlsMaxHandshakes, .historyCommitMs, .historyKeepDays, .historyKeepPerRoom,
            .clusterStreamLength, .argon2MemoryKiB, .argon2Iterations, .maxBansPerRoom:
            .int
        case .handshakeTimeout, .idleTimeout, .queueSoftSeconds, .msgRate, .shutdownTimeout, .ircPingInterval,
            .ircPingTimeout, .authTimeout:
            .double
        case .historyPrivate: .bool
        case .logLevel, .motd, .serverName, .networkName, .ircPassword, .tlsCert, .tlsKey, .historyStore, .stateDir,
            .webRoot, .httpAllowedOrigins, .cluster, .nodeName, .controlSocket, .registration: .string
        }
    }
}

extension ConfigOverrides {
    /// The flags as swift-configuration values, keyed like the file (one component per setting),
    /// each with the ConfigType the loader reads it as.
    var configValues: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        func put(_ key: ChatConfigKey, _ content: ConfigContent?) {
            if let content { values[AbsoluteConfigKey([key.rawValue])] = ConfigValue(content, isSecret: false) }
        }
        put(.listen, listen.map { .stringArray($0.map(\.description)) })
        put(.threads, threads.map { .int($0) })
        put(.maxMessageBytes, maxMessageBytes.map { .int($0) })
        put(.handshakeTimeout, handshakeTimeout.map { .double($0) })
        put(.idleTimeout, idleTimeout.map { .double($0) })
        put(.queueSoftBytes, queueSoftBytes.map { .int($0) })
        put(.queueSoftSeconds, queueSoftSeconds.map { .double($0) })
        put(.queueHardBytes, queueHardBytes.map { .int($0) })
        put(.msgRate, msgRate.map { .double($0) })
        put(.msgBurst, msgBurst.map { .int($0) })
        put(.maxConnsPerIP, maxConnsPerIP.map { .int($0) })
        put(.maxConns, maxConns.map { .int($0) })
        put(.history, history.map { .int($0) })
        put(.historyBudgetBytes, historyBudgetBytes.map { .int($0) })
        put(.historyStore, historyStore.map { .string($0.rawValue) })
        put(.stateDir, stateDir.map { .string($0) })
        put(.cluster, cluster.map { .string($0) })
        put(.nodeName, nodeName.map { .string($0) })
        put(.clusterStreamLength, clusterStreamLength.map { .int($0) })
        put(.admins, admins.map { .stringArray($0) })
        put(.maxBansPerRoom, maxBansPerRoom.map { .int($0) })
        put(.controlSocket, controlSocket.map { .string($0) })
        put(.historyCommitMs, historyCommitMs.map { .int($0) })
        put(.historyKeepDays, historyKeepDays.map { .int($0) })
        put(.historyKeepPerRoom, historyKeepPerRoom.map { .int($0) })
        put(.historyPrivate, historyPrivate.map { .bool($0) })
        put(.shutdownTimeout, shutdownTimeout.map { .double($0) })
        put(.logLevel, logLevel.map { .string($0.rawValue) })
        put(.motd, motd.map { .string($0) })
        put(.serverName, serverName.map { .string($0) })
        put(.networkName, networkName.map { .string($0) })
        put(.ircPingInterval, ircPingInterval.map { .double($0) })
        put(.ircPingTimeout, ircPingTimeout.map { .double($0) })
        put(.ircPassword, ircPassword.map { .string($0) })
        put(.tlsCert, tlsCert.map { .string($0) })
        put(.tlsKey, tlsKey.map { .string($0) })
        put(.tlsMaxHandshakes, tlsMaxHandshakes.map { .int($0) })
        put(.registration, registration.map { .string($0.rawValue) })
        put(.authTimeout, authTimeout.map { .double($0) })
        put(.argon2MemoryKiB, argon2MemoryKiB.map { .int($0) })
        put(.argon2Iterations, argon2Iterations.map { .int($0) })
        put(.webRoot, webRoot.map { .string($0) })
        put(.httpAllowedOrigins, httpAllowedOrigins.map { .string($0) })
        return values
    }
}

/// Records, per key, which provider supplied the value, and the first lookup that failed (a
/// provider that threw, e.g. CHATD_THREADS=abc or "threads": 2.5).
final class ConfigAccessRecorder: AccessReporter, Sendable {
    struct Failure: Sendable {
        var providerName: String
        var error: any Error
    }

    private struct State {
        var origins: [String: String] = [:]
        var failure: Failure?
    }

    private let state = Locked(State())

    func report(_ event: AccessEvent) {
        guard let name = event.metadata.key.components.last else { return }
        state.withLock { state in
            // MultiProvider asks the providers in order and stops at the first value or error.
            for result in event.providerResults {
                if case .failure(let error) = result.result {
                    if state.failure == nil { state.failure = Failure(providerName: result.providerName, error: error) }
                    break
                }
                if case .success(let lookup) = result.result, lookup.value != nil {
                    state.origins[name] = result.providerName
                    break
                }
            }
            if state.failure == nil, let error = event.conversionError {
                state.failure = Failure(providerName: state.origins[name] ?? "", error: error)
            }
        }
    }

    var failure: Failure? { state.withLock { $0.failure } }

    /// The name of the provider that supplied `key`, nil when the default applies.
    func origin(of key: ChatConfigKey) -> String? { state.withLock { $0.origins[key.rawValue] } }
}

/// Turns provider names back into words an operator recognises.
private struct Sources {
    var arguments: String
    var environment: String
    var file: (providerName: String, path: String)?

    func describe(_ providerName: String, key: ChatConfigKey) -> String? {
        if providerName == arguments { return "set by \(key.flag)" }
        if providerName == environment { return "set by \(key.environmentVariable)" }
        if let file, providerName == file.providerName { return "set in config file '\(file.path)'" }
        return nil
    }

    /// Appends where the offending value came from, when known.
    func annotate(_ error: ConfigError, origin: String?) -> ConfigError {
        guard let origin, let key = error.key.flatMap(ChatConfigKey.init), let source = describe(origin, key: key)
        else { return error }
        var annotated = error
        annotated.description += " (\(source))"
        return annotated
    }

    /// A value the providers could not convert to the key's type.
    func explain(_ failure: ConfigAccessRecorder.Failure, key: ChatConfigKey, environment: [String: String]) -> ConfigError {
        if failure.providerName == self.environment {
            let raw = environment[key.environmentVariable] ?? ""
            return ConfigError("\(key.environmentVariable)='\(raw)' must be \(key.kind.noun)", key: key.rawValue)
        }
        if let file, failure.providerName == file.providerName {
            return ConfigError("config file '\(file.path)': \"\(key.rawValue)\" must be \(key.kind.noun)", key: key.rawValue)
        }
        if failure.providerName == arguments {
            return ConfigError("\(key.flag) must be \(key.kind.noun)", key: key.rawValue)
        }
        return ConfigError("\(key.rawValue): \(failure.error)", key: key.rawValue)
    }
}
