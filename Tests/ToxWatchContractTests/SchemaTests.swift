import Foundation
import Testing

@testable import ToxWatchContract
@testable import ToxicityRules

/// Validates documents against `Schemas/` with Python `jsonschema` (installed by
/// `Scripts/bootstrap --for-tests`), in both directions: fixtures and everything the Swift
/// encoders and adapters produce must validate; invalid fixtures must be rejected by the schema
/// as well as by the Swift decoder.
struct SchemaValidator {
    struct Case {
        var name: String
        var schema: String
        /// The instance, as JSON bytes embedded unchanged.
        var json: Data
    }

    struct Result: Decodable {
        var name: String
        var valid: Bool
        var errors: [String]
    }

    struct Report: Decodable {
        var schemas: [String: [String]]
        var results: [Result]
    }

    /// Runs the validator once for all `cases`.
    static func run(_ cases: [Case]) throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "toxwatch-schema-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Built by hand so that each instance is embedded byte for byte, as the encoder wrote it.
        var job = Data(#"{"cases":["#.utf8)
        for (index, c) in cases.enumerated() {
            if index > 0 { job.append(contentsOf: Array(",".utf8)) }
            let header = try JSONSerialization.data(withJSONObject: ["name": c.name, "schema": c.schema])
            job.append(header.dropLast())
            job.append(contentsOf: Array(#","instance":"#.utf8))
            job.append(c.json)
            job.append(contentsOf: Array("}".utf8))
        }
        job.append(contentsOf: Array("]}".utf8))
        let jobURL = directory.appendingPathComponent("job.json")
        try job.write(to: jobURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", try Fixtures.url("validate_schemas.py").path, Repository.schemas.path, jobURL.path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidatorUnavailable(
                detail: String(decoding: stderr, as: UTF8.self)
                    + "\n(install with Scripts/bootstrap --for-tests: python3 and jsonschema)"
            )
        }
        return try JSONDecoder().decode(Report.self, from: stdout)
    }

    struct ValidatorUnavailable: Error, CustomStringConvertible {
        var detail: String
        var description: String { "schema validator failed: \(detail)" }
    }
}

@Suite("JSON Schemas")
struct SchemaTests {
    static let schemaFiles = [
        "common", "patient", "vitals", "neuro", "lab", "finding", "medication", "inventory", "event", "clinical-event",
        "evaluate-input", "toxicity-grades", "anakinra-recommendation", "shortage-alternative", "assessment",
        "dead-letter",
    ].map { $0 + ".schema.json" }

    func schema(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Repository.schemas.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func everySchemaIsPresentAndDocumented() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Repository.schemas.path).filter {
            $0.hasSuffix(".schema.json")
        }
        #expect(Set(present) == Set(Self.schemaFiles))
        let readme = try String(contentsOf: Repository.schemas.appendingPathComponent("README.md"), encoding: .utf8)
        for file in Self.schemaFiles { #expect(readme.contains(file), "README does not describe \(file)") }
    }

    @Test func bothDirections() throws {
        var cases: [SchemaValidator.Case] = []
        func add(_ name: String, _ schema: String, _ json: Data) {
            cases.append(.init(name: name, schema: schema, json: json))
        }

        // Valid fixtures, as written and as the Swift encoder writes them back.
        for file in try Fixtures.names(in: "json/valid") {
            let data = try Fixtures.data("json/valid/" + file)
            add("valid/\(file)", "event.schema.json", data)
            add("encoded/\(file)", "event.schema.json", try EventEnvelope.decode(data).encoded())
        }
        // Invalid fixtures the schema can express.
        for fixture in invalidFixtures where fixture.schemaRejects && fixture.reason != .malformedJSON {
            add("invalid/\(fixture.name)", "event.schema.json", try Fixtures.data("json/invalid/\(fixture.name).json"))
        }
        // Evaluate inputs.
        for name in EvaluationInputTests.examples + ["with-inventory"] {
            let data = try Fixtures.data("evaluate/\(name).input.json")
            add("evaluate/\(name)", "evaluate-input.schema.json", data)
            add("evaluate-encoded/\(name)", "evaluate-input.schema.json", try encodeJSON(EvaluationInput.decode(data)))
        }
        for name in ["invalid-temperature", "invalid-inventory-in-events"] {
            add(
                "evaluate-invalid/\(name)",
                "evaluate-input.schema.json",
                try Fixtures.data("evaluate/\(name).input.json")
            )
        }
        // Everything the adapters produce.
        for file in try Fixtures.names(in: "hl7", suffix: ".hl7") {
            for (index, message) in HL7Framing.split(try Fixtures.bytes("hl7/" + file)).messages.enumerated() {
                for (n, envelope) in try HL7Adapter.decode(message: message).events.enumerated() {
                    add("hl7/\(file)/\(index)/\(n)", "event.schema.json", try envelope.encoded())
                }
            }
        }
        for file in try Fixtures.names(in: "fhir") {
            for (n, envelope) in try FHIRAdapter.decode(Fixtures.data("fhir/" + file)).events.enumerated() {
                add("fhir/\(file)/\(n)", "event.schema.json", try envelope.encoded())
            }
        }
        // Generated events across every type and boundary value.
        for (n, event) in Self.generatedEvents().enumerated() {
            add("generated/\(n)", "event.schema.json", try encodeEvent(event))
        }
        add("dead-letter", "dead-letter.schema.json", try DeadLetterTests.sample().encoded())

        let report = try SchemaValidator.run(cases)
        for (file, problems) in report.schemas { #expect(problems.isEmpty, "\(file): \(problems)") }
        #expect(Set(report.schemas.keys) == Set(Self.schemaFiles))
        #expect(report.results.count == cases.count)
        for result in report.results {
            let shouldBeValid = !(result.name.hasPrefix("invalid/") || result.name.hasPrefix("evaluate-invalid/"))
            #expect(result.valid == shouldBeValid, "\(result.name): \(result.errors)")
        }
        #expect(cases.count > 80)
    }

    /// Events at the edges of every range and with every enumerated value.
    static func generatedEvents() -> [InputEvent] {
        let t = Date(timeIntervalSince1970: 1_772_431_200.125)
        var events: [InputEvent] = []
        for range in [PlausibleRange.temperatureC] {
            for value in [range.lower, range.upper ?? range.lower] {
                events.append(
                    .clinical(
                        .vitals(VitalsEvent(eventId: "t\(value)", patientId: "p", occurredAt: t, temperatureC: value))
                    )
                )
            }
        }
        for device in OxygenDevice.allCases {
            let oxygen =
                device == .roomAir
                ? OxygenSupport(device: device, flowLPerMin: 0, fio2: 0.21)
                : OxygenSupport(device: device, flowLPerMin: 80, fio2: 1)
            events.append(
                .clinical(
                    .vitals(
                        VitalsEvent(
                            eventId: device.rawValue,
                            patientId: "p",
                            occurredAt: t,
                            systolicBP: 300,
                            diastolicBP: 0,
                            meanArterialPressure: 0,
                            heartRate: 350,
                            respiratoryRate: 0,
                            spo2: 100,
                            oxygen: oxygen
                        )
                    )
                )
            )
        }
        for (index, consciousness) in Consciousness.allCases.enumerated() {
            events.append(
                .clinical(
                    .neuro(
                        NeuroEvent(
                            eventId: "n\(index)",
                            patientId: "p",
                            occurredAt: t,
                            iceScore: index % 11,
                            capdScore: 32 - index,
                            consciousness: consciousness,
                            seizure: Seizure.allCases[index % Seizure.allCases.count],
                            motorWeakness: MotorWeakness.allCases[index % 2],
                            cerebralEdema: CerebralEdema.allCases[index % 3],
                            raisedIcpSigns: Array(RaisedICPSign.allCases.prefix(index)),
                            sedated: index % 2 == 0
                        )
                    )
                )
            )
        }
        for test in LabTest.allCases {
            events.append(
                .clinical(
                    .lab(
                        LabEvent(
                            eventId: test.rawValue,
                            patientId: "p",
                            occurredAt: t,
                            test: test,
                            value: 0,
                            upperLimitOfNormal: 12.5
                        )
                    )
                )
            )
        }
        for finding in ClinicalFinding.allCases {
            events.append(
                .clinical(
                    .finding(
                        FindingEvent(
                            eventId: finding.rawValue,
                            patientId: "p",
                            occurredAt: t,
                            finding: finding,
                            present: false
                        )
                    )
                )
            )
        }
        for (index, action) in MedicationAction.allCases.enumerated() {
            let drug = index == 0 ? Drug.other("sodium chloride 0.9 %") : Drug.known[index % Drug.known.count]
            events.append(
                .clinical(
                    .medication(
                        MedicationEvent(
                            eventId: action.rawValue,
                            patientId: "p",
                            occurredAt: t,
                            drug: drug,
                            action: action,
                            doseMg: 0,
                            route: Route.allCases[index % 3],
                            rate: 0
                        )
                    )
                )
            )
        }
        for sex in Sex.allCases {
            events.append(
                .clinical(
                    .patient(
                        PatientEvent(
                            eventId: sex.rawValue,
                            patientId: "p",
                            occurredAt: t,
                            birthDate: Date(timeIntervalSince1970: 0),
                            ageYears: 130,
                            sex: sex,
                            weightKg: 0.3,
                            heightCm: 250,
                            allergies: ["anakinra"],
                            infusion: Infusion(product: "x", target: "GD2", infusedAt: t),
                            protocolId: "st-jude",
                            site: "sj",
                            baselineFerritin: 0
                        )
                    )
                )
            )
        }
        for status in StockStatus.allCases {
            events.append(
                .inventory(
                    InventoryEvent(
                        eventId: status.rawValue,
                        occurredAt: t,
                        site: "cnh",
                        drug: .anakinra,
                        status: status,
                        unitsOnHand: 0,
                        unitMg: 100
                    )
                )
            )
        }
        return events
    }

    // MARK: The schemas say what the Swift tables say

    @Test func labUnitsMatchTheDecoder() throws {
        let lab = try schema("lab.schema.json")
        let rules = try #require(lab["allOf"] as? [[String: Any]]).dropFirst()
        var fromSchema: [String: [String]] = [:]
        for rule in rules {
            let test = try #require(
                ((rule["if"] as? [String: Any])?["properties"] as? [String: Any])?["test"] as? [String: Any]
            )
            let then = try #require((rule["then"] as? [String: Any])?["properties"] as? [String: Any])
            fromSchema[try #require(test["const"] as? String)] = (then["unit"] as? [String: Any])?["enum"] as? [String]
        }
        for test in LabTest.allCases {
            #expect(fromSchema[test.rawValue] == LabUnits.jsonUnits(for: test), "\(test)")
        }
        #expect(fromSchema.count == LabTest.allCases.count)
    }

    /// `(schema, JSON pointer-ish path to the property schema, range)`.
    static let ranges: [(String, [String], PlausibleRange)] = [
        ("vitals.schema.json", ["temperatureC"], .temperatureC),
        ("vitals.schema.json", ["systolicBP"], .systolicBP),
        ("vitals.schema.json", ["diastolicBP"], .diastolicBP),
        ("vitals.schema.json", ["meanArterialPressure"], .meanArterialPressure),
        ("vitals.schema.json", ["heartRate"], .heartRate),
        ("vitals.schema.json", ["respiratoryRate"], .respiratoryRate),
        ("vitals.schema.json", ["spo2"], .spo2),
        ("vitals.schema.json", ["oxygen", "flowLPerMin"], .oxygenFlow),
        ("vitals.schema.json", ["oxygen", "fio2"], .fio2),
        ("patient.schema.json", ["weightKg"], .weightKg),
        ("patient.schema.json", ["heightCm"], .heightCm),
        ("patient.schema.json", ["ageYears"], .ageYears),
        ("patient.schema.json", ["baselineFerritin"], .ferritin),
        ("neuro.schema.json", ["iceScore"], .iceScore),
        ("neuro.schema.json", ["capdScore"], .capdScore),
        ("medication.schema.json", ["doseMg"], .doseMg),
        ("medication.schema.json", ["rate"], .rate),
        ("inventory.schema.json", ["unitsOnHand"], .unitsOnHand),
        ("inventory.schema.json", ["unitMg"], .unitMg),
    ]

    @Test func rangesMatchTheDecoder() throws {
        for (file, path, range) in Self.ranges {
            var node: [String: Any] = try schema(file)
            for key in path {
                node = try #require((node["properties"] as? [String: Any])?[key] as? [String: Any], "\(file) \(path)")
            }
            let lower = (node["minimum"] ?? node["exclusiveMinimum"]) as? Double
            #expect(lower == range.lower, "\(file) \(path)")
            #expect((node["exclusiveMinimum"] != nil) == range.lowerExclusive, "\(file) \(path)")
            #expect(node["maximum"] as? Double == range.upper, "\(file) \(path)")
            let types = (node["type"] as? [String]) ?? []
            #expect(types.contains(range.integral ? "integer" : "number"), "\(file) \(path)")
        }
    }

    @Test func enumerationsMatchTheDomainTypes() throws {
        func values(_ file: String, _ path: [String]) throws -> [String] {
            var node: [String: Any] = try schema(file)
            for key in path.dropLast() {
                node = try #require(
                    ((node["properties"] as? [String: Any])?[key] ?? (node["$defs"] as? [String: Any])?[key])
                        as? [String: Any]
                )
            }
            let leaf = try #require(
                ((node["properties"] as? [String: Any])?[path.last ?? ""]
                    ?? (node["$defs"] as? [String: Any])?[path.last ?? ""]) as? [String: Any]
            )
            return (leaf["enum"] as? [Any] ?? []).compactMap { $0 as? String }
        }
        #expect(try values("neuro.schema.json", ["consciousness"]) == Consciousness.allCases.map(\.rawValue))
        #expect(try values("neuro.schema.json", ["seizure"]) == Seizure.allCases.map(\.rawValue))
        #expect(try values("neuro.schema.json", ["motorWeakness"]) == MotorWeakness.allCases.map(\.rawValue))
        #expect(try values("neuro.schema.json", ["cerebralEdema"]) == CerebralEdema.allCases.map(\.rawValue))
        #expect(try values("common.schema.json", ["oxygenDevice"]) == OxygenDevice.allCases.map(\.rawValue))
        #expect(try values("common.schema.json", ["route"]) == Route.allCases.map(\.rawValue))
        #expect(try values("patient.schema.json", ["sex"]) == Sex.allCases.map(\.rawValue))
        #expect(try values("lab.schema.json", ["test"]) == LabTest.allCases.map(\.rawValue))
        #expect(try values("finding.schema.json", ["finding"]) == ClinicalFinding.allCases.map(\.rawValue))
        #expect(try values("medication.schema.json", ["action"]) == MedicationAction.allCases.map(\.rawValue))
        #expect(try values("inventory.schema.json", ["status"]) == StockStatus.allCases.map(\.rawValue))
        #expect(try values("dead-letter.schema.json", ["reason"]) == DeadLetterReason.allCases.map(\.rawValue))
    }
}
