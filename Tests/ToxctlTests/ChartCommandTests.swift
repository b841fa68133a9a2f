import Foundation
import Testing
import ToxTestSupport

/// `toxctl chart FILE`: the demo course drawn as an SVG, checked as XML against the course.
@Suite struct ChartCommandTests {
    static let root = BuildProducts.repositoryRoot
    static let course = root.appendingPathComponent("Scripts/demo-data/course.json")
    static let golden = root.appendingPathComponent("Tests/ToxctlTests/Fixtures/chart/demo-course.svg")
    static let readmeImage = root.appendingPathComponent("Docs/demo-course.svg")

    /// The demo course's chart, as `toxctl chart` writes it to standard output.
    static func demoChart(_ extra: [String] = []) throws -> Data {
        let result = try Toxctl.run(["chart", "--protocol", "childrens-national"] + extra + [course.path])
        guard result.status == 0 else { throw ProcessError("toxctl chart exited \(result.status): \(result.stderr)") }
        return result.stdout
    }

    /// Every record of the course file: (eventId, occurredAt) of the admission, the events and the inventory.
    static func courseRecords(through end: String? = nil) throws -> [(id: String, time: String)] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: course)) as? [String: Any])
        let patient = try #require(document["patient"] as? [String: Any])
        let records =
            [patient] + (document["events"] as? [[String: Any]] ?? [])
            + (document["inventory"] as? [[String: Any]] ?? [])
        let cutoff = end.flatMap(DrawnChart.date)
        return records.compactMap { record in
            guard let id = record["eventId"] as? String, let time = record["occurredAt"] as? String else { return nil }
            if let cutoff, let date = DrawnChart.date(time), date > cutoff { return nil }
            return (id, time)
        }
    }

    @Test("the demo course's chart is the golden file (and the README's image); TOXWATCH_UPDATE_GOLDEN=1 rewrites both")
    func golden() throws {
        let chart = try Self.demoChart()
        if ProcessInfo.processInfo.environment["TOXWATCH_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                at: Self.golden.deletingLastPathComponent(), withIntermediateDirectories: true)
            try chart.write(to: Self.golden)
            try chart.write(to: Self.readmeImage)
        }
        let expected = try Data(contentsOf: Self.golden)
        #expect(
            chart == expected,
            "the demo chart changed: look at it (e.g. rsvg-convert), then TOXWATCH_UPDATE_GOLDEN=1 swift test --filter ChartCommandTests"
        )
        #expect(
            try Data(contentsOf: Self.readmeImage) == expected, "Docs/demo-course.svg is not the current demo chart")
    }

    @Test("every event and stock record of the course is drawn at its time; every output at its own time")
    func everythingDrawnAtItsTime() throws {
        let chart = try DrawnChart(try Self.demoChart())
        let records = try Self.courseRecords()
        #expect(records.count == 50, "the admission, 47 events and 2 stock records")
        #expect(chart.problems(events: records).isEmpty, "\(chart.problems(events: records))")
        let outputs = chart.elements.compactMap { element -> (id: String, time: String)? in
            guard let id = element["data-output-id"], let time = element["data-time"] else { return nil }
            return (id, time)
        }
        // Grades, recommendations and shortage advice the worker publishes: the STOP's completion at its
        // instant is part of the STOP record, the shortage advice holds while CRS moves between 1 and 2, and
        // (§A13.12) each stretch of stale vitals or neuro is a grades output with grade null. Each instant
        // is evaluated once with all of its events (issue 12): 40, where 48 held 8 transient grades and
        // their `/r1` revisions.
        #expect(Set(outputs.map(\.id)).count == 40, "grades, recommendations and shortage advice the worker publishes")
        #expect(chart.elements.contains { $0["data-state"] == "cannot-grade" }, "stale stretches drawn as cannot-grade")
        #expect(chart.problems(outputs: outputs).isEmpty, "\(chart.problems(outputs: outputs))")
        // Each grades output is a band in each of the three rows, starting at its time.
        for id in Set(outputs.map(\.id)) where id.hasPrefix("toxicity-grades/") {
            #expect(Set(chart.drawn(output: id).compactMap { $0["data-series"] }) == ["crs", "icans", "iec-hs"])
        }
        // The recommendations, each with its action and deciding reason.
        let advice = chart.elements.filter { $0["data-kind"] == "anakinra-recommendation" }
        #expect(
            advice.compactMap { $0["data-series"] } == ["none", "start", "continue", "taper", "taper", "taper", "stop"])
        #expect(advice[1]["data-value"] == "56 mg IV Q6H" && advice[1]["data-reason"] == "refractory-grade-rose")
        let text = chart.root.allText
        #expect(text.contains("START 56 mg IV Q6H · 224 mg/day") && text.contains("why: refractory-grade-rose"))
        #expect(text.contains("Requires clinician verification"))
    }

    @Test("each grade band is the grade `toxctl evaluate` gives at that instant")
    func gradesAgreeWithEvaluate() throws {
        let chart = try DrawnChart(try Self.demoChart())
        // The last grades output at each instant (several events can share one). Its id names the
        // evaluated instant to the millisecond; a timer's due instant falls inside that millisecond
        // (a finding goes stale just after it), so evaluate one millisecond later.
        var lastAt: [String: (crs: String, icans: String, milliseconds: Int64)] = [:]
        for band in chart.elements where band["data-kind"] == "toxicity-grades" {
            guard let time = band["data-time"], let value = band["data-value"], let id = band["data-output-id"] else {
                continue
            }
            var entry = lastAt[time] ?? ("", "", 0)
            entry.milliseconds = try #require(Int64(id.split(separator: "/")[2]), "\(id)")
            if band["data-series"] == "crs" { entry.crs = value }
            if band["data-series"] == "icans" { entry.icans = value }
            lastAt[time] = entry
        }
        #expect(lastAt.count >= 10)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for (time, drawn) in lastAt.sorted(by: { $0.key < $1.key }) {
            let drawnAt = try #require(DrawnChart.date(time))
            #expect(drawn.milliseconds / 1000 == Int64(drawnAt.timeIntervalSince1970), "the id names the instant drawn")
            let at = formatter.string(from: Date(timeIntervalSince1970: Double(drawn.milliseconds + 1) / 1000))
            let result = try Toxctl.run(["evaluate", "--protocol", "childrens-national", "--at", at, Self.course.path])
            #expect(result.status == 0, "\(result.stderr)")
            let grades = try #require(
                (try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])?["grades"] as? [String: Any])
            let crs = ((grades["crs"] as? [String: Any])?["grade"] as? Int).map(String.init) ?? "null"
            let icans = ((grades["icans"] as? [String: Any])?["grade"] as? Int).map(String.init) ?? "null"
            #expect(
                drawn.crs == crs && drawn.icans == icans,
                "at \(at): drawn CRS \(drawn.crs) ICANS \(drawn.icans), evaluate \(crs) \(icans)")
        }
    }

    @Test("--at ends the chart there: nothing later is drawn; -o writes the file and says so")
    func earlierInstant() throws {
        let at = "2026-03-03T08:00:00Z"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Toxctl.run(["chart", "--at", at, Self.course.path, "-o", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let records = try Self.courseRecords(through: at)
        let stock = records.filter { $0.id.hasPrefix("INV-") }.count
        #expect(result.text.contains("wrote \(file.path): \(records.count - stock) events and"), "\(result.text)")
        let chart = try DrawnChart(try Data(contentsOf: file))
        #expect(chart.root["data-through"] == at)
        #expect(chart.problems(events: records).isEmpty, "\(chart.problems(events: records))")
        let drawnIds = Set(chart.elements.compactMap { $0["data-event-id"] })
        #expect(drawnIds == Set(records.map(\.id)), "only the records up to --at")
        let times = chart.elements.compactMap { $0["data-time"] }.compactMap(DrawnChart.date)
        #expect(times.allSatisfy { $0 <= DrawnChart.date(at)! })
        #expect(
            chart.elements.contains { $0["data-kind"] == "anakinra-recommendation" && $0["data-series"] == "start" })
    }

    @Test("self-contained and printable: no script, no external reference, A4 landscape, a legend")
    func selfContained() throws {
        let text = String(decoding: try Self.demoChart(), as: UTF8.self)
        let chart = try DrawnChart(Data(text.utf8))
        #expect(chart.root["width"] == "297mm" && chart.root["height"] == "210mm")
        #expect(!chart.elements.contains { ["script", "image", "foreignObject", "a", "use"].contains($0.name) })
        #expect(
            !text.contains("http://") || text.components(separatedBy: "http://").count == 2, "only the SVG namespace")
        #expect(
            !text.contains("https://") && !text.contains("@import") && !text.contains("@font-face")
                && !text.contains("href"))
        #expect(chart.elements.contains { $0["class"] == "legend" })
        #expect(chart.elements.contains { $0["data-verification"] == "required" })
    }

    @Test("bad usage and bad input exit 2 with a message naming the problem")
    func usageErrors() throws {
        let none = try Toxctl.run(["chart"])
        #expect(none.status == 2 && none.stderr.contains("give a course FILE, or --brokers B --patient ID"))
        let both = try Toxctl.run(["chart", "--patient", "P1", Self.course.path])
        #expect(both.status == 2 && both.stderr.contains("not both"))
        let protocolLive = try Toxctl.run([
            "chart", "--patient", "P1", "--protocol", "st-jude", "--brokers", "127.0.0.1:1",
        ])
        #expect(protocolLive.status == 2 && protocolLive.stderr.contains("--protocol applies to a course FILE"))
        let badAt = try Toxctl.run(["chart", "--at", "yesterday", Self.course.path])
        #expect(badAt.status == 2 && badAt.stderr.contains("--at must be an ISO-8601"))
        let unknown = try Toxctl.run(["chart", "--protocol", "no-such", Self.course.path])
        #expect(unknown.status == 2 && unknown.stderr.contains("--protocol: unknown protocol"))
        let invalid = try Toxctl.run(
            ["chart", "-"], stdin: Data(#"{"patient": {"type": "patient"}, "events": []}"#.utf8))
        #expect(invalid.status == 2 && invalid.stderr.contains("invalid input (standard input)"))
        let missing = try Toxctl.run(["chart", "/nonexistent/course.json"])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read /nonexistent/course.json"))
        let help = try Toxctl.run(["chart", "--help"])
        #expect(
            help.text.contains("Examples:") && help.text.contains("--patient DEMO-0001")
                && help.text.contains("-o course.svg"))
    }
}
