import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract
@testable import ToxicityRules

/// Fixture files: this target's own (`Fixtures/json`, copied as resources) and the HL7, FHIR and
/// evaluate fixtures it shares with other targets (``SharedFixtures``).
enum Fixtures {
    static var root: URL {
        get throws {
            try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
        }
    }

    static func url(_ path: String) throws -> URL {
        SharedFixtures.holds(path) ? try SharedFixtures.url(path) : try root.appendingPathComponent(path)
    }

    static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try data(path)) }

    /// File names (without directory) in a fixture directory, sorted.
    static func names(in directory: String, suffix: String = ".json") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(directory).path).filter { $0.hasSuffix(suffix) }
            .sorted()
    }
}

/// The repository root (for `Schemas/`), found from this source file.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schemas = root.appendingPathComponent("Schemas")
}

/// `2026-03-02T06:00:00Z`-style literal → Date, failing the test when it does not parse.
func utc(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Date {
    try ISO8601Timestamp.parse(text).get()
}

/// Runs the decoder and returns its error, failing the test when it succeeds.
func decodingError(_ body: () throws(EventDecodingError) -> some Any, sourceLocation: SourceLocation = #_sourceLocation)
    -> EventDecodingError?
{
    do {
        let value = try body()
        Issue.record("expected a decoding error, decoded \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

extension AdapterResult {
    var clinicalEvents: [ClinicalEvent] {
        events.compactMap { if case .clinical(let event) = $0.event { event } else { nil } }
    }

    var vitals: [VitalsEvent] { clinicalEvents.compactMap { if case .vitals(let e) = $0 { e } else { nil } } }
    var labs: [LabEvent] { clinicalEvents.compactMap { if case .lab(let e) = $0 { e } else { nil } } }
    var neuro: [NeuroEvent] { clinicalEvents.compactMap { if case .neuro(let e) = $0 { e } else { nil } } }
    var patients: [PatientEvent] { clinicalEvents.compactMap { if case .patient(let e) = $0 { e } else { nil } } }
    var medications: [MedicationEvent] {
        clinicalEvents.compactMap { if case .medication(let e) = $0 { e } else { nil } }
    }
}
