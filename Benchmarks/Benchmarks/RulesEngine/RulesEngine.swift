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

    // What a partition task runs for a patient whose timeline it does not hold (restored from the
    // changelog, or after an event earlier than its latest): `PatientEvaluator.evaluate` builds the
    // timeline from the patient's events, decides (grades, recommendation, shortage, next decision),
    // explains the alternatives only if there are any, and reduces the result to the published
    // summary. An event in event-time order extends the timeline the worker holds instead: "append".
    Benchmark("evaluate (worker path, timeline built), 72 h course") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.evaluateLikeWorker()) }
    }

    // The latest event appended to the timeline of the others (index extended, grade courses built
    // on from their resume points), then the decisions at its instant, nothing explained.
    Benchmark("append one event, decide") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.appendAndDecide()) }
    }

    // The same, then the published path: grades and recommendation explained, both outputs encoded.
    Benchmark("append one event, decide, explain, encode") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(workload.appendDecideExplainEncode()) }
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
