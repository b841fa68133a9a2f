import Foundation

@testable import ToxicityRules

/// Builds a patient course for grading tests: times are hours from a reference instant, event ids
/// are sequential (`e1`, `e2` …) unless given.
struct CourseBuilder {
    static let reference = isoDate("2026-03-02T06:00:00Z")

    var patientId = "p1"
    var events: [ClinicalEvent] = []
    private var counter = 0

    init() {}

    /// The instant `hours` after the reference.
    static func at(_ hours: Double) -> Date { reference.addingTimeInterval(hours * 3600) }

    private mutating func nextId(_ id: String?) -> String {
        counter += 1
        return id ?? "e\(counter)"
    }

    mutating func patient(
        at hours: Double = 0, id: String? = nil, ageYears: Double? = nil, birthDate: Date? = nil,
        weightKg: Double? = nil, infusedAtHours: Double? = -96, allergies: [String] = [],
        baselineFerritin: Double? = nil
    ) {
        events.append(
            .patient(
                PatientEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: Self.at(hours), birthDate: birthDate,
                    ageYears: ageYears, weightKg: weightKg, allergies: allergies,
                    infusion: infusedAtHours.map {
                        Infusion(product: "tisagenlecleucel", target: "CD19", infusedAt: Self.at($0))
                    },
                    baselineFerritin: baselineFerritin)))
    }

    mutating func vitals(
        at hours: Double, id: String? = nil, temp: Double? = nil, sbp: Double? = nil, map: Double? = nil,
        oxygen: OxygenSupport? = nil
    ) {
        events.append(
            .vitals(
                VitalsEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: Self.at(hours), temperatureC: temp,
                    systolicBP: sbp, meanArterialPressure: map, oxygen: oxygen)))
    }

    mutating func neuro(
        at hours: Double, id: String? = nil, ice: Int? = nil, capd: Int? = nil,
        consciousness: Consciousness? = nil, seizure: Seizure? = nil, motor: MotorWeakness? = nil,
        edema: CerebralEdema? = nil, icpSigns: [RaisedICPSign] = [], sedated: Bool? = nil
    ) {
        events.append(
            .neuro(
                NeuroEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: Self.at(hours), iceScore: ice,
                    capdScore: capd, consciousness: consciousness, seizure: seizure, motorWeakness: motor,
                    cerebralEdema: edema, raisedIcpSigns: icpSigns, sedated: sedated)))
    }

    mutating func lab(at hours: Double, id: String? = nil, _ test: LabTest, _ value: Double, uln: Double? = nil) {
        events.append(
            .lab(
                LabEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: Self.at(hours), test: test, value: value,
                    upperLimitOfNormal: uln)))
    }

    mutating func finding(at hours: Double, id: String? = nil, _ finding: ClinicalFinding, present: Bool = true) {
        events.append(
            .finding(
                FindingEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: Self.at(hours), finding: finding,
                    present: present)))
    }

    mutating func med(
        at hours: Double, id: String? = nil, _ drug: Drug, _ action: MedicationAction = .administered,
        doseMg: Double? = nil, route: Route? = .iv
    ) {
        events.append(
            .medication(
                MedicationEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: Self.at(hours), drug: drug, action: action,
                    doseMg: doseMg, route: route)))
    }

    func timeline(policy: GradingPolicy = .default) -> PatientTimeline {
        PatientTimeline(events: events, policy: policy)
    }

    func grade(at hours: Double, policy: GradingPolicy = .default) -> GradingResult {
        ToxicityEngine(policy: policy).grade(timeline(policy: policy), at: Self.at(hours))
    }
}

func isoDate(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { preconditionFailure("bad test date \(text)") }
    return date
}

/// A birth date at midnight UTC, `days` days before `instant`'s UTC day.
func birthDate(daysBefore days: Int, _ instant: Date) -> Date {
    let day = (instant.timeIntervalSince1970 / 86400).rounded(.down)
    return Date(timeIntervalSince1970: (day - Double(days)) * 86400)
}

/// A birth date at midnight UTC, exactly `years` calendar years (plus `days`) before `instant`'s UTC day.
func birthDate(yearsBefore years: Int, plusDays days: Int = 0, _ instant: Date) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let midnight = calendar.startOfDay(for: instant)
    guard let birthday = calendar.date(byAdding: .year, value: -years, to: midnight),
        let date = calendar.date(byAdding: .day, value: -days, to: birthday)
    else { preconditionFailure("bad birth date") }
    return date
}

extension OxygenSupport {
    static let roomAir = OxygenSupport(device: .roomAir)
    static func nasalCannula(_ flow: Double) -> OxygenSupport {
        OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: flow)
    }
    static func highFlow(_ flow: Double) -> OxygenSupport {
        OxygenSupport(device: .highFlowNasalCannula, flowLPerMin: flow)
    }
}

extension GradeAssessment {
    var codes: [ReasonCode] { reasons.map(\.code) }
    var decisiveCodes: [ReasonCode] { reasons.filter(\.decisive).map(\.code) }
}

extension IECHSAssessment {
    var codes: [ReasonCode] { reasons.map(\.code) }
}

extension GradingResult {
    var alertCodes: [AlertCode] { alerts.map(\.code) }
}
