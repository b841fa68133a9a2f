import Foundation
import KafkaClient
import ProtocolCatalog
import Testing
import ToxTestSupport
import ToxWorker

@testable import ToxWatchContract
@testable import ToxicityRules

/// Every output the worker's processor writes, over worked cases and simulated courses, once per
/// test run (the courses take a few seconds in a debug build).
struct SimulatedOutputs: Sendable {
    struct Output: Sendable {
        var course: String
        var record: OutputRecord
    }

    var outputs: [Output] = []
    var deadLetters: [String] = []
    /// The courses run (for the coverage test).
    var courses: [String] = []

    static let shared: Result<SimulatedOutputs, any Error> = Result { try SimulatedOutputs.run() }

    static func run() throws -> SimulatedOutputs {
        var result = SimulatedOutputs()
        let protocols = try CourseSimulation.catalog().protocols
        func add(_ name: String, _ simulation: CourseSimulation) {
            result.courses.append(name)
            result.outputs += simulation.outputs.map { Output(course: name, record: $0) }
            result.deadLetters += simulation.deadLetters.map { "\(name): \($0.id)" }
        }

        // The pinned `toxctl evaluate` examples (Part B worked cases), as the worker sees them.
        for (name, input, protocolId) in try EvaluateFixtures.pinned() {
            var simulation = CourseSimulation(
                patientId: input.patient.patientId,
                protocolId: protocolId ?? input.patient.protocolId,
                protocols: protocols,
                inventory: input.inventory
            )
            let last = input.timeline.map(\.occurredAt).max() ?? input.patient.occurredAt
            try simulation.run(input.timeline, until: last.addingTimeInterval(72 * 3600))
            add("pinned/\(name)", simulation)
        }

        // Each protocol on each course shape, two patient sizes.
        for (index, anakinraProtocol) in protocols.enumerated() {
            for variant in Courses.Variant.allCases {
                let small = (index + variant.rawValue.count) % 2 == 0
                var profile = Courses.Profile(ageYears: small ? 6 : 16, weightKg: small ? 20 : 70)
                if anakinraProtocol.id == "nih-cc" || anakinraProtocol.id == "chop" { profile.target = "CD22" }
                let id = "sim-\(variant.rawValue)-\(anakinraProtocol.id)"
                var simulation = CourseSimulation(patientId: id, protocolId: anakinraProtocol.id, protocols: protocols)
                try simulation.run(Courses.events(id, variant, profile), until: Courses.at(200))
                add(id, simulation)
            }
        }

        // Part B TC11 (CHOP, 11 y, 30 kg: no frequency), safety holds, missing weight.
        let special: [(String, String, Courses.Variant, Courses.Profile)] = [
            ("tc11-chop", "chop", .refractoryCRS, Courses.Profile(ageYears: 11, weightKg: 30)),
            (
                "tc23-ecoli", "childrens-national", .refractoryCRS,
                Courses.Profile(ageYears: 9, weightKg: 28, allergies: ["e-coli-derived-protein"])
            ),
            (
                "tc20-etanercept", "childrens-national", .refractoryCRS,
                Courses.Profile(ageYears: 18, weightKg: 65, etanerceptAt: 20)
            ),
            ("no-weight", "seattle-childrens", .icans, Courses.Profile(ageYears: 5, weightKg: nil)),
            ("tc29-infant", "childrens-national", .refractoryCRS, Courses.Profile(ageYears: 0.8, weightKg: 8)),
        ]
        for (name, protocolId, variant, profile) in special {
            let id = "sim-\(name)"
            var simulation = CourseSimulation(patientId: id, protocolId: protocolId, protocols: protocols)
            try simulation.run(Courses.events(id, variant, profile), until: Courses.at(200))
            add(id, simulation)
        }

        // Shortages: tocilizumab unavailable from the start (TC24-like), then anakinra short and low.
        func stock(_ drug: Drug, _ status: StockStatus, _ n: Int, atHour hour: Double = -3) -> InventoryEvent {
            InventoryEvent(
                eventId: "inv-\(n)",
                occurredAt: Courses.at(hour),
                site: "north",
                drug: drug,
                status: status,
                unitsOnHand: 2,
                unitMg: drug == .anakinra ? 100 : 80
            )
        }
        do {
            let id = "sim-shortage-toci"
            var simulation = CourseSimulation(
                patientId: id,
                protocolId: "childrens-national",
                protocols: protocols,
                inventory: [stock(.tocilizumab, .unavailable, 1)]
            )
            let events = Courses.events(id, .refractoryCRS, Courses.Profile(ageYears: 9, weightKg: 28))
            try simulation.run(events.filter { $0.occurredAt <= Courses.at(50) })
            simulation.inventoryChanged(stock(.tocilizumab, .available, 2, atHour: 50), offset: 2)
            simulation.inventoryChanged(stock(.anakinra, .shortage, 3, atHour: 50), offset: 3)
            try simulation.run(events.filter { $0.occurredAt > Courses.at(50) && $0.occurredAt <= Courses.at(80) })
            simulation.inventoryChanged(stock(.anakinra, .low, 4, atHour: 80), offset: 4)
            try simulation.run(events.filter { $0.occurredAt > Courses.at(80) }, until: Courses.at(200))
            add(id, simulation)
        }
        do {
            let id = "sim-shortage-anakinra"
            var simulation = CourseSimulation(
                patientId: id,
                protocolId: "st-jude",
                protocols: protocols,
                inventory: [stock(.anakinra, .unavailable, 5)]
            )
            try simulation.run(
                Courses.events(id, .lateCarHLH, Courses.Profile(ageYears: 12, weightKg: 40)),
                until: Courses.at(200)
            )
            add(id, simulation)
        }
        return result
    }
}

/// The `toxctl evaluate` fixtures: the pinned examples (an input with its expected output, and the
/// example's protocol) and the event-contract ones (an input alone).
enum EvaluateFixtures {
    static var pinnedDirectory: URL { get throws { try SharedFixtures.url("evaluate") } }

    /// `(name, input, --protocol of its command)` for every pinned example.
    static func pinned() throws -> [(String, EvaluationInput, String?)] {
        let pinnedDirectory = try pinnedDirectory
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: pinnedDirectory.path))
        let names = files.filter { $0.hasSuffix(".expected.json") }.map { String($0.dropLast(".expected.json".count)) }
            .filter { files.contains("\($0).input.json") }.sorted()
        return try names.map { name in
            let input = try EvaluationInput.decode(
                Data(contentsOf: pinnedDirectory.appendingPathComponent("\(name).input.json"))
            )
            return (name, input, try protocolOf(name))
        }
    }

    /// The `--protocol` of the example's `command`, if any.
    static func protocolOf(_ name: String) throws -> String? {
        let expected = try Data(contentsOf: pinnedDirectory.appendingPathComponent("\(name).expected.json"))
        let command =
            try #require(try JSONSerialization.jsonObject(with: expected) as? [String: Any])["command"] as? String ?? ""
        let words = command.split(separator: " ").map(String.init)
        guard let index = words.firstIndex(of: "--protocol"), index + 1 < words.count else { return nil }
        return words[index + 1]
    }
}

/// Runs the built `toxctl` (next to the test bundle; `swift test` builds it as a dependency).
enum ToxctlBinary {
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = try BuildProducts.url("toxctl")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, stdout, String(decoding: stderr, as: UTF8.self))
    }
}

@Suite("Output contract")
struct OutputContractTests {
    func simulated() throws -> SimulatedOutputs { try SimulatedOutputs.shared.get() }

    static func json(_ data: some Collection<UInt8>) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(data)) as? [String: Any])
    }

    @Test(
        "the courses cover every action, a dose without frequency, timers, shortages and holds; nothing is dead-lettered"
    )
    func coverage() throws {
        let simulation = try simulated()
        #expect(simulation.deadLetters.isEmpty, "\(simulation.deadLetters.prefix(5))")
        let recommendations = try simulation.outputs.filter { $0.record.kind == .anakinraRecommendation }.map {
            try AnakinraRecommendationOutput.decode(Data($0.record.value))
        }
        let actions = Set(recommendations.map(\.body.action))
        #expect(actions.isSuperset(of: [.start, .continue, .taper, .stop, .hold, .none]), "\(actions)")
        #expect(
            recommendations.contains { $0.body.dose != nil && $0.body.dose?.mg == nil },
            "a CHOP dose without frequency"
        )
        #expect(
            recommendations.contains { $0.body.action == .hold && $0.body.dose != nil },
            "a TNF hold shows its dose"
        )
        #expect(recommendations.contains { $0.body.hasAlert("weight-required") })
        #expect(
            simulation.outputs.contains {
                $0.record.headers.contains(KafkaHeader(name: OutputHeader.sourceTopic, string: "timer"))
            },
            "time-driven outputs")
        let alternatives = simulation.outputs.filter { $0.record.kind == .shortageAlternative }
        let shortDrugs = try Set(
            alternatives.map { try ShortageAlternativeOutput.decode(Data($0.record.value)).body.shortDrug }
        )
        #expect(shortDrugs.isSuperset(of: ["tocilizumab", "anakinra"]), "\(shortDrugs)")
        #expect(simulation.outputs.filter { $0.record.kind == .toxicityGrades }.count >= simulation.courses.count)
        let grades = try simulation.outputs.filter { $0.record.kind == .toxicityGrades }.map {
            try ToxicityGradesOutput.decode(Data($0.record.value)).body
        }
        #expect(
            grades.contains { $0.crs.grade == 3 } && grades.contains { ($0.icans.grade ?? 0) >= 3 }
                && grades.contains { $0.iecHs.present }
        )
    }

    @Test("every output reads back with the ToxWatchContract models and re-encodes to the same bytes")
    func roundTrip() throws {
        let simulation = try simulated()
        #expect(simulation.outputs.count > 200)
        for output in simulation.outputs {
            let decoded = try ToxWatchOutput.decode(Data(output.record.value))
            #expect(decoded.type.rawValue == output.record.kind.rawValue)
            #expect(decoded.id == output.record.id)
            #expect(Array(decoded.patientId.utf8) == output.record.key)
            #expect(Array(try decoded.encoded()) == output.record.value, "\(output.course) \(output.record.id)")
            #expect(decoded.type.topic == output.record.topic)
        }
    }

    @Test("the envelope's type must match the body: a recommendation is not read as grades")
    func typeChecked() throws {
        let simulation = try simulated()
        let recommendation = try #require(simulation.outputs.first { $0.record.kind == .anakinraRecommendation })
        #expect(throws: EventDecodingError.self) { try ToxicityGradesOutput.decode(Data(recommendation.record.value)) }
        #expect(throws: EventDecodingError.self) {
            try ShortageAlternativeOutput.decode(Data(recommendation.record.value))
        }
        var broken = try Self.json(recommendation.record.value)
        broken["type"] = "recommendation"
        #expect(throws: EventDecodingError.self) {
            try ToxWatchOutput.decode(JSONSerialization.data(withJSONObject: broken))
        }
        broken["type"] = "anakinra-recommendation"
        broken["assessedAt"] = "2026-03-02 06:00"
        #expect(throws: EventDecodingError.self) {
            try ToxWatchOutput.decode(JSONSerialization.data(withJSONObject: broken))
        }
    }

    @Test(
        "every worker output, every toxctl evaluate output validates against its schema; invalid hand-written outputs are rejected"
    )
    func schemas() throws {
        let simulation = try simulated()
        var cases: [SchemaValidator.Case] = []
        for (n, output) in simulation.outputs.enumerated() {
            cases.append(
                .init(
                    name: "worker/\(output.course)/\(n)/\(output.record.id)",
                    schema: "\(output.record.kind.rawValue).schema.json",
                    json: Data(output.record.value)
                )
            )
        }
        // `toxctl evaluate`: the pinned examples with their protocol, and the event-contract inputs under every protocol.
        var evaluated: [String: Data] = [:]
        for (name, _, protocolId) in try EvaluateFixtures.pinned() {
            let path = try EvaluateFixtures.pinnedDirectory.appendingPathComponent("\(name).input.json").path
            let result = try ToxctlBinary.run(["evaluate"] + (protocolId.map { ["--protocol", $0] } ?? []) + [path])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            evaluated["pinned/\(name)"] = result.stdout
        }
        let catalog = try CourseSimulation.catalog()
        for name in EvaluationInputTests.examples + ["with-inventory"] {
            for id in catalog.ids {
                let result = try ToxctlBinary.run([
                    "evaluate", "--protocol", id, try Fixtures.url("evaluate/\(name).input.json").path,
                ])
                #expect(result.status == 0, "\(name) \(id): \(result.stderr)")
                evaluated["evaluate/\(name)/\(id)"] = result.stdout
            }
        }
        for (name, data) in evaluated.sorted(by: { $0.key < $1.key }) {
            cases.append(.init(name: "toxctl/\(name)", schema: "assessment.schema.json", json: data))
        }
        // Hand-written invalid outputs: one mutation each of a real output.
        let invalid = try InvalidOutputs.cases(
            simulation: simulation,
            assessment: try #require(evaluated["pinned/tc24-tocilizumab-shortage"])
        )
        cases += invalid

        let report = try SchemaValidator.run(cases)
        for (file, problems) in report.schemas { #expect(problems.isEmpty, "\(file): \(problems)") }
        #expect(report.results.count == cases.count)
        var failures: [String] = []
        for result in report.results {
            let shouldBeValid = !result.name.hasPrefix("invalid/")
            if result.valid != shouldBeValid { failures.append("\(result.name): \(result.errors)") }
        }
        #expect(failures.isEmpty, "\(failures.count) unexpected: \(failures.prefix(10))")
        #expect(invalid.count >= 30)
        #expect(evaluated.count >= 8 + 6 * catalog.ids.count)
    }
}

/// Mutations of real outputs that the schemas must reject (the rule each breaks is in the name).
enum InvalidOutputs {
    typealias Mutation = (String, (inout [String: Any]) -> Void)

    static func cases(simulation: SimulatedOutputs, assessment: Data) throws -> [SchemaValidator.Case] {
        func first(_ kind: OutputRecord.Kind, where condition: ([String: Any]) -> Bool = { _ in true }) throws
            -> [String: Any]
        {
            for output in simulation.outputs where output.record.kind == kind {
                let json = try OutputContractTests.json(output.record.value)
                if condition(json) { return json }
            }
            Issue.record("no \(kind) output to mutate")
            return [:]
        }
        let grades = try first(.toxicityGrades) {
            (($0["crs"] as? [String: Any])?["reasons"] as? [Any])?.isEmpty == false
        }
        let recommendation = try first(.anakinraRecommendation) {
            $0["dose"] is [String: Any] && !(($0["evidence"] as? [Any]) ?? []).isEmpty
        }
        let alternative = try first(.shortageAlternative) { json in
            ((json["alternatives"] as? [[String: Any]])?.first?["dose"] as? [String: Any]) != nil
                && (json["need24h"] as? [String: Any]) != nil
        }
        let document = try OutputContractTests.json(assessment)

        func path(_ json: inout [String: Any], _ keys: [String], _ change: (inout Any?) -> Void) {
            guard let key = keys.first else { return }
            if keys.count == 1 {
                var value = json[key]
                change(&value)
                json[key] = value
                return
            }
            if var object = json[key] as? [String: Any] {
                path(&object, Array(keys.dropFirst()), change)
                json[key] = object
            } else if var array = json[key] as? [[String: Any]], let index = Int(keys[1]), index < array.count {
                var element = array[index]
                path(&element, Array(keys.dropFirst(2)), change)
                array[index] = element
                json[key] = array
            }
        }
        func set(_ keys: String, _ value: Any?) -> (inout [String: Any]) -> Void {
            { json in path(&json, keys.split(separator: ".").map(String.init)) { $0 = value } }
        }

        let gradeMutations: [Mutation] = [
            ("grade above 5", set("crs.grade", 6)),
            ("grade as text", set("crs.grade", "3")),
            ("negative maxGrade", set("icans.maxGrade", -1)),
            ("missing maxGrade", set("icans.maxGrade", nil)),
            // §A13.12: CRS/ICANS may be null (cannot be graded); IEC-HS is always graded; lastGraded has both fields.
            ("IEC-HS grade null", set("iecHs.grade", NSNull())),
            ("missing CRS grade (null must be written)", set("crs.grade", nil)),
            ("lastGraded without its time", set("crs.lastGraded", ["grade": 2])),
            ("lastGraded with a text grade", set("crs.lastGraded", ["grade": "2", "at": "2026-03-02T06:00:00Z"])),
            ("unknown flag", set("crs.flags", ["made-up-flag"])),
            ("unknown IEC-HS criteria", set("iecHs.criteria", "lee-2014")),
            ("IEC-HS without present", set("iecHs.present", nil)),
            ("not for verification", set("crs.requiresClinicianVerification", false)),
            ("reason code not kebab-case", set("crs.reasons.0.code", "Fever")),
            ("reason without rule", set("crs.reasons.0.rule", nil)),
            ("reason with an unknown field", set("crs.reasons.0.why", "because")),
            ("alert as a bare code", set("alerts", ["stale-vitals"])),
            ("wrong type", set("type", "toxicity-grade")),
            ("timestamp without offset", set("assessedAt", "2026-03-02T06:00:00")),
            ("blank input event id", set("inputEventIds", [" "])),
            ("unknown top-level field", set("severity", "high")),
            ("evaluate form of the event ids", set("eventIds", ["x"])),
        ]
        let recommendationMutations: [Mutation] = [
            ("unknown action", set("action", "administer")),
            ("fractional mg", set("dose.mg", 100.5)),
            ("unknown route", set("dose.route", "IM")),
            ("unknown frequency", set("dose.frequency", "Q3H")),
            ("mg null with a frequency and no options", set("dose.mg", NSNull())),
            ("negative daily mg", set("dose.dailyMg", -400)),
            ("dose with an unknown field", set("dose.units", "mg")),
            ("not for verification", set("requiresClinicianVerification", false)),
            ("verification missing", set("requiresClinicianVerification", nil)),
            ("rationale as one string", set("rationale", "start")),
            ("unknown evidence status", set("evidence.0.status", "X")),
            ("cap as text", set("caps", ["per-dose"])),
            ("protocol missing", set("protocol", nil)),
            ("an order flag", set("order", true)),
        ]
        let alternativeMutations: [Mutation] = [
            ("rank 0", set("alternatives.0.rank", 0)),
            ("unknown cause", set("cause", "recall")),
            ("negative units", set("need24h.units", -1)),
            ("unknown evidence status", set("alternatives.0.status", "maybe")),
            ("blank schedule", set("alternatives.0.dose.schedule", "")),
            ("verification missing", set("requiresClinicianVerification", nil)),
            ("unknown stock status", set("status", "backordered")),
        ]
        let assessmentMutations: [Mutation] = [
            ("alerts missing", set("alerts", nil)),
            ("alert as a bare code", set("alerts", ["weight-required"])),
            ("unknown top-level field", set("patientId", "MRN1")),
            ("recommendation with an unknown field", set("recommendation.why", "x")),
            ("output form of the event ids", set("grades.inputEventIds", ["x"])),
            ("alternative with an unknown field", set("alternatives.0.priority", 1)),
        ]
        var cases: [SchemaValidator.Case] = []
        for (schema, base, mutations) in [
            ("toxicity-grades.schema.json", grades, gradeMutations),
            ("anakinra-recommendation.schema.json", recommendation, recommendationMutations),
            ("shortage-alternative.schema.json", alternative, alternativeMutations),
            ("assessment.schema.json", document, assessmentMutations),
        ] {
            // The unmutated document is valid (so each rejection is the mutation's doing).
            cases.append(
                .init(name: "base/\(schema)", schema: schema, json: try JSONSerialization.data(withJSONObject: base))
            )
            for (name, mutate) in mutations {
                var json = base
                mutate(&json)
                cases.append(
                    .init(
                        name: "invalid/\(schema)/\(name)",
                        schema: schema,
                        json: try JSONSerialization.data(withJSONObject: json)
                    )
                )
            }
        }
        return cases
    }
}
