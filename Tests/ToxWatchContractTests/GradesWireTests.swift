import Foundation
import Testing
import ToxTestSupport

@testable import ToxWatchContract
@testable import ToxicityRules

/// The wire form of the grades: field names, `grade: null` with `lastGraded`, flags and alerts as
/// kebab-case codes, and decoding back to the same rules values.
@Suite("Wire form of the grading output")
struct GradesWireTests {
    /// One vasopressor, 4 L/min nasal cannula, 39.2 °C, ICE 10: CRS 3 with a vasopressor reason, ICANS 0.
    static func vasopressorCourse() -> CourseBuilder {
        var course = CourseBuilder()
        course.patient(ageYears: 16, weightKg: 70)
        course.med(at: 0.5, .norepinephrine, .infusionStarted)
        course.vitals(at: 1, temp: 39.2, sbp: 85, oxygen: .nasalCannula(4))
        course.neuro(at: 1, ice: 10, consciousness: .awake)
        return course
    }

    static func grade(_ course: CourseBuilder, at hours: Double) -> GradingResult {
        ToxicityEngine().grade(PatientTimeline(events: course.events), at: CourseBuilder.at(hours))
    }

    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    @Test("The grades encode with the contract's field names and decode back")
    func encodeDecode() throws {
        let result = Self.grade(Self.vasopressorCourse(), at: 1)
        let data = try Self.encode(GradeSetWire(result.grades))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(json.keys) == ["crs", "icans", "iecHs", "eventIds"])
        let crs = try #require(json["crs"] as? [String: Any])
        #expect(crs["grade"] as? Int == 3)
        #expect(crs["maxGrade"] as? Int == 3)
        #expect(crs["requiresClinicianVerification"] as? Bool == true)
        let reasons = try #require(crs["reasons"] as? [[String: Any]])
        let vasopressor = try #require(reasons.first { $0["code"] as? String == "vasopressor" })
        #expect(vasopressor["rule"] as? String == "R-CRS-4")
        #expect(vasopressor["source"] as? String == "ASTCT 2019")
        #expect(vasopressor["decisive"] as? Bool == true)
        let observed = try #require(vasopressor["observed"] as? [[String: Any]])
        #expect(observed.first?["category"] as? String == "norepinephrine")
        #expect(observed.first?["eventId"] as? String != nil)
        #expect(observed.first?["observedAt"] as? String != nil)
        let iecHs = try #require(json["iecHs"] as? [String: Any])
        #expect(iecHs["present"] as? Bool == false)
        #expect(iecHs["provisional"] as? Bool == true)
        #expect(iecHs["criteria"] as? String == "astct-2023")
        #expect(iecHs["requiresClinicianVerification"] as? Bool == true)
        let ids = try #require(json["eventIds"] as? [String])
        #expect(ids == result.eventIds)
        #expect(try #require((json["icans"] as? [String: Any])?["flags"] as? [String]).isEmpty)

        let decoded = try Self.decode(GradeSetWire.self, data).grades
        #expect(decoded == result.grades)
        #expect(try Self.encode(GradeSetWire(decoded)) == data)
    }

    @Test("Flags and alerts encode as kebab-case codes with a derived message")
    func flagsAndAlerts() throws {
        var course = CourseBuilder()
        course.patient(ageYears: 17)
        course.med(at: 0.5, .vasopressin, .infusionStarted)
        course.vitals(at: 1, temp: 38.6, sbp: 84, oxygen: .highFlow(5))
        let result = Self.grade(course, at: 1)
        let data = try Self.encode(ToxicityGradesBody(result))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let flags = try #require((json["crs"] as? [String: Any])?["flags"] as? [String])
        #expect(flags == ["vasopressin-only", "device-flow-conflict"])
        let alerts = try #require(json["alerts"] as? [[String: Any]])
        let weight = try #require(alerts.first { $0["code"] as? String == "missing-weight" })
        #expect((weight["message"] as? String)?.isEmpty == false)
        #expect(weight["fields"] as? [String] == ["weightKg"])
        let decoded = try Self.decode(ToxicityGradesBody.self, data)
        #expect(decoded == ToxicityGradesBody(result))
    }

    @Test("§A13.12: the grades output writes grade null with lastGraded and decodes it back")
    func cannotGradeRoundTrips() throws {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 0, temp: 39.0, sbp: 80, oxygen: .roomAir)
        course.neuro(at: 0, ice: 10, consciousness: .awake)
        let result = Self.grade(course, at: 5)
        let data = try Self.encode(GradeAssessmentWire(result.crs))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["grade"] is NSNull)
        #expect((object["lastGraded"] as? [String: Any])?["grade"] as? Int == 2)
        #expect((object["flags"] as? [String])?.contains("cannot-grade") == true)
        let decoded = try Self.decode(GradeAssessmentWire.self, data).assessment
        #expect(decoded.grade == nil && decoded.lastGraded == result.crs.lastGraded && decoded.maxGrade == 2)
        #expect(decoded == result.crs)
    }
}
