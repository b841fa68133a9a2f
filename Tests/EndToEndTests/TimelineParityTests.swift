import Foundation
import KafkaClient
import Testing
import ToxTestSupport
import ToxWatchContract

/// Two readers, one story (issue 12): what a real `toxd` publishes for a course equals what
/// `toxctl evaluate --timeline` prints for it, whatever batches the course arrived in.
@Suite("toxd and toxctl evaluate --timeline agree", .serialized, .timeLimit(.minutes(15)))
struct TimelineParityTests {
    static let demoCourse = BuildProducts.repositoryRoot.appendingPathComponent("Scripts/demo-data/course.json")

    @Test(
        "the demo course and 200 generated courses in batches of different shapes: per patient and output topic, toxd publishes --timeline's records, byte for byte, in order"
    )
    func publishedEqualsTimeline() async throws {
        let started = ContinuousClock.now
        try await E2EHarness.with(partitions: 4) { harness in
            let (_, generated) = try await harness.generate(profile: "crs", patients: 200, poison: 0, seed: 31)
            try await harness.startWorker("w1")
            let shapes = try await Self.produceInShapes(generated, harness: harness)
            try await harness.waitUntilConsumed()
            try await harness.waitUntilQuiet()

            let published = try await harness.collect(ToxdEndToEndTests.publishedTopics)
            let courses = try Self.courseFiles(generated, in: harness.directory)
            let through = try await Self.partitionTimes(harness, published: published)
            var differing: [String] = []
            var differingByShape: [String: Int] = [:]
            var counts = (published: 0, printed: 0)
            for (patient, course) in courses.sorted(by: { $0.key < $1.key }) {
                let mine = published.filter { $0.key == patient }
                let partition = try #require(mine.first?.partition, "\(patient) has outputs")
                let printed = try await Self.timeline(course, through: try #require(through[partition]))
                counts.published += mine.count
                counts.printed += printed.count
                if let difference = Self.difference(published: mine, printed: printed) {
                    differing.append("\(patient) (\(shapes[patient] ?? "")): \(difference)")
                    differingByShape[shapes[patient] ?? "", default: 0] += 1
                }
            }
            print(
                "timeline parity: \(differing.count) of \(courses.count) patients differ; toxd published \(counts.published) records, --timeline printed \(counts.printed)"
            )
            let byShape = Dictionary(grouping: shapes.keys) { shapes[$0] ?? "" }.mapValues(\.count)
            for (shape, count) in byShape.sorted(by: { $0.key < $1.key }) {
                print("  \(shape): \(differingByShape[shape] ?? 0) of \(count) differ")
                for line in differing.filter({ $0.contains("(\(shape))") }).prefix(3) { print("    \(line)") }
            }
            #expect(courses.count == 201)
            // Every shape must match: an instant waits for its grace (no watermark shortcut, which
            // raced a course fed at once against the partition's other patients), and inventory is
            // read in event time and evaluated at its own instant (the demo's shortage advice).
            #expect(differing.isEmpty, "\(differing.count) patients differ, first: \(differing.first ?? "")")
        }
        print("timeline parity: \(ContinuousClock.now - started)")
    }

    /// Feeds the courses so that they reach the worker in batches of different shapes, in one
    /// stream in event time at 1,000 records/s: 70 courses each as one run of records (the whole
    /// course at once, at the time of its last event: a backfill), 60 each as their first half at
    /// once and the rest record by record (history from another system, then live), 70 record by
    /// record (a live feed); then the demo course (admission, inventory, events) at once. The feed
    /// stops halfway (an outage) until the worker has handled everything and gone quiet, then goes
    /// on: time-driven rules follow event time, so the pause publishes nothing of its own. A run
    /// goes where its last event falls, so no patient's events trail the partition's time (the
    /// partition's other patients would fire its timers, which one course alone cannot show).
    /// Returns each patient's shape.
    static func produceInShapes(_ generated: [InputLine], harness: E2EHarness) async throws -> [String: String] {
        let patients = Array(Set(generated.map(\.key))).sorted()
        var shapes = ["DEMO-0001": "demo course at once"]
        for (index, patient) in patients.enumerated() {
            shapes[patient] = index < 70 ? "whole course at once" : index < 130 ? "history at once, then live" : "live"
        }
        var runs: [(at: String, lines: [InputLine])] = []
        let courses = Dictionary(grouping: generated, by: \.key)
        for patient in patients {
            let lines = courses[patient] ?? []
            switch shapes[patient] {
            case "whole course at once": runs.append((lines.last?.at ?? "", lines))
            case "history at once, then live":
                let half = lines.count / 2
                runs.append((lines[half - 1].at ?? "", Array(lines[..<half])))
                runs += lines[half...].map { ($0.at ?? "", [$0]) }
            default: runs += lines.map { ($0.at ?? "", [$0]) }
            }
        }
        let stream = runs.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.flatMap(
            \.element.lines)
        let outage = stream.count / 2
        try await harness.produce(try harness.write(Array(stream[..<outage]), name: "before-outage.jsonl"), rate: 1000)
        try await harness.waitUntilConsumed()
        try await harness.waitUntilQuiet()
        try await harness.produce(try harness.write(Array(stream[outage...]), name: "after-outage.jsonl"), rate: 1000)
        let feeder = BuildProducts.repositoryRoot.appendingPathComponent("Scripts/demo-data/feed.py").path
        let fed = try await runCommand(
            "python3",
            [
                feeder, "feed", "--bootstrap", harness.cluster.bootstrapServers, "--course", demoCourse.path, "--delay",
                "0",
            ])
        #expect(fed.status == 0, "\(fed.stderr)")
        return shapes
    }

    /// One `toxctl evaluate` input file per patient: the demo course as it is, each generated
    /// course as {"patient", "events"} made of the produced record values, unchanged.
    static func courseFiles(_ generated: [InputLine], in directory: URL) throws -> [String: URL] {
        var files = ["DEMO-0001": demoCourse]
        for (patient, lines) in Dictionary(grouping: generated, by: \.key) {
            let admission = try #require(lines.first { $0.topic == ToxWatchTopics.patient }?.value)
            let events = lines.filter { $0.topic != ToxWatchTopics.patient }.map(\.value).joined(separator: ",\n")
            let file = directory.appendingPathComponent("course-\(patient).json")
            try "{\"patient\": \(admission),\n\"events\": [\n\(events)]}\n".write(
                to: file, atomically: true, encoding: .utf8)
            files[patient] = file
        }
        return files
    }

    /// Each partition's time when the worker went quiet: its latest event time, or a later instant
    /// the worker already evaluated (partition time advances with the wall clock while the
    /// partition receives nothing). `--timeline --at` that instant fires the same timers.
    static func partitionTimes(_ harness: E2EHarness, published: [CollectedRecord]) async throws -> [Int: String] {
        var latest: [Int: String] = [:]
        func note(_ partition: Int, _ instant: String?) {
            guard let instant else { return }
            if latest[partition].map({ $0 < instant }) ?? true { latest[partition] = instant }
        }
        for input in try await harness.collect(ToxWatchTopics.patientInputs) {
            note(input.partition, input.json()?["occurredAt"] as? String)
        }
        for output in published { note(output.partition, output.json()?["assessedAt"] as? String) }
        return latest
    }

    /// What `toxctl evaluate --timeline --at INSTANT FILE` prints, one record value a line.
    static func timeline(_ course: URL, through instant: String) async throws -> [String] {
        let toxctl = try BuildProducts.url("toxctl").path
        let result = try await runCommand(toxctl, ["evaluate", "--timeline", "--at", instant, course.path])
        guard result.status == 0 else {
            throw ProcessError("toxctl evaluate --timeline \(course.lastPathComponent): \(result.stderr)")
        }
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// The paths of the JSON values that differ between two records, a few levels deep.
    static func differingFields(_ left: String, _ right: String) -> String {
        func object(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }
        func paths(_ a: Any?, _ b: Any?, _ path: String, depth: Int) -> [String] {
            if let a = a as? [String: Any], let b = b as? [String: Any], depth > 0 {
                return Set(a.keys).union(b.keys).sorted().flatMap {
                    paths(a[$0], b[$0], path.isEmpty ? $0 : "\(path).\($0)", depth: depth - 1)
                }
            }
            let same = (a as? NSObject).map { $0.isEqual(b) } ?? (b == nil)
            return same ? [] : [path]
        }
        let (a, b) = (object(left), object(right))
        let found = paths(a, b, "", depth: 3)
        func value(_ root: Any?, _ path: String) -> Any? {
            path.split(separator: ".").reduce(root) { ($0 as? [String: Any])?[String($1)] }
        }
        func text(_ value: Any?) -> String {
            let data = value.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
            return data.map { String(decoding: $0, as: UTF8.self).prefix(700).description } ?? "null"
        }
        let first =
            found.first.map { path in
                let (left, right) = (value(a, path), value(b, path))
                // Of two lists, the first element that differs.
                if let left = left as? [Any], let right = right as? [Any],
                    let index = (0..<max(left.count, right.count)).first(where: { index in
                        index >= left.count || index >= right.count
                            || !(left[index] as? NSObject == right[index] as? NSObject)
                    })
                {
                    let element = { (list: [Any]) in index < list.count ? text(list[index]) : "none" }
                    return "; [\(index)] toxd \(element(left)); --timeline \(element(right))"
                }
                return "; toxd \(text(left)); --timeline \(text(right))"
            } ?? ""
        return found.prefix(6).joined(separator: ", ") + first
    }

    /// Where one patient's published records and the printed timeline part, per output topic in
    /// log order (the topics are separate logs, so their interleaving is no order), or nil.
    static func difference(published: [CollectedRecord], printed: [String]) -> String? {
        let typeOfTopic = [
            ToxWatchTopics.toxicityGrades: "toxicity-grades",
            ToxWatchTopics.anakinraRecommendations: "anakinra-recommendation",
            ToxWatchTopics.shortageAlternatives: "shortage-alternative",
        ]
        for topic in ToxdEndToEndTests.publishedTopics {
            let type = typeOfTopic[topic] ?? topic
            let fromWorker = published.filter { $0.topic == topic }.sorted { $0.offset < $1.offset }.compactMap(\.value)
            let fromTimeline = printed.filter { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String == type
            }
            guard fromWorker != fromTimeline else { continue }
            let ids = { (values: [String]) in
                values.map {
                    (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String ?? "?"
                }
            }
            let (workerIDs, timelineIDs) = (ids(fromWorker), ids(fromTimeline))
            let first =
                fromWorker.indices.first { $0 >= fromTimeline.count || fromWorker[$0] != fromTimeline[$0] }
                ?? fromWorker.count
            let at = { (list: [String]) in first < list.count ? list[first] : "(none)" }
            return
                "\(type): toxd \(fromWorker.count) records, --timeline \(fromTimeline.count); first difference at #\(first): "
                + "toxd \(at(workerIDs)), --timeline \(at(timelineIDs))"
                + (first < fromWorker.count && first < fromTimeline.count && workerIDs[first] == timelineIDs[first]
                    ? " (same id; fields that differ: \(differingFields(fromWorker[first], fromTimeline[first])))" : "")
        }
        return nil
    }
}
