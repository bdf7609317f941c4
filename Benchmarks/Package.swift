// swift-tools-version: 6.1
// Micro-benchmarks (ordo-one/benchmark), in their own package so the benchmark framework and
// its plugins never slow the main build. Run from this directory:
//   swift package --disable-sandbox benchmark                    (full)
//   BENCH_SHORT=1 swift package --disable-sandbox benchmark      (CI: a few iterations, no thresholds)
import PackageDescription

let package = Package(
    name: "chatd-micro-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "chatd", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ChatdMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLoop", package: "chatd"),
                .product(name: "ChatProtocol", package: "chatd"),
                .product(name: "Room", package: "chatd"),
                .product(name: "ChatDaemon", package: "chatd"),
            ],
            path: "Benchmarks/ChatdMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
