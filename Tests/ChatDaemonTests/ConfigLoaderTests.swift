// ConfigLoader: file < environment < flags, key mapping, and every way a source can be wrong.

import ChatDaemon
import Foundation
import Logging
import Testing

/// A JSON file in a fresh temporary directory, removed by `remove()`.
struct TempConfigFile {
    let directory: URL
    let path: String

    init(_ contents: String, name: String = "chatd.json") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chatd-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(name).path
        try write(contents)
    }

    func write(_ contents: String) throws {
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Runs `load` and returns the error message it throws (nil, with an issue recorded, if none).
func configLoadError(_ loader: ConfigLoader, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        let config = try loader.loadBlocking()
        Issue.record("expected an error, got \(config)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ConfigError {
        return error.description
    } catch {
        Issue.record("expected a ConfigError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite struct ConfigLoaderTests {
    @Test func nothingGivenMeansDefaults() async throws {
        let loader = ConfigLoader(configFile: nil, overrides: ConfigOverrides(), environment: [:])
        #expect(try loader.loadBlocking() == ChatConfig())
        #expect(try await loader.load() == ChatConfig())
    }

    @Test func unrelatedEnvironmentIsIgnored() throws {
        let env = ["PATH": "/bin", "THREADS": "7", "MAX_MESSAGE_BYTES": "x", "CHATD": "1", "CHATDTHREADS": "9"]
        #expect(try ConfigLoader(configFile: nil, overrides: ConfigOverrides(), environment: env).loadBlocking() == ChatConfig())
    }

    @Test func everyKeyFromTheFile() throws {
        let file = try TempConfigFile(
            """
            {"listen": ["0.0.0.0:7001", "[::1]:7002"], "threads": 2, "max-message-bytes": 1000,
             "handshake-timeout": 2.5, "idle-timeout": 60, "queue-soft-bytes": 4096, "queue-soft-seconds": 3,
             "queue-hard-bytes": 8192, "msg-rate": 0.5, "msg-burst": 4, "max-conns-per-ip": 9, "max-conns": 99,
             "history": 7, "history-budget-bytes": 4096, "shutdown-timeout": 1.5, "log-level": "debug", "motd": "hello ☃",
             "tls-cert": "/etc/chatd/tls/fullchain.pem", "tls-key": "/etc/chatd/tls/privkey.pem", "tls-max-handshakes": 64,
             "web-root": "/srv/chat/www", "http-allowed-origins": "https://a.example, https://b.example",
             "history-private": true}
            """)
        defer { file.remove() }
        let config = try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]).loadBlocking()
        var expected = ChatConfig()
        expected.listen = [ListenAddress(host: "0.0.0.0", port: 7001), ListenAddress(host: "::1", port: 7002)]
        expected.threads = 2
        expected.maxMessageBytes = 1000
        expected.handshakeTimeout = 2.5
        expected.idleTimeout = 60
        expected.queueSoftBytes = 4096
        expected.queueSoftSeconds = 3
        expected.queueHardBytes = 8192
        expected.msgRate = 0.5
        expected.msgBurst = 4
        expected.maxConnsPerIP = 9
        expected.maxConns = 99
        expected.history = 7
        expected.historyBudgetBytes = 4096
        expected.shutdownTimeout = 1.5
        expected.logLevel = .debug
        expected.motd = "hello ☃"
        expected.tlsCert = "/etc/chatd/tls/fullchain.pem"
        expected.tlsKey = "/etc/chatd/tls/privkey.pem"
        expected.tlsMaxHandshakes = 64
        expected.webRoot = "/srv/chat/www"
        expected.httpAllowedOrigins = ["https://a.example", "https://b.example"]
        expected.historyPrivate = true
        #expect(config == expected)
        // Not vacuous: every field differs from its default.
        let d = ChatConfig()
        #expect(config.listen != d.listen && config.threads != d.threads && config.maxMessageBytes != d.maxMessageBytes)
        #expect(config.handshakeTimeout != d.handshakeTimeout && config.idleTimeout != d.idleTimeout)
        #expect(config.queueSoftBytes != d.queueSoftBytes && config.queueSoftSeconds != d.queueSoftSeconds)
        #expect(config.queueHardBytes != d.queueHardBytes && config.msgRate != d.msgRate && config.msgBurst != d.msgBurst)
        #expect(config.maxConnsPerIP != d.maxConnsPerIP && config.maxConns != d.maxConns && config.history != d.history)
        #expect(config.historyBudgetBytes != d.historyBudgetBytes)
        #expect(config.shutdownTimeout != d.shutdownTimeout && config.logLevel != d.logLevel && config.motd != d.motd)
        #expect(config.tlsCert != d.tlsCert && config.tlsKey != d.tlsKey && config.tlsMaxHandshakes != d.tlsMaxHandshakes)
        #expect(config.historyPrivate != d.historyPrivate)
    }

    @Test func everyKeyFromTheEnvironment() throws {
        let env = [
            "CHATD_LISTEN": "127.0.0.1:7001, [::1]:7002", "CHATD_THREADS": "3", "CHATD_MAX_MESSAGE_BYTES": "2000",
            "CHATD_HANDSHAKE_TIMEOUT": "4", "CHATD_IDLE_TIMEOUT": "61.5", "CHATD_QUEUE_SOFT_BYTES": "5000",
            "CHATD_QUEUE_SOFT_SECONDS": "4", "CHATD_QUEUE_HARD_BYTES": "9000", "CHATD_MSG_RATE": "2",
            "CHATD_MSG_BURST": "5", "CHATD_MAX_CONNS_PER_IP": "0", "CHATD_MAX_CONNS": "100", "CHATD_HISTORY": "0",
            "CHATD_HISTORY_BUDGET_BYTES": "1024", "CHATD_HISTORY_STORE": "Memory", "CHATD_STATE_DIR": "/srv/chat", "CHATD_CONTROL_SOCKET": "/run/chat/ctl",
            "CHATD_HISTORY_COMMIT_MS": "20", "CHATD_HISTORY_KEEP_DAYS": "7", "CHATD_HISTORY_KEEP_PER_ROOM": "500",
            "CHATD_SHUTDOWN_TIMEOUT": "0", "CHATD_LOG_LEVEL": "Error", "CHATD_MOTD": "from env",
            "CHATD_SERVER_NAME": "irc.example.org", "CHATD_NETWORK_NAME": "Example", "CHATD_IRC_PING_INTERVAL": "30",
            "CHATD_IRC_PING_TIMEOUT": "15", "CHATD_IRC_PASSWORD": "sesame",
            "CHATD_TLS_CERT": "/run/credentials/chatd.service/tls.crt", "CHATD_TLS_KEY": "/run/credentials/chatd.service/tls.key",
            "CHATD_TLS_MAX_HANDSHAKES": "10", "CHATD_HISTORY_PRIVATE": "true",
            "CHATD_WEB_ROOT": "/usr/share/chatd/www", "CHATD_HTTP_ALLOWED_ORIGINS": "*",
            "CHATD_CLUSTER": "redis://127.0.0.1:6380/2", "CHATD_NODE_NAME": "node-b", "CHATD_CLUSTER_STREAM_LENGTH": "77",
            "CHATD_REGISTRATION": "Closed", "CHATD_AUTH_TIMEOUT": "12.5", "CHATD_ARGON2_MEMORY_KIB": "1024",
            "CHATD_ARGON2_ITERATIONS": "2",
            "CHATD_ADMINS": "root, ops", "CHATD_MAX_BANS_PER_ROOM": "7",
        ]
        #expect(env.count == ChatConfigKey.allCases.count)
        #expect(Set(env.keys) == Set(ChatConfigKey.allCases.map(\.environmentVariable)))
        let c = try ConfigLoader(configFile: nil, overrides: ConfigOverrides(), environment: env).loadBlocking()
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 7001), ListenAddress(host: "::1", port: 7002)])
        #expect(c.threads == 3)
        #expect(c.admins == ["root", "ops"] && c.maxBansPerRoom == 7)
        #expect(c.historyStore == .memory && c.stateDir == "/srv/chat" && c.historyCommitMs == 20)
        #expect(c.historyKeepDays == 7 && c.historyKeepPerRoom == 500 && c.historyPrivate)
        #expect(c.registration == .closed && c.authTimeout == 12.5 && c.argon2MemoryKiB == 1024 && c.argon2Iterations == 2)
        #expect(c.controlSocketPath == "/run/chat/ctl")
        #expect(c.serverName == "irc.example.org" && c.networkName == "Example")
        #expect(c.ircPingInterval == 30 && c.ircPingTimeout == 15 && c.ircPassword == "sesame")
        #expect(c.maxMessageBytes == 2000)
        #expect(c.handshakeTimeout == 4)
        #expect(c.idleTimeout == 61.5)
        #expect(c.queueSoftBytes == 5000)
        #expect(c.queueSoftSeconds == 4)
        #expect(c.queueHardBytes == 9000)
        #expect(c.msgRate == 2)
        #expect(c.msgBurst == 5)
        #expect(c.maxConnsPerIP == 0)
        #expect(c.maxConns == 100)
        #expect(c.history == 0)
        #expect(c.historyBudgetBytes == 1024)
        #expect(c.shutdownTimeout == 0)
        #expect(c.logLevel == .error)
        #expect(c.motd == "from env")
        #expect(c.tlsCert == "/run/credentials/chatd.service/tls.crt")
        #expect(c.tlsKey == "/run/credentials/chatd.service/tls.key")
        #expect(c.tlsMaxHandshakes == 10)
        #expect(c.webRoot == "/usr/share/chatd/www")
        #expect(c.httpAllowedOrigins == ["*"])
        #expect(c.cluster == "redis://127.0.0.1:6380/2" && c.nodeName == "node-b" && c.clusterStreamLength == 77)
    }

    /// A cluster URL is checked at load: a bad one names the key and what is expected.
    @Test func badClusterURL() {
        for bad in ["redis://redis.example.com:6379", "tcp://127.0.0.1:6379", "redis://127.0.0.1"] {
            #expect(throws: ConfigError.self, "\(bad)") {
                try ConfigLoader(configFile: nil, overrides: ConfigOverrides(), environment: ["CHATD_CLUSTER": bad]).loadBlocking()
            }
        }
    }

    @Test func everyOverrideApplies() throws {
        var o = ConfigOverrides()
        o.listen = [ListenAddress(host: "127.0.0.1", port: 0)]
        o.threads = 1
        o.maxMessageBytes = 100
        o.handshakeTimeout = 0.25
        o.idleTimeout = 1
        o.queueSoftBytes = 300
        o.queueSoftSeconds = 0.5
        o.queueHardBytes = 600
        o.msgRate = 0
        o.msgBurst = 1
        o.maxConnsPerIP = 1
        o.maxConns = 2
        o.history = 3
        o.historyBudgetBytes = 5
        o.shutdownTimeout = 0.1
        o.logLevel = .trace
        o.motd = "flag"
        o.tlsCert = "c.pem"
        o.tlsKey = "k.pem"
        o.tlsMaxHandshakes = 3
        let c = try ConfigLoader(configFile: nil, overrides: o, environment: [:]).loadBlocking()
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 0)])
        #expect(c.threads == 1 && c.maxMessageBytes == 100 && c.handshakeTimeout == 0.25 && c.idleTimeout == 1)
        #expect(c.queueSoftBytes == 300 && c.queueSoftSeconds == 0.5 && c.queueHardBytes == 600)
        #expect(c.msgRate == 0 && c.msgBurst == 1 && c.maxConnsPerIP == 1 && c.maxConns == 2 && c.history == 3)
        #expect(c.historyBudgetBytes == 5)
        #expect(c.shutdownTimeout == 0.1 && c.logLevel == .trace && c.motd == "flag")
        #expect(c.tlsCert == "c.pem" && c.tlsKey == "k.pem" && c.tlsMaxHandshakes == 3)
    }

    @Test func tlsCertificateAndKeyComeTogether() {
        #expect(configLoadError(ConfigLoader(configFile: nil, overrides: ConfigOverrides(), environment: ["CHATD_TLS_CERT": "c.pem"]))
            == "tls-key is missing: tls-cert and tls-key are given together")
        var o = ConfigOverrides()
        o.tlsKey = "k.pem"
        #expect(configLoadError(ConfigLoader(configFile: nil, overrides: o, environment: [:]))
            == "tls-cert is missing: tls-cert and tls-key are given together")
        o.tlsCert = "c.pem"
        o.tlsMaxHandshakes = 0
        #expect(configLoadError(ConfigLoader(configFile: nil, overrides: o, environment: [:]))?
            .hasPrefix("tls-max-handshakes must be between 1 and 1000000") == true)
    }

    @Test func precedenceIsFlagsThenEnvironmentThenFile() async throws {
        let file = try TempConfigFile(
            #"{"max-message-bytes": 1000, "history": 7, "threads": 3, "listen": ["127.0.0.1:7001"], "motd": "file"}"#)
        defer { file.remove() }
        let env = ["CHATD_MAX_MESSAGE_BYTES": "2000", "CHATD_HISTORY": "8", "CHATD_LISTEN": "127.0.0.1:7002"]
        var flags = ConfigOverrides()
        flags.maxMessageBytes = 3000
        flags.listen = [ListenAddress(host: "127.0.0.1", port: 7003), ListenAddress(host: "::1", port: 7004)]

        // Each layer on its own, so the combined result below cannot come from a default.
        let fileOnly = try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]).loadBlocking()
        #expect(fileOnly.maxMessageBytes == 1000 && fileOnly.history == 7 && fileOnly.threads == 3)
        let fileAndEnv = try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: env).loadBlocking()
        #expect(fileAndEnv.maxMessageBytes == 2000 && fileAndEnv.history == 8 && fileAndEnv.threads == 3)
        #expect(fileAndEnv.listen == [ListenAddress(host: "127.0.0.1", port: 7002)])

        let all = try await ConfigLoader(configFile: file.path, overrides: flags, environment: env).load()
        #expect(all.maxMessageBytes == 3000)  // flag beats env and file
        #expect(all.history == 8)  // env beats file
        #expect(all.threads == 3)  // file beats default
        #expect(all.motd == "file")
        #expect(all.listen == flags.listen)  // a list is replaced, not merged
        #expect(all.queueHardBytes == ChatConfig().queueHardBytes)  // untouched → default
    }

    @Test func emptyMotdRemovesALowerLayersMotd() throws {
        let file = try TempConfigFile(#"{"motd": "welcome"}"#)
        defer { file.remove() }
        #expect(try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]).loadBlocking().motd == "welcome")
        var flags = ConfigOverrides()
        flags.motd = ""
        #expect(try ConfigLoader(configFile: file.path, overrides: flags, environment: [:]).loadBlocking().motd == nil)
        #expect(try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: ["CHATD_MOTD": ""]).loadBlocking().motd == nil)
    }

    @Test func nullInTheFileMeansNotSet() throws {
        let file = try TempConfigFile(#"{"threads": null, "history": 4}"#)
        defer { file.remove() }
        let c = try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]).loadBlocking()
        #expect(c.threads == 0 && c.history == 4)
    }

    @Test func reloadSeesTheNewFileAndABadFileThrows() throws {
        let file = try TempConfigFile(#"{"history": 10}"#)
        defer { file.remove() }
        var flags = ConfigOverrides()
        flags.threads = 2
        let loader = ConfigLoader(configFile: file.path, overrides: flags, environment: [:])
        let first = try loader.loadBlocking()
        #expect(first.history == 10 && first.threads == 2)
        try file.write(#"{"history": 20, "threads": 5}"#)
        let second = try loader.loadBlocking()
        #expect(second.history == 20 && second.threads == 2)  // flags still win on reload
        try file.write(#"{"history": 20,"#)
        let message = configLoadError(loader)
        #expect(message?.contains(file.path) == true)
        #expect(message?.contains("invalid JSON") == true)
    }

    // MARK: - File errors

    @Test func missingFileIsAnError() {
        let path = "/nonexistent-\(UUID().uuidString)/chatd.json"
        let message = configLoadError(ConfigLoader(configFile: path, overrides: ConfigOverrides(), environment: [:]))
        #expect(message == "cannot read config file '\(path)': No such file or directory")
    }

    @Test func directoryIsAnError() throws {
        let file = try TempConfigFile("{}")
        defer { file.remove() }
        let message = configLoadError(ConfigLoader(configFile: file.directory.path, overrides: ConfigOverrides(), environment: [:]))
        #expect(message == "cannot read config file '\(file.directory.path)': Is a directory")
    }

    @Test(arguments: [
        (#"{"threads": 2"#, "invalid JSON"),
        (#"{threads: 2}"#, "invalid JSON: expected a member name in double quotes (line 1, column 2)"),
        ("{\n  \"threads\": 2,\n  \"history\": x\n}", "invalid JSON: expected a value (a string in double quotes, a number, true, false, null, [ or {) (line 3, column 14)"),
        (#"{"threads": 2, "threads": 3}"#, #"invalid JSON: duplicate key "threads" (line 1, column 16)"#),
        (#"{"threads": 2,}"#, "invalid JSON: expected a member name in double quotes (line 1, column 15)"),
        (#"{"threads": 2} {}"#, "invalid JSON: unexpected text after the JSON value (line 1, column 16)"),
        (String(repeating: "[", count: 100_000), "invalid JSON: nested deeper than 64 levels"),
        ("", "invalid JSON"),
        ("[1, 2]", "the top level must be a JSON object"),
        (#""text""#, "the top level must be a JSON object"),
    ])
    func badJSONNamesTheFile(contents: String, expected: String) throws {
        let file = try TempConfigFile(contents)
        defer { file.remove() }
        let message = configLoadError(ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]))
        #expect(message?.hasPrefix("config file '\(file.path)': ") == true, "\(message ?? "")")
        #expect(message?.contains(expected) == true, "\(message ?? "")")
    }

    @Test(arguments: [
        (#"{"max-mesage-bytes": 5}"#, #"unknown key "max-mesage-bytes" (did you mean "max-message-bytes"?)"#),
        (#"{"threads": 2, "thread": 2}"#, #"unknown key "thread" (did you mean "threads"?)"#),
        (#"{"max_message_bytes": 5}"#, #"unknown key "max_message_bytes" (did you mean "max-message-bytes"?)"#),
        (#"{"port": 80}"#, #"unknown key "port"; known keys: listen, threads, max-message-bytes"#),
        (#"{"limits": {"history": 5}}"#, #"unknown key "limits""#),
        (#"{"config": "x.json"}"#, #"unknown key "config""#),
    ])
    func unknownKeysAreRejected(contents: String, expected: String) throws {
        let file = try TempConfigFile(contents)
        defer { file.remove() }
        let message = configLoadError(ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]))
        #expect(message?.hasPrefix("config file '\(file.path)': ") == true, "\(message ?? "")")
        #expect(message?.contains(expected) == true, "\(message ?? "")")
    }

    @Test(arguments: [
        (#"{"threads": "2"}"#, #""threads" must be an integer, not a string"#),
        (#"{"threads": true}"#, #""threads" must be an integer, not a boolean"#),
        (#"{"threads": 2.5}"#, #""threads" must be an integer"#),
        (#"{"threads": 1e30}"#, #""threads" must be an integer"#),
        (#"{"threads": [2]}"#, #""threads" must be an integer, not an array"#),
        (#"{"msg-rate": "fast"}"#, #""msg-rate" must be a number, not a string"#),
        (#"{"log-level": 3}"#, #""log-level" must be a string, not a number"#),
        (#"{"motd": false}"#, #""motd" must be a string, not a boolean"#),
        (#"{"listen": "0.0.0.0:1"}"#, #""listen" must be a list of addresses"#),
        (#"{"listen": [7575]}"#, #""listen" must be a list of addresses"#),
        (#"{"listen": ["0.0.0.0:1", 2]}"#, #""listen" must be a list of addresses"#),
        (#"{"history": {"n": 1}}"#, #""history" must be an integer, not an object"#),
        (#"{"history-private": "yes"}"#, #""history-private" must be true or false, not a string"#),
        (#"{"history-private": 1}"#, #""history-private" must be true or false, not a number"#),
    ])
    func wrongTypesInTheFileAreRejected(contents: String, expected: String) throws {
        let file = try TempConfigFile(contents)
        defer { file.remove() }
        let message = configLoadError(ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]))
        #expect(message?.hasPrefix("config file '\(file.path)': ") == true, "\(message ?? "")")
        #expect(message?.contains(expected) == true, "\(message ?? "")")
    }

    @Test func wholeNumbersAreAcceptedForIntegersAndIntegersForSeconds() throws {
        let file = try TempConfigFile(#"{"threads": 2.0, "handshake-timeout": 3, "listen": []}"#)
        defer { file.remove() }
        // An empty list passes the type checks and reaches validate().
        let message = configLoadError(ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]))
        #expect(message == "listen must name at least one address (set in config file '\(file.path)')")
        try file.write(#"{"threads": 2.0, "handshake-timeout": 3}"#)
        let c = try ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]).loadBlocking()
        #expect(c.threads == 2 && c.handshakeTimeout == 3)
    }

    // MARK: - Environment and flag errors

    @Test(arguments: [
        ("CHATD_THREADS", "two", "CHATD_THREADS='two' must be an integer"),
        ("CHATD_HISTORY_PRIVATE", "maybe", "CHATD_HISTORY_PRIVATE='maybe' must be true or false"),
        ("CHATD_THREADS", "2.0", "CHATD_THREADS='2.0' must be an integer"),
        ("CHATD_MAX_CONNS", "", "CHATD_MAX_CONNS='' must be an integer"),
        ("CHATD_IDLE_TIMEOUT", "soon", "CHATD_IDLE_TIMEOUT='soon' must be a number"),
        ("CHATD_LOG_LEVEL", "loud", "log-level 'loud' is not one of trace, debug, info, notice, warning, error, critical (set by CHATD_LOG_LEVEL)"),
        ("CHATD_LISTEN", "127.0.0.1:1,nope", "listen address 'nope': missing port"),
        ("CHATD_LISTEN", "", "listen address '': empty"),
        ("CHATD_HISTORY", "-1", "history must be between 0 and 100000 messages (got -1) (set by CHATD_HISTORY)"),
        ("CHATD_MSG_RATE", "nan", "msg-rate must be between 0 and 1000000 messages per second (got nan) (set by CHATD_MSG_RATE)"),
    ])
    func badEnvironmentValuesNameTheVariable(name: String, value: String, expected: String) {
        let message = configLoadError(ConfigLoader(configFile: nil, overrides: ConfigOverrides(), environment: [name: value]))
        #expect(message?.contains(expected) == true, "\(message ?? "")")
    }

    @Test func validationErrorsSayWhereTheValueCameFrom() throws {
        let file = try TempConfigFile(#"{"threads": 300, "queue-soft-bytes": 9000000}"#)
        defer { file.remove() }
        let fromFile = configLoadError(ConfigLoader(configFile: file.path, overrides: ConfigOverrides(), environment: [:]))
        #expect(fromFile == "threads must be between 0 and 256 (got 300) (set in config file '\(file.path)')")

        var flags = ConfigOverrides()
        flags.threads = 1
        let crossField = configLoadError(ConfigLoader(configFile: file.path, overrides: flags, environment: [:]))
        #expect(crossField == "queue-soft-bytes (9000000) must not be larger than queue-hard-bytes (8388608) (set in config file '\(file.path)')")

        flags.queueSoftBytes = 1
        flags.maxMessageBytes = 5_000_000
        let fromFlag = configLoadError(ConfigLoader(configFile: file.path, overrides: flags, environment: [:]))
        #expect(fromFlag == "queue-hard-bytes (8388608) must be at least 2 × max-message-bytes + 64 = 10000064 bytes, so that one message always fits")

        flags.threads = 999
        let overFlag = configLoadError(ConfigLoader(configFile: file.path, overrides: flags, environment: ["CHATD_THREADS": "1"]))
        #expect(overFlag == "threads must be between 0 and 256 (got 999) (set by --threads)")
    }
}
