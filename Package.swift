// swift-tools-version: 6.2
import PackageDescription

// Module arrows point one way: chatd → ChatDaemon → {Cluster, Room, Systemd, TLS, IRCProtocol, WebProtocol} → {ChatProtocol, EventLoop};
// Cluster → {Room, Redis}, Redis → EventLoop (Redis knows nothing of chat, Room nothing of Redis).
// (Systemd uses only EventLoop's Posix wrappers and Locked).
// EventLoop, ChatProtocol, IRCProtocol and WebProtocol import nothing of the project (CEventLoopShims is EventLoop's
// private C header, not a module of its own design).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Dynamic exclusivity checks on class properties cost ~10% of the delivery path in a perf
// profile (swift_beginAccess under drainMailbox/flush); the hot modules are single-threaded
// per object by design, so release builds turn the runtime checks off there (debug keeps them).
let hot: [SwiftSetting] = strict + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "chatd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "chatd", targets: ["chatd"]),
        .executable(name: "chatd-client", targets: ["chatd-client"]),
        .executable(name: "chatd-bench", targets: ["chatd-bench"]),
        .executable(name: "chatd-store-bench", targets: ["chatd-store-bench"]),
        .library(name: "ChatDaemon", targets: ["ChatDaemon"]),
        .library(name: "EventLoop", targets: ["EventLoop"]),
        .library(name: "ChatProtocol", targets: ["ChatProtocol"]),
        .library(name: "IRCProtocol", targets: ["IRCProtocol"]),
        .library(name: "Room", targets: ["Room"]),
        .library(name: "Redis", targets: ["Redis"]),
        .library(name: "Cluster", targets: ["Cluster"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "TLS", targets: ["TLS"]),
        .library(name: "WebProtocol", targets: ["WebProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // No traits: the default "JSON" trait links Foundation + ICU (JSONSnapshot); chatd reads its
        // JSON file itself (Sources/ChatDaemon/JSONParser.swift).
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: []),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        .target(name: "CEventLoopShims"),
        .target(name: "EventLoop", dependencies: ["CEventLoopShims"], swiftSettings: hot),
        .target(name: "ChatProtocol", swiftSettings: strict),
        .target(name: "IRCProtocol", swiftSettings: strict),
        // HTTP/1.1 heads, RFC 6455 framing and chatd.v1 JSON: pure like ChatProtocol (fuzzed alone).
        .target(name: "WebProtocol", swiftSettings: strict),
        .target(
            name: "Room",
            dependencies: ["EventLoop", "ChatProtocol"],
            swiftSettings: hot),
        // OpenSSL 3 from Debian (libssl-dev); the shim re-exports the macros Swift cannot import.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // TLS knows nothing of chat; it uses EventLoop for Errno, Locked and WriteQueue.
        .target(name: "TLS", dependencies: ["COpenSSL", "EventLoop"], swiftSettings: hot),
        .systemLibrary(
            name: "CSystemd", pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        // Argon2id (RFC 9106) from Debian's libargon2-dev, the reference implementation.
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        // History and account stores (memory, SQLite) and password hashing: imports EventLoop only
        // for Locked/LoopThread/Posix.
        .target(
            name: "Store",
            dependencies: ["CSQLite", "CArgon2", "EventLoop", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", "EventLoop", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // hiredis's RESP reader and formatter from Debian (libhiredis-dev); no hiredis I/O.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        // A Redis client on chatd's event loops: non-blocking, edge-triggered, pipelined.
        .target(name: "Redis", dependencies: ["CHiredis", "EventLoop"], swiftSettings: strict),
        // The cluster link (`--cluster`): rooms spanning nodes over Redis, as Room's relay.
        .target(
            name: "Cluster",
            dependencies: ["Redis", "Room", "EventLoop", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // The git commit the binary was built from (a -D define from the Makefile; see the target).
        .target(name: "CBuildInfo"),
        .target(
            name: "ChatDaemon",
            dependencies: [
                "Room", "Store", "Cluster", "Redis", "Systemd", "EventLoop", "ChatProtocol", "IRCProtocol", "WebProtocol", "TLS", "CBuildInfo",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: hot),
        .executableTarget(
            name: "chatd",
            dependencies: [
                "ChatDaemon", "Systemd", "EventLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .executableTarget(
            name: "chatd-client",
            dependencies: [
                "EventLoop", "ChatProtocol", "CEdit", "TLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        // The benchmark's pure parts (adapters, statistics) are a library so they are unit-tested.
        .target(
            name: "BenchCore",
            dependencies: ["ChatProtocol", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "Benchmarks/BenchCore",
            swiftSettings: hot),
        .executableTarget(
            name: "chatd-bench",
            dependencies: [
                // CEventLoopShims: the benchmark calls epoll/accept4 shims directly.
                "EventLoop", "CEventLoopShims", "ChatProtocol", "BenchCore", "TLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            // The load generator's receive path runs once per delivery, like chatd's: same settings.
            path: "Benchmarks/chatd-bench",
            swiftSettings: hot),
        .executableTarget(
            name: "chatd-store-bench",
            dependencies: [
                "Store", "EventLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/chatd-store-bench",
            swiftSettings: strict),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"], swiftSettings: strict),
        .testTarget(name: "ChatProtocolTests", dependencies: ["ChatProtocol"], swiftSettings: strict),
        .testTarget(name: "IRCProtocolTests", dependencies: ["IRCProtocol"], swiftSettings: strict),
        // COpenSSL only to check Sec-WebSocket-Accept against real SHA-1 (the module takes SHA-1 as a parameter).
        .testTarget(name: "WebProtocolTests", dependencies: ["WebProtocol", "COpenSSL"], swiftSettings: strict),
        .testTarget(name: "RoomTests", dependencies: ["Room", "EventLoop", "ChatProtocol"], swiftSettings: strict),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "EventLoop", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "EventLoop", "COpenSSL"], exclude: ["tls_peer.py"], swiftSettings: strict),
.testTarget(
            name: "ClusterTests",
            dependencies: ["Cluster", "Redis", "Room", "EventLoop", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"], swiftSettings: strict),
        .testTarget(
            name: "ChatDaemonTests",
            dependencies: [
                "ChatDaemon", "EventLoop", "ChatProtocol", "Room", "Store", "TLS", "WebProtocol", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ClientTests", dependencies: ["chatd-client"], swiftSettings: strict),
        .testTarget(name: "BenchTests", dependencies: ["BenchCore", "ChatProtocol", .product(name: "Histogram", package: "hdrhistogram-swift")], swiftSettings: strict),
    ]
)
