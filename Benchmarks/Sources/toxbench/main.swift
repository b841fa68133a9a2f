import Foundation
import CHeapUsage
import Histogram
import ToxWatchBenchmarkSupport

// Helpers for Scripts/bench.
//
//   toxbench hdr FILE
//       FILE: one latency per line, in microseconds. Records them in an HdrHistogram (3 significant
//       digits) and prints {"count", "p50Ms", "p99Ms", "p999Ms", "maxMs"}.
//   toxbench rules COURSE [--what worker|assess|timeline|append|append-published|decode|decode-foundation|
//                 changelog|encode…] [--runs N] [--seconds S]
//       A single-threaded harness: one second of warm-up, then N runs of S seconds each; prints the
//       evaluations per second of every run, their median and spread (min, max), as JSON.
//       worker: PatientEvaluator.evaluate with the timeline built from the events (a patient the
//       worker holds no timeline of); append: the latest event appended to the timeline of the
//       others, then the decisions at its instant, nothing explained (the worker's path for an
//       event in event-time order); append-published: that, then the grades and recommendation
//       explained and both output records encoded.
//       decode: every event of the course through the service's reader (EventCodec);
//       decode-foundation: the same through the reference reader (Foundation's JSONDecoder).
//       encode: the output records the worker publishes over the course and its changelog record after
//       every event, through the service's writer (JSONByteWriter); encode-outputs, encode-changelog:
//       only those; with -foundation (encode-foundation …): through the reference path (Foundation's
//       JSONEncoder). They also report records/s and MB/s.
//   toxbench loop COURSE --what W --iterations N
//       Runs W N times and exits (for profilers: valgrind --tool=callgrind toxbench loop …).
//   toxbench hl7 SHAPE SIZE [--runs N] [--seconds S]
//       The HL7 v2 decoder on one large message (SHAPE repetitions: PID-3 repeated SIZE times;
//       observations: SIZE OBX): decodes per second and MB/s of every run, their median, as JSON.
//   toxbench state-memory COURSE [--count N] [--events E]
//       Heap bytes per patient state: glibc's in-use bytes (mallinfo2 uordblks) before and after
//       building N (100000) states of the course's first E (32) events (1: the admission alone),
//       divided by N, as JSON.
//   toxbench restore COURSE [--count N] [--events E] [--format 1|current] [--runs R]
//       Restores N (20000) changelog records of E-event patients, written in format 1 (the events as
//       JSON) or by the current writer, into states as a partition's restore does: the seconds per
//       100,000 records of every run and their median, as JSON.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("toxbench: \(message)\n".utf8))
    exit(2)
}

func option(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

func json(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

func operation(_ workload: RulesWorkload, _ what: String) -> () -> Int {
    switch what {
    case "worker": return workload.evaluateLikeWorker
    case "assess": return workload.assessPrebuilt
    case "timeline": return workload.buildTimeline
    case "decode": return workload.decodeCourse
    case "decode-foundation": return workload.decodeCourseWithFoundation
    case "changelog": return workload.encodeChangelogRecord
    case "append": return workload.appendAndDecide
    case "append-published": return workload.appendDecideExplainEncode
    default:
        fail(
            "--what must be worker, assess, timeline, append, append-published, decode, decode-foundation, changelog, encode or encode-foundation"
        )
    }
}

/// `encode`, `encode-outputs`, `encode-changelog`, each with `-foundation` for the reference path.
func encodeRecords(_ what: String) -> OutputEncodeWorkload.Records {
    let name = what.replacingOccurrences(of: "-foundation", with: "").replacingOccurrences(of: "encode", with: "")
    guard let records = OutputEncodeWorkload.Records(rawValue: name.isEmpty ? "all" : String(name.dropFirst())) else {
        fail("--what encode must be encode, encode-outputs or encode-changelog, with or without -foundation")
    }
    return records
}

func encodeOperation(_ workload: OutputEncodeWorkload, _ what: String) -> () -> Int {
    let records = encodeRecords(what)
    let foundation = what.hasSuffix("-foundation")
    return { workload.encode(records, foundation: foundation) }
}

func loadEncodeWorkload(_ path: String) -> OutputEncodeWorkload {
    do {
        return try OutputEncodeWorkload(course: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        fail("\(path): \(error)")
    }
}

func loadStateWorkload(_ path: String) -> PatientStateWorkload {
    do {
        return try PatientStateWorkload(course: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        fail("\(path): \(error)")
    }
}

func loadWorkload(_ path: String) -> RulesWorkload {
    do {
        return try RulesWorkload(course: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        fail("\(path): \(error)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, arguments.count >= 2 else {
    fail("usage: toxbench hdr FILE | rules COURSE [--what W] [--runs N] [--seconds S] | loop COURSE --what W --iterations N")
}

switch command {
case "hdr":
    guard let text = try? String(contentsOfFile: arguments[1], encoding: .utf8) else { fail("cannot read \(arguments[1])") }
    var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    for line in text.split(separator: "\n") {
        guard let micros = UInt64(line.trimmingCharacters(in: .whitespaces)) else { continue }
        _ = histogram.record(max(1, micros))
    }
    func ms(_ percentile: Double) -> Double {
        (Double(histogram.valueAtPercentile(percentile)) / 1000 * 100).rounded() / 100
    }
    print(json([
        "count": histogram.totalCount, "p50Ms": ms(50), "p90Ms": ms(90), "p99Ms": ms(99), "p999Ms": ms(99.9),
        "maxMs": (Double(histogram.max) / 10).rounded() / 100,
    ]))

case "rules":
    let workload = loadWorkload(arguments[1])
    let what = option("--what", in: arguments) ?? "worker"
    let runs = Int(option("--runs", in: arguments) ?? "7") ?? 7
    let seconds = Double(option("--seconds", in: arguments) ?? "1") ?? 1
    let encoding = what.hasPrefix("encode") ? loadEncodeWorkload(arguments[1]) : nil
    let body = encoding.map { encodeOperation($0, what) } ?? operation(workload, what)
    let clock = ContinuousClock()
    var sink = 0
    // Warm-up: caches, allocator, lazy statics.
    let warmEnd = clock.now + .seconds(1)
    while clock.now < warmEnd { for _ in 0..<100 { sink &+= body() } }
    var rates: [Double] = []
    for _ in 0..<runs {
        var count = 0
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var now = start
        while now < end {
            for _ in 0..<100 { sink &+= body() }
            count += 100
            now = clock.now
        }
        let elapsed = now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        rates.append(Double(count) / elapsedSeconds)
    }
    let sorted = rates.sorted()
    let median = sorted[sorted.count / 2]
    var report: [String: Any] = [
        "what": what, "events": workload.eventCount, "recommendations": workload.publishedRecommendationCount,
        "runs": rates.map { $0.rounded() }, "medianPerSec": median.rounded(),
        "minPerSec": (sorted.first ?? 0).rounded(), "maxPerSec": (sorted.last ?? 0).rounded(),
        "spreadPercent": ((((sorted.last ?? 0) - (sorted.first ?? 0)) / median) * 1000).rounded() / 10,
        "checksum": sink & 0xffff,
    ]
    // A decode run decodes the whole course: events per second is the figure to compare.
    if what.hasPrefix("decode") { report["medianEventsPerSec"] = (median * Double(workload.rawEventCount)).rounded() }
    // An encode run encodes every record of the course: records and bytes per second.
    if let encoding {
        let records = encoding.recordCount(encodeRecords(what))
        let bytes = body()
        report["records"] = records
        report["bytes"] = bytes
        report["medianRecordsPerSec"] = (median * Double(records)).rounded()
        report["medianMBPerSec"] = (median * Double(bytes) / 1e6 * 100).rounded() / 100
    }
    print(json(report))

case "hl7":
    guard arguments.count >= 3, let shape = HL7Workload.Shape(rawValue: arguments[1]), let size = Int(arguments[2]),
        size > 0
    else { fail("usage: toxbench hl7 repetitions|observations SIZE [--runs N] [--seconds S]") }
    let workload: HL7Workload
    do {
        workload = try HL7Workload(shape: shape, size: size)
    } catch {
        fail("\(error)")
    }
    let runs = Int(option("--runs", in: arguments) ?? "5") ?? 5
    let seconds = Double(option("--seconds", in: arguments) ?? "1") ?? 1
    let clock = ContinuousClock()
    var sink = 0
    var rates: [Double] = []
    for _ in 0..<(runs + 1) {
        var count = 0
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var now = start
        repeat {
            sink &+= (try? workload.decode()) ?? 0
            count += 1
            now = clock.now
        } while now < end
        let elapsed = now - start
        rates.append(Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
    }
    rates.removeFirst()  // the first run warms up
    let median = rates.sorted()[rates.count / 2]
    print(json([
        "shape": shape.rawValue, "size": size, "bytes": workload.message.count,
        "decodesPerSec": (median * 10).rounded() / 10,
        "mbPerSec": (median * Double(workload.message.count) / 1e6 * 100).rounded() / 100,
        "runs": rates.map { ($0 * 10).rounded() / 10 }, "checksum": sink & 0xffff,
    ]))

case "state-memory":
    let workload = loadStateWorkload(arguments[1])
    let count = Int(option("--count", in: arguments) ?? "100000") ?? 100_000
    let events = Int(option("--events", in: arguments) ?? "32") ?? 32
    let before = Int(toxbench_heap_in_use())
    let held = workload.hold(count: count, events: events)
    let heapBytes = Int(toxbench_heap_in_use()) - before
    print(json([
        "states": count, "eventsPerState": held / max(count, 1), "heapBytes": heapBytes,
        "bytesPerState": (Double(heapBytes) / Double(max(count, 1))).rounded(),
    ]))
    workload.release()

case "restore":
    let workload = loadStateWorkload(arguments[1])
    let count = Int(option("--count", in: arguments) ?? "20000") ?? 20_000
    let events = Int(option("--events", in: arguments) ?? "32") ?? 32
    let format = option("--format", in: arguments) ?? "current"
    let runs = Int(option("--runs", in: arguments) ?? "3") ?? 3
    guard format == "1" || format == "current" else { fail("--format must be 1 or current") }
    let records = workload.records(count: count, events: events, formatOne: format == "1")
    let clock = ContinuousClock()
    var perHundredThousand: [Double] = []
    for _ in 0..<runs {
        let start = clock.now
        do {
            _ = try workload.restore(records)
        } catch {
            fail("restore: \(error)")
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        perHundredThousand.append((seconds * 100_000 / Double(count) * 1000).rounded() / 1000)
    }
    print(json([
        "format": format, "records": count, "eventsPerRecord": events,
        "bytesPerRecord": records.reduce(0) { $0 + $1.count } / max(count, 1),
        "secondsPer100k": perHundredThousand, "medianSecondsPer100k": perHundredThousand.sorted()[runs / 2],
    ]))

case "loop":
    let what = option("--what", in: arguments) ?? "worker"
    let body =
        what.hasPrefix("encode")
        ? encodeOperation(loadEncodeWorkload(arguments[1]), what) : operation(loadWorkload(arguments[1]), what)
    let iterations = Int(option("--iterations", in: arguments) ?? "1000") ?? 1000
    var sink = 0
    for _ in 0..<iterations { sink &+= body() }
    print(sink & 0xffff)

default:
    fail("unknown command \(command)")
}
