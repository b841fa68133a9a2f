import Foundation
import Testing
import ToxWatchContract
import ToxicityRules

@testable import KafkaClient
@testable import ToxWorker

/// `toxd ingest` with FHIR Bulk Data (`$export`) NDJSON: one raw record holding several resource
/// lines is decoded as one bundle per patient, so references across lines resolve.
@Suite("Ingest: FHIR NDJSON records")
struct IngestNDJSONTests {
    let processor = IngestProcessor(deadLetterPartitions: 4)

    static let patient =
        #"{"resourceType":"Patient","id":"P1","birthDate":"2015-06-30","gender":"female","meta":{"lastUpdated":"2026-03-02T05:00:00Z"}}"#
    static let medication =
        #"{"resourceType":"Medication","id":"toci","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"612865"}],"text":"tocilizumab"}}"#
    static let administration =
        #"{"resourceType":"MedicationAdministration","id":"ma1","status":"completed","medicationReference":{"reference":"Medication/toci"},"subject":{"reference":"Patient/P1"},"effectiveDateTime":"2026-03-02T07:00:00Z","dosage":{"dose":{"value":224,"unit":"mg"}}}"#
    static let allergy =
        #"{"resourceType":"AllergyIntolerance","id":"al1","code":{"text":"E. coli derived protein"},"patient":{"reference":"Patient/P1"}}"#
    static let temperature =
        #"{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"subject":{"reference":"Patient/P2"},"effectiveDateTime":"2026-03-02T06:00:00Z","valueQuantity":{"value":39,"code":"Cel"}}"#

    private func process(_ lines: [String]) -> IngestResult {
        let value = Array(lines.joined(separator: "\n").utf8)
        return processor.process(
            IngestProcessorTests.record(ToxWatchTopics.fhirInbound, value, key: "export-1"),
            now: IngestProcessorTests.now)
    }

    @Test("a record of NDJSON lines: the Medication and the allergy on other lines resolve, one bundle per patient")
    func referencesAcrossLines() throws {
        // Before: the record was decoded as one JSON document and dead-lettered whole (malformed JSON).
        let result = process([Self.patient, Self.medication, Self.temperature, Self.administration, Self.allergy])
        #expect(result.outcome == .decoded, "\(String(describing: result.deadLetter?.error))")
        #expect(result.deadLetter == nil)
        let events = result.events.map(\.event)
        let patients = events.compactMap { if case .clinical(.patient(let p)) = $0 { p } else { nil } }
        #expect(patients.map(\.patientId) == ["P1"])
        #expect(patients.first?.allergies == ["e-coli-derived-protein"])
        let medications = events.compactMap { if case .clinical(.medication(let m)) = $0 { m } else { nil } }
        #expect(medications.map(\.drug) == [.tocilizumab])
        #expect(medications.map(\.patientId) == ["P1"])
        let vitals = events.compactMap { if case .clinical(.vitals(let v)) = $0 { v } else { nil } }
        #expect(vitals.map(\.patientId) == ["P2"])
        for record in result.records {
            #expect(IngestProcessorTests.header(IngestHeader.sourceMessageID, record) == "export-1")
            #expect(record.key == Array(try EventEnvelope.decode(Data(record.value ?? [])).event.key.utf8))
        }
    }

    @Test("a line that is not a FHIR resource: the other lines are published, the record dead-lettered as partial")
    func badLine() throws {
        // Before: nothing of the record was published (failed, malformed JSON).
        let result = process([Self.patient, "not json", Self.temperature])
        #expect(result.outcome == .partial)
        #expect(result.events.count == 2)
        let letter = try #require(result.deadLetter)
        #expect(letter.reason == .malformedJSON)
        #expect(letter.error.field == "line[2]")
        #expect(letter.error.message.contains("2 event(s) of this record were published"))
        #expect(IngestProcessorTests.header(IngestHeader.outcome, try #require(result.records.last)) == "partial")
    }

    @Test("one pretty-printed document over many lines is still one document, not NDJSON")
    func prettyPrintedDocument() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.temperature.utf8))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        #expect(pretty.contains(0x0A))
        let result = processor.process(
            IngestProcessorTests.record(ToxWatchTopics.fhirInbound, Array(pretty)), now: IngestProcessorTests.now)
        #expect(result.outcome == .decoded)
        #expect(result.events == (try FHIRAdapter.decode(pretty)).events)
        #expect(
            IngestProcessorTests.header(IngestHeader.sourceMessageID, try #require(result.records.first))
                == "Observation/o1")
    }
}
