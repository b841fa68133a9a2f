import Benchmark
import Foundation
import ToxWatchBenchmarkSupport

/// The course every benchmark evaluates: Benchmarks/Fixtures/course-72h.json (bench.py course).
private let workload: RulesWorkload = {
    let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/course-72h.json")
    do {
        return try RulesWorkload(course: Data(contentsOf: fixture))
    } catch {
        fatalError("cannot load \(fixture.path): \(error)")
    }
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal],
        warmupIterations: 50,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    // What a partition task runs after each event: timeline from the patient's events, then the full
    // assessment (grades, recommendation, alternatives, alerts, next decision), then the summary.
    Benchmark("evaluate (worker path), 72 h course") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.evaluateLikeWorker()) }
    }

    // The engine alone on a timeline built beforehand.
    Benchmark("assess on a built timeline") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.assessPrebuilt()) }
    }

    Benchmark("timeline build") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.buildTimeline()) }
    }

    Benchmark(
        "decodeEvent, every event of the course",
        configuration: .init(scalingFactor: .one, maxDuration: .seconds(2))
    ) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.decodeCourse()) }
    }

    Benchmark(
        "decodeEvent through Foundation's JSONDecoder (reference), every event of the course",
        configuration: .init(scalingFactor: .one, maxDuration: .seconds(2))
    ) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.decodeCourseWithFoundation()) }
    }

    Benchmark(
        "changelog record encode", configuration: .init(scalingFactor: .one, maxDuration: .seconds(2))
    ) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.encodeChangelogRecord()) }
    }
}
