// ChatConfig: defaults, listen-address parsing, validation messages, names of the settings.

@testable import ChatDaemon
import EventLoop
import Logging
import Room
import Testing

@Suite struct ConfigDefaultsTests {
    @Test func defaultsMatchDesignSection4() throws {
        let c = ChatConfig()
        #expect(ChatConfig.defaultPort == 7575)
        #expect(c.listen == [ListenAddress(host: "::", port: 7575)])
        #expect(c.threads == 0)
        #expect(c.maxMessageBytes == 65536)
        #expect(c.handshakeTimeout == 10)
        #expect(c.idleTimeout == 0)
        #expect(c.queueSoftBytes == 1_048_576)
        #expect(c.queueSoftSeconds == 30)
        #expect(c.queueHardBytes == 8_388_608)
        #expect(c.msgRate == 10)
        #expect(c.msgBurst == 20)
        #expect(c.maxConnsPerIP == 256)
        #expect(c.maxConns == 0)
        #expect(c.history == 50)
        #expect(c.historyBudgetBytes == 64 << 20)
        #expect(c.shutdownTimeout == 5)
        #expect(c.logLevel == .info)
        #expect(c.motd == nil)
        try c.validate()
    }

    @Test func resolvedThreads() {
        var c = ChatConfig()
        #expect(c.resolvedThreads == min(Posix.cpuCount, 256))
        c.threads = 3
        #expect(c.resolvedThreads == 3)
    }

    /// The default (one loop per CPU) on a 300-CPU host must not exceed the 8 bits of loop
    /// index a ConnectionID and a LoopSet hold (a 257th loop would alias loop 0).
    @Test func threadsAreCappedAtTheLoopIndexWidth() {
        #expect(ChatConfig.maxThreads == ConnectionID.maxLoops)
        #expect(ChatConfig.resolveThreads(0, cpuCount: 300) == 256)
        #expect(ChatConfig.resolveThreads(0, cpuCount: 2) == 2)
        #expect(ChatConfig.resolveThreads(7, cpuCount: 300) == 7)
        var c = ChatConfig()
        c.threads = 257
        #expect(throws: ConfigError.self) { try c.validate() }
    }

    @Test func keyNamesFlagsAndEnvironmentVariables() {
        #expect(ChatConfigKey.allCases.count == 43)
        #expect(ChatConfigKey.maxConnsPerIP.rawValue == "max-conns-per-ip")
        #expect(ChatConfigKey.maxConnsPerIP.flag == "--max-conns-per-ip")
        #expect(ChatConfigKey.maxConnsPerIP.environmentVariable == "CHATD_MAX_CONNS_PER_IP")
        #expect(ChatConfigKey.listen.environmentVariable == "CHATD_LISTEN")
        let names = ChatConfigKey.allCases.map(\.rawValue)
        #expect(
            names == [
                "listen", "threads", "max-message-bytes", "handshake-timeout", "idle-timeout", "queue-soft-bytes",
                "queue-soft-seconds", "queue-hard-bytes", "msg-rate", "msg-burst", "max-conns-per-ip", "max-conns",
                "history", "history-budget-bytes", "history-store", "state-dir", "control-socket", "history-commit-ms", "history-keep-days",
                "history-keep-per-room", "history-private", "shutdown-timeout", "log-level", "motd", "server-name", "network-name",
                "irc-ping-interval", "irc-ping-timeout", "irc-password", "tls-cert", "tls-key", "tls-max-handshakes",
                "web-root", "http-allowed-origins",
                "cluster", "node-name", "cluster-stream-length",
                "registration", "auth-timeout", "argon2-memory-kib", "argon2-iterations",
                "admins", "max-bans-per-room",
            ])
    }

    @Test func versionString() {
        #expect(ChatDaemonVersion.string.split(separator: ".").count == 3)
        // A plain `swift build` has no commit define; the Makefile's release builds set one.
        #expect(!ChatDaemonVersion.commit.isEmpty)
        #expect(ChatDaemonVersion.description == "\(ChatDaemonVersion.string) (commit \(ChatDaemonVersion.commit))")
    }
}

@Suite struct ListenAddressTests {
    @Test func schemes() throws {
        #expect(try ListenAddress.parse("framed://127.0.0.1:7575") == ListenAddress(.framed, host: "127.0.0.1", port: 7575))
        #expect(try ListenAddress.parse("FRAMED://[::1]:1") == ListenAddress(host: "::1", port: 1))
        #expect(try ListenAddress.parse("framed://127.0.0.1:1").description == "127.0.0.1:1")
        for (text, expected) in [
            ("gopher://127.0.0.1:70", "listen address 'gopher://127.0.0.1:70': unknown scheme 'gopher://' (supported: "),
            ("metrics+tls://127.0.0.1:9100", "listen address 'metrics+tls://127.0.0.1:9100': unknown scheme 'metrics+tls://'"),
            ("framed://", "listen address 'framed://': empty"),
        ] {
            #expect(throws: ConfigError.self) { try ListenAddress.parse(text) }
            do { _ = try ListenAddress.parse(text) } catch { #expect(error.description.hasPrefix(expected), "\(error)") }
        }
        // The socket-activation names: the scheme, or the packaged unit's historical "chatd".
        #expect(ListenScheme.forDescriptorName("chatd").map { "\($0)" } == "(scheme: ChatDaemon.ListenScheme.framed, tls: false)")
        #expect(ListenScheme.forDescriptorName("framed")?.scheme == .framed)
        #expect(ListenScheme.forDescriptorName("unknown")?.tls == false)
        #expect(ListenScheme.forDescriptorName("smtp") == nil)
        #expect(ListenScheme.forDescriptorName("metrics").map { "\($0)" } == "(scheme: ChatDaemon.ListenScheme.metrics, tls: false)")
        #expect(ListenScheme.forDescriptorName("framed+tls").map { "\($0)" } == "(scheme: ChatDaemon.ListenScheme.framed, tls: true)")
    }

    @Test func httpAndItsTLSTwin() throws {
        #expect(try ListenAddress.parse("http://127.0.0.1:8080") == ListenAddress(.http, host: "127.0.0.1", port: 8080))
        #expect(try ListenAddress.parse("https://[::]:8443") == ListenAddress(.http, host: "::", port: 8443, tls: true))
        #expect(try ListenAddress.parse("https://[::]:8443").description == "https://[::]:8443")
        #expect(ListenScheme.forDescriptorName("https").map { "\($0)" } == "(scheme: ChatDaemon.ListenScheme.http, tls: true)")
    }

    @Test func tlsTwins() throws {
        let secure = try ListenAddress.parse("framed+tls://127.0.0.1:7576")
        #expect(secure == ListenAddress(.framed, host: "127.0.0.1", port: 7576, tls: true))
        #expect(secure.description == "framed+tls://127.0.0.1:7576")
        #expect(try ListenAddress.parse(secure.description) == secure)
        #expect(try ListenAddress.parse("ircs://[::1]:6697") == ListenAddress(.irc, host: "::1", port: 6697, tls: true))
        #expect(try ListenAddress.parse("ircs://[::1]:6697").description == "ircs://[::1]:6697")
        #expect(secure != (try ListenAddress.parse("127.0.0.1:7576")))
        var c = ChatConfig()
        c.listen = [secure]
        #expect(throws: ConfigError("listen address 'framed+tls://127.0.0.1:7576' needs a certificate: set tls-cert and tls-key", key: "tls-cert")) {
            try c.validate()
        }
        c.tlsCert = "c.pem"
        c.tlsKey = "k.pem"
        try c.validate()
        // A plain and a TLS listener cannot share a port either.
        c.listen = [secure, try ListenAddress.parse("127.0.0.1:7576")]
        #expect(throws: ConfigError.self) { try c.validate() }
    }

    @Test(arguments: [
        ("127.0.0.1:7575", "127.0.0.1", 7575),
        ("0.0.0.0:1", "0.0.0.0", 1),
        ("[::1]:8080", "::1", 8080),
        ("[::]:7575", "::", 7575),
        ("[0:0::1]:9", "::1", 9),  // canonical form
        ("[2001:DB8::1]:7000", "2001:db8::1", 7000),
        (":7575", "::", 7575),
        ("7575", "::", 7575),
        ("*:7000", "::", 7000),
        ("localhost:0", "127.0.0.1", 0),
        (" 10.0.0.1:65535 ", "10.0.0.1", 65535),
    ])
    func parsesGoodAddresses(text: String, host: String, port: Int) throws {
        let address = try ListenAddress.parse(text)
        #expect(address == ListenAddress(host: host, port: port))
    }

    @Test(arguments: [
        ("", "empty"),
        ("127.0.0.1", "missing port"),
        ("127.0.0.1:", "missing port"),
        ("[::1]", "missing port"),
        ("[::1]8080", "missing port"),
        ("[::1:8080", "missing ']'"),
        ("[]:80", "is not an IPv6 address"),
        ("[1.2.3.4]:80", "is not an IPv6 address"),
        ("::1:8080", "must be written in brackets"),
        ("127.0.0.1:65536", "bad port '65536'"),
        ("127.0.0.1:-1", "bad port '-1'"),
        ("127.0.0.1:+80", "bad port '+80'"),
        ("127.0.0.1:http", "bad port 'http'"),
        ("127.0.0.1:123456", "bad port '123456'"),
        ("99999", "bad port '99999'"),
        ("example.com:80", "not a numeric IP address"),
        ("256.1.1.1:80", "not a numeric IP address"),
        ("[fe80::1%eth0]:80", "is not a numeric IP address"),
    ])
    func rejectsBadAddresses(text: String, expected: String) {
        #expect {
            _ = try ListenAddress.parse(text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(expected) && message.contains("listen address '\(text)'")
                && (error as? ConfigError)?.key == "listen"
        }
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["127.0.0.1:7575", "[::1]:80", "[::]:0", "0.0.0.0:65535"] {
            let address = try ListenAddress.parse(text)
            #expect(address.description == text)
            #expect(try ListenAddress.parse(address.description) == address)
        }
        #expect(try ListenAddress.parse("[::1]:1").isIPv6)
        #expect(try !ListenAddress.parse("127.0.0.1:1").isIPv6)
    }
}

@Suite struct ConfigValidationTests {
    /// Each mutation of a valid configuration, and the words its error must contain. Starting
    /// from the defaults (which validate) means the message seen is the one this case causes.
    static let cases: [(String, @Sendable (inout ChatConfig) -> Void, [String])] = [
        ("no listen", { $0.listen = [] }, ["listen must name at least one address"]),
        ("many listen", { c in c.listen = (1...65).map { ListenAddress(host: "127.0.0.1", port: $0) } },
            ["listen names 65 addresses", "at most 64"]),
        ("bad host", { $0.listen = [ListenAddress(host: "example.com", port: 1)] }, ["not a numeric IP address"]),
        ("bad port", { $0.listen = [ListenAddress(host: "::1", port: 70000)] }, ["port must be between 0 and 65535"]),
        ("duplicate", { $0.listen = [ListenAddress(host: "::1", port: 5), ListenAddress(host: "0::1", port: 5)] },
            ["listen address [::1]:5 is given twice"]),
        ("threads", { $0.threads = -1 }, ["threads must be between 0 and 256 (got -1)"]),
        ("threads high", { $0.threads = 257 }, ["threads must be between 0 and 256 (got 257)"]),
        ("max-message-bytes 0", { $0.maxMessageBytes = 0 }, ["max-message-bytes must be between 1 and 16777216 bytes (got 0)"]),
        ("max-message-bytes high", { $0.maxMessageBytes = 16_777_217 },
            ["max-message-bytes must be between 1 and 16777216 bytes (got 16777217)"]),
        ("handshake 0", { $0.handshakeTimeout = 0 },
            ["handshake-timeout must be greater than 0 and at most 3600 seconds (got 0)"]),
        ("handshake nan", { $0.handshakeTimeout = .nan }, ["handshake-timeout must be greater than 0", "(got nan)"]),
        ("idle negative", { $0.idleTimeout = -1 }, ["idle-timeout must be between 0 and 604800 seconds (got -1)"]),
        ("idle infinite", { $0.idleTimeout = .infinity }, ["idle-timeout must be between 0 and 604800 seconds (got inf)"]),
        ("soft bytes", { $0.queueSoftBytes = -5 }, ["queue-soft-bytes must be between 0 and 1073741824 bytes (got -5)"]),
        ("soft seconds", { $0.queueSoftSeconds = 3601 },
            ["queue-soft-seconds must be between 0 and 3600 seconds (got 3601)"]),
        ("hard bytes", { $0.queueHardBytes = 0 }, ["queue-hard-bytes must be between 1 and 1073741824 bytes (got 0)"]),
        ("soft > hard", { c in c.queueSoftBytes = 3_000_000; c.queueHardBytes = 2_000_000 },
            ["queue-soft-bytes (3000000) must not be larger than queue-hard-bytes (2000000)"]),
        ("hard too small", { c in c.queueSoftBytes = 1000; c.queueHardBytes = 131_135 },
            ["queue-hard-bytes (131135) must be at least 2 × max-message-bytes + 64 = 131136 bytes"]),
        ("msg-rate", { $0.msgRate = -0.5 }, ["msg-rate must be between 0 and 1000000 messages per second (got -0.5)"]),
        ("msg-burst", { $0.msgBurst = 0 }, ["msg-burst must be between 1 and 1000000 messages (got 0)"]),
        ("per ip", { $0.maxConnsPerIP = -1 }, ["max-conns-per-ip must be between 0 and 100000000 (got -1)"]),
        ("max conns", { $0.maxConns = -2 }, ["max-conns must be between 0 and 100000000 (got -2)"]),
        ("history", { $0.history = 100_001 }, ["history must be between 0 and 100000 messages (got 100001)"]),
        ("history budget", { $0.historyBudgetBytes = -1 }, ["history-budget-bytes must be between 0 and 1099511627776 bytes (got -1)"]),
        ("shutdown", { $0.shutdownTimeout = -1 }, ["shutdown-timeout must be between 0 and 3600 seconds (got -1)"]),
        ("motd", { $0.motd = String(repeating: "é", count: 40_000) },
            ["motd is 80000 bytes; it must fit in one message (max-message-bytes = 65536)"]),
    ]

    @Test(arguments: 0..<cases.count)
    func eachRuleHasAClearMessage(index: Int) throws {
        let (name, mutate, expected) = Self.cases[index]
        var config = ChatConfig()
        try config.validate()  // the starting point is valid…
        mutate(&config)
        #expect(config != ChatConfig(), "\(name): the mutation changed nothing")
        #expect {  // …so this error is the one the mutation caused
            try config.validate()
        } throws: { error in
            let message = "\(error)"
            let ok = expected.allSatisfy { message.contains($0) }
            if !ok { Issue.record("\(name): got \"\(message)\", expected \(expected)") }
            return ok
        }
    }

    @Test func boundaryValuesAreAccepted() throws {
        var c = ChatConfig()
        c.listen = [
            ListenAddress(host: "127.0.0.1", port: 0), ListenAddress(host: "127.0.0.1", port: 0),
            ListenAddress(host: "0.0.0.0", port: 65535), ListenAddress(host: "::", port: 65535),
        ]
        c.threads = 256
        c.maxMessageBytes = 1
        c.queueHardBytes = 66
        c.queueSoftBytes = 0
        c.handshakeTimeout = 3600
        c.idleTimeout = 604_800
        c.queueSoftSeconds = 0
        c.msgRate = 0
        c.msgBurst = 1
        c.maxConnsPerIP = 0
        c.history = 0
        c.shutdownTimeout = 0
        c.motd = "x"
        try c.validate()
        c.queueHardBytes = 65
        #expect(throws: ConfigError.self) { try c.validate() }
    }

    @Test func logLevels() throws {
        #expect(try ChatConfig.parseLogLevel("debug") == .debug)
        #expect(try ChatConfig.parseLogLevel("WARNING") == .warning)
        #expect(try ChatConfig.parseLogLevel("warn") == .warning)
        #expect(try ChatConfig.parseLogLevel(" critical ") == .critical)
        for level in Logger.Level.allCases {
            #expect(try ChatConfig.parseLogLevel(level.rawValue) == level)
        }
        #expect {
            _ = try ChatConfig.parseLogLevel("loud")
        } throws: { error in
            "\(error)" == "log-level 'loud' is not one of trace, debug, info, notice, warning, error, critical"
        }
    }
}
