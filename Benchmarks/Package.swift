// swift-tools-version: 6.2
// ToxWatch benchmarks (Scripts/bench). A separate package so that the main build and CI never
// build the benchmark tooling; it depends on the root package by path and builds `toxd` and
// `toxctl` from it too (one release build for everything the bench runs).
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder: the root package is whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "ToxWatchBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // MallocInterposer only: the default traits would pull in jemalloc and a runtime interposer.
        .package(url: "https://github.com/ordo-one/package-benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
    ],
    targets: [
        // `swift package benchmark` (ordo-one): the rules engine on one patient's 72-hour course.
        .executableTarget(
            name: "RulesEngine",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "ToxWatchBenchmarkSupport", package: root),
            ],
            path: "Benchmarks/RulesEngine",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // Helpers for Scripts/bench: HdrHistogram percentiles of latency samples, and a plain
        // loop over the rules workload for profilers (callgrind).
        .executableTarget(
            name: "toxbench",
            dependencies: [
                "CHeapUsage",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ToxWatchBenchmarkSupport", package: root),
            ],
            path: "Sources/toxbench"
        ),
        // glibc's malloc statistics for `toxbench state-memory` (malloc.h is not in Swift's Glibc module).
        .target(name: "CHeapUsage", path: "Sources/CHeapUsage"),
    ]
)
