import Foundation
import Testing
import ToxTestSupport

/// Runs the built `toxctl` (next to the test bundle: `.build/<config>/toxctl`; `Scripts/test`
/// runs `swift build` before `swift test`).
enum Toxctl {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// The binary (`ToxTestSupport.BuildProducts`: next to the test executable, or
    /// `TOXWATCH_BIN_DIR`); the error says to run `swift build` first.
    static let binary = Swift.Result<URL, ProcessError> { () throws(ProcessError) in
        do {
            return try BuildProducts.url("toxctl")
        } catch let error as ProcessError {
            throw error
        } catch {
            throw ProcessError("\(error)")
        }
    }

    static func run(_ arguments: [String], stdin: Data? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try binary.get()
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: stdout,
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    static func fixture(_ name: String) throws -> URL {
        try SharedFixtures.url("evaluate/\(name).json")
    }
}

/// `expected` is a subset of `actual`: every key of an expected object is in the actual object
/// with a matching value; arrays and scalars compare whole. Returns the mismatching paths.
func subsetMismatches(_ expected: Any, _ actual: Any?, path: String = "") -> [String] {
    switch expected {
    case let object as [String: Any]:
        guard let actual = actual as? [String: Any] else { return ["\(path): expected an object"] }
        return object.keys.sorted().flatMap { key in
            actual.keys.contains(key)
                ? subsetMismatches(object[key] as Any, actual[key], path: path + "." + key)
                : ["\(path).\(key): missing"]
        }
    default:
        guard let actual else { return ["\(path): missing"] }
        let a = try? JSONSerialization.data(withJSONObject: [expected], options: [.sortedKeys])
        let b = try? JSONSerialization.data(withJSONObject: [actual], options: [.sortedKeys])
        return a == b ? [] : ["\(path): expected \(expected), got \(actual)"]
    }
}

@Suite struct EvaluateCommandTests {
    static let pinned = [
        "tc01-cnh-70kg-refractory-crs3", "tc07-masked-fever-crs2", "tc09-seattle-capd10", "tc17-st-jude-40kg-carhlh",
        "tc23-ecoli-hold",
        // Spec cases beyond the pinned five: St. Jude carHLH during CRS (TC27), St. Jude rounding
        // (TC18), tocilizumab shortage with the protocol named by the patient (A12 TC24).
        "tc27-st-jude-carhlh-during-crs", "tc18-st-jude-22kg-rounding", "tc24-tocilizumab-shortage",
        // §A13.12: vitals past their window give CRS grade null with the last grade, never 0.
        "a13-stale-vitals-cannot-grade",
    ]

    /// Each example: input file → `toxctl evaluate` (the example's own command line) → the
    /// expected subset matches, exit 0.
    @Test(arguments: pinned)
    func examplesMatchTheirExpectedSubset(name: String) throws {
        let expectedFile = try Toxctl.fixture(name + ".expected")
        let example = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: expectedFile)) as? [String: Any]
        )
        let command = try #require(example["command"] as? String)
        var arguments = command.split(separator: " ").map(String.init).dropFirst()  // "toxctl"
        #expect(arguments.last == name + ".input.json")
        arguments.removeLast()
        let result = try Toxctl.run(Array(arguments) + [try Toxctl.fixture(name + ".input").path])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try JSONSerialization.jsonObject(with: result.stdout)
        let mismatches = subsetMismatches(example["expected"] as Any, output)
        #expect(mismatches.isEmpty, "\(name): \(mismatches)")
        if let alerts = example["expectedAlerts"] as? [String] {
            let codes = ((output as? [String: Any])?["alerts"] as? [[String: Any]])?.compactMap {
                $0["code"] as? String
            }
            for code in alerts { #expect(codes?.contains(code) == true, "\(name): alert \(code)") }
        }
        let keys = (output as? [String: Any]).map { Set($0.keys) }
        #expect(keys == ["grades", "recommendation", "alternatives", "alerts"])
    }

    @Test func tc24ShortageAlternativesComeFromTheInventoryInTheInput() throws {
        let result = try Toxctl.run(["evaluate", try Toxctl.fixture("tc24-tocilizumab-shortage.input").path])
        #expect(result.status == 0)
        let output = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let shortage = try #require((output["alternatives"] as? [[String: Any]])?.first)
        #expect(shortage["shortDrug"] as? String == "tocilizumab" && shortage["site"] as? String == "cnh")
        let options = try #require(shortage["alternatives"] as? [[String: Any]])
        #expect(options.compactMap { $0["drug"] as? String } == ["anakinra", "dexamethasone", "siltuximab"])
        #expect((options.first?["dose"] as? [String: Any])?["mg"] as? Double == 56)
        #expect(options.first?["label"] as? String == "shortage-mode: outside usual line")
        #expect(((shortage["excluded"] as? [[String: Any]])?.first)?["drug"] as? String == "ruxolitinib")
        // 336 mg of tocilizumab in 80 mg vials.
        #expect((shortage["need24h"] as? [String: Any])?["units"] as? Int == 5)
    }

    @Test func standardInputAndAnEarlierInstant() throws {
        let input = try Data(contentsOf: try Toxctl.fixture("tc01-cnh-70kg-refractory-crs3.input"))
        let later = try Toxctl.run(["evaluate", "--protocol", "childrens-national", "-"], stdin: input)
        #expect(later.status == 0)
        let early = try Toxctl.run(
            ["evaluate", "--protocol", "childrens-national", "--at", "2026-03-02T12:00:00Z", "-"],
            stdin: input
        )
        #expect(early.status == 0, "\(early.stderr)")
        let before = try #require(try JSONSerialization.jsonObject(with: early.stdout) as? [String: Any])
        #expect((before["recommendation"] as? [String: Any])?["action"] as? String == "none")
        let after = try #require(try JSONSerialization.jsonObject(with: later.stdout) as? [String: Any])
        #expect((after["recommendation"] as? [String: Any])?["action"] as? String == "start")
    }

    @Test(arguments: [
        // (arguments, input mutation, text the message must contain)
        (["--protocol", "childrens-national"], "temperature", "events[0].temperatureC"),
        (["--protocol", "childrens-national"], "not-json", "invalid input"),
        ([], "", "--protocol"),
        (["--protocol", "no-such-protocol"], "", "no-such-protocol"),
        (["--protocol", "childrens-national", "--at", "yesterday"], "", "--at"),
    ])
    func invalidInputExits2NamingTheField(arguments: [String], mutation: String, message: String) throws {
        var text = String(
            decoding: try Data(contentsOf: try Toxctl.fixture("tc01-cnh-70kg-refractory-crs3.input")),
            as: UTF8.self
        )
        switch mutation {
        case "temperature": text = text.replacingOccurrences(of: "\"temperatureC\": 39.2", with: "\"temperatureC\": 60")
        case "not-json": text = "{\"patient\": "
        default: break
        }
        let result = try Toxctl.run(["evaluate"] + arguments + ["-"], stdin: Data(text.utf8))
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func compareProtocolsTable() throws {
        let result = try Toxctl.run(
            ["evaluate", "--compare-protocols", try Toxctl.fixture("tc01-cnh-70kg-refractory-crs3.input").path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.text.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("CRS 3") == true)
        let header = try #require(lines.first { $0.hasPrefix("PROTOCOL") })
        #expect(header.contains("ACTION") && header.contains("DOSE") && header.contains("ROUTE"))
        let cnh = try #require(lines.first { $0.hasPrefix("childrens-national") })
        #expect(cnh.contains("start") && cnh.contains("100 mg") && cnh.contains("IV") && cnh.contains("Q6H"))
        let seattle = try #require(lines.first { $0.hasPrefix("seattle-childrens") })
        // CRS ≥ 2 persisting ≥ 8 h after the only tocilizumab dose, dexamethasone given (A6).
        #expect(seattle.contains("start") && seattle.contains("persisting-after-tocilizumab"))
        let nih = try #require(lines.first { $0.hasPrefix("nih-cc") })
        #expect(nih.contains("none") && nih.contains("no-active-toxicity"))
        for id in ["chop", "musc", "nih-cc", "st-jude", "oliai", "park-prophylaxis", "dreyzin", "wehrli"] {
            #expect(lines.contains { $0.hasPrefix(id + " ") }, "\(id)")
        }
    }

    @Test func compareProtocolsJSON() throws {
        let result = try Toxctl.run(
            ["evaluate", "--compare-protocols", "--json", try Toxctl.fixture("tc09-seattle-capd10.input").path])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let rows = try #require(output["protocols"] as? [[String: Any]])
        #expect(rows.count == 14)
        let seattle = try #require(rows.first { $0["protocol"] as? String == "seattle-childrens" })
        let recommendation = try #require(seattle["recommendation"] as? [String: Any])
        #expect(recommendation["action"] as? String == "start")
        #expect((recommendation["dose"] as? [String: Any])?["mg"] as? Int == 36)
        #expect(((output["grades"] as? [String: Any])?["icans"] as? [String: Any])?["grade"] as? Int == 3)
    }
}

/// `toxctl evaluate --timeline`: the worker's outputs for a course, with the worker's ids.
@Suite("toxctl evaluate --timeline")
struct EvaluateTimelineTests {
    static let course = BuildProducts.repositoryRoot.appendingPathComponent("Scripts/demo-data/course.json").path

    static func outputs(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try Toxctl.run(["evaluate", "--timeline"] + arguments + [course])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.text.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
    }

    @Test("the demo course: every output once, named type/patient/instant-ms, recommendations in course order")
    func demoCourse() throws {
        let outputs = try Self.outputs([])
        // Grades, recommendations and shortage advice, each instant evaluated once with all of its
        // events (issue 12): no transient grades record and its `/r1` when an instant's vitals and
        // neuro check were evaluated apart (48 before, 8 of them such pairs).
        #expect(outputs.count == 40, "the outputs `toxctl chart` draws for the course")
        let ids = outputs.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == outputs.count)
        let formatter = ISO8601DateFormatter()
        for output in outputs {
            let id = try #require(output["id"] as? String)
            let assessedAt = try #require((output["assessedAt"] as? String).flatMap(formatter.date))
            #expect(
                id.hasPrefix(
                    "\(output["type"] as? String ?? "")/DEMO-0001/\(Int64(assessedAt.timeIntervalSince1970 * 1000))"),
                "\(id)")
        }
        let actions = outputs.filter { $0["type"] as? String == "anakinra-recommendation" }.compactMap {
            $0["action"] as? String
        }
        #expect(actions == ["none", "start", "continue", "taper", "taper", "taper", "stop"])
    }

    @Test(
        "--at ends the timeline there; --format fhir at the START's instant names the proposal with the timeline's id")
    func atAndTheOtherReader() throws {
        let all = try Self.outputs([])
        let start = try #require(all.first { $0["action"] as? String == "start" })
        let at = try #require(start["assessedAt"] as? String)
        let through = try Self.outputs(["--at", at])
        #expect(
            through.compactMap { $0["id"] as? String } == all.prefix(through.count).compactMap { $0["id"] as? String })
        #expect(through.count < all.count && through.contains { $0["id"] as? String == start["id"] as? String })
        let fhir = try Toxctl.run(["evaluate", "--at", at, "--format", "fhir", Self.course])
        #expect(fhir.status == 0, "\(fhir.stderr)")
        #expect(fhir.text.contains("\"\(try #require(start["id"] as? String))\""), "\(fhir.text.prefix(400))")
        let combined = try Toxctl.run(["evaluate", "--timeline", "--compare-protocols", Self.course])
        #expect(combined.status == 2 && combined.stderr.contains("--timeline cannot be combined"))
    }

    /// Clinical-spec §A13.16: `evaluate --at T` reads the recommendation history the worker would
    /// have recorded, so at each instant the worker published a recommendation both say the same
    /// action and dose, and half an hour later the offline answer is still the worker's state (a
    /// completed course after the STOP). Before, the offline tool tapered until 03-08 after the
    /// worker's STOP at 03-07 08:30.
    @Test("evaluate --at agrees with the worker's recommendation at and after every instant it published one (§A13.16)")
    func evaluateAtAgreesWithTheTimeline() throws {
        let formatter = ISO8601DateFormatter()
        let published = try Self.outputs([]).filter { $0["type"] as? String == "anakinra-recommendation" }.map {
            (at: try #require(formatter.date(from: $0["assessedAt"] as? String ?? "")), record: $0)
        }
        let instants = Set(published.flatMap { [$0.at, $0.at.addingTimeInterval(1800)] }).sorted()
        for instant in instants {
            let worker = try #require(published.last { $0.at <= instant }).record
            let result = try Toxctl.run(["evaluate", "--at", formatter.string(from: instant), Self.course])
            #expect(result.status == 0, "\(result.stderr)")
            let offline = try #require(
                (JSONSerialization.jsonObject(with: Data(result.text.utf8)) as? [String: Any])?["recommendation"]
                    as? [String: Any])
            let action = offline["action"] as? String
            if worker["action"] as? String == "stop", worker["assessedAt"] as? String != formatter.string(from: instant)
            {
                // After its STOP the worker publishes nothing more: the course is completed.
                let decisive = (offline["reasons"] as? [[String: Any]])?.first { $0["decisive"] as? Bool == true }
                #expect(action == "none" && decisive?["code"] as? String == "course-completed", "\(instant)")
                continue
            }
            #expect(
                action == worker["action"] as? String, "\(instant): \(action ?? "nil") vs \(worker["action"] ?? "nil")")
            let dose = offline["dose"] as? [String: Any]
            let workerDose = worker["dose"] as? [String: Any]
            #expect(dose?["mg"] as? Int == workerDose?["mg"] as? Int, "\(instant)")
            #expect(dose?["frequency"] as? String == workerDose?["frequency"] as? String, "\(instant)")
        }
    }
}
