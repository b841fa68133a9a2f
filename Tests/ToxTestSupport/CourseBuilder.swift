package import Foundation
package import ToxicityRules

/// Builds a patient course for tests: times are hours from ``origin`` (``reference`` unless given),
/// event ids are sequential (`e1`, `e2` …) unless given. The grading tests, the recommendation tests,
/// the closed loops and the worker's partition tests all build their courses with it; each test
/// target adds what it runs on a course (grade, assess) in an extension of its own.
package struct CourseBuilder: Sendable {
    /// How a course fills what a test leaves unsaid.
    package struct Conventions: Sendable {
        /// When `patient()` records the admission if no time is given, in hours from ``reference``.
        package var admissionHours: Double
        /// Whether a neuro assessment records findings the test leaves unsaid as normal (awake, no
        /// seizure, no motor weakness, no cerebral oedema) rather than as not assessed.
        package var unstatedNeuroFindingsAreNormal: Bool

        /// Grading tests: the admission at 0 h; a neuro assessment holds only what the test says.
        package static let asGiven = Conventions(admissionHours: 0, unstatedNeuroFindingsAreNormal: false)
        /// Recommendation tests: the admission at −100 h (before the infusion at −96 h); a neuro
        /// assessment is complete, normal where the test says nothing.
        package static let recommendationTests = Conventions(admissionHours: -100, unstatedNeuroFindingsAreNormal: true)

        package init(admissionHours: Double, unstatedNeuroFindingsAreNormal: Bool) {
            self.admissionHours = admissionHours
            self.unstatedNeuroFindingsAreNormal = unstatedNeuroFindingsAreNormal
        }
    }

    /// Day +4 after an infusion at −96 h, 06:00 UTC.
    package static let reference = isoDate("2026-03-02T06:00:00Z")

    package var patientId = "p1"
    package var events: [ClinicalEvent] = []
    /// The engine's earlier recommendations, as the worker records them.
    package var recommendations: [PriorRecommendation] = []
    package var inventory: [InventoryEvent] = []
    package let conventions: Conventions
    /// The instant the course's hours count from.
    package let origin: Date
    private var counter = 0

    /// A course of `patientId` whose hours count from `origin` (a test that counts hours from the
    /// infusion passes the infusion here, and `infusedAtHours: 0` to `patient`).
    package init(_ conventions: Conventions = .asGiven, patientId: String = "p1", hoursFrom origin: Date = reference) {
        self.conventions = conventions
        self.patientId = patientId
        self.origin = origin
    }

    /// The instant `hours` after the reference.
    package static func at(_ hours: Double) -> Date { reference.addingTimeInterval(hours * 3600) }

    /// The instant `hours` after this course's ``origin``.
    package func at(_ hours: Double) -> Date { origin.addingTimeInterval(hours * 3600) }

    /// The hours from ``reference`` to the instant an ISO 8601 UTC text names (a test that spells its
    /// instants as the pinned JSON examples do).
    package static func hours(at text: String) -> Double { isoDate(text).timeIntervalSince(reference) / 3600 }

    /// The event id `<patientId>-<suffix>`, for a course whose events are named after its patient.
    package func eventId(_ suffix: some CustomStringConvertible) -> String { "\(patientId)-\(suffix)" }

    private mutating func nextId(_ id: String? = nil) -> String {
        counter += 1
        return id ?? "e\(counter)"
    }

    package mutating func patient(
        at hours: Double? = nil, id: String? = nil, ageYears: Double? = nil, birthDate: Date? = nil,
        weightKg: Double? = nil, heightCm: Double? = nil, sex: Sex? = nil, target: String = "CD19",
        infusedAtHours: Double? = -96, allergies: [String] = [], site: String? = nil, protocolId: String? = nil,
        baselineFerritin: Double? = nil
    ) {
        events.append(
            .patient(
                PatientEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: at(hours ?? conventions.admissionHours),
                    birthDate: birthDate, ageYears: ageYears, sex: sex, weightKg: weightKg, heightCm: heightCm,
                    allergies: allergies,
                    infusion: infusedAtHours.map {
                        Infusion(product: "tisagenlecleucel", target: target, infusedAt: at($0))
                    },
                    protocolId: protocolId, site: site, baselineFerritin: baselineFerritin)))
    }

    package mutating func vitals(
        at hours: Double, id: String? = nil, temp: Double? = nil, sbp: Double? = nil, map: Double? = nil,
        heartRate: Double? = nil, spo2: Double? = nil, oxygen: OxygenSupport? = nil
    ) {
        events.append(
            .vitals(
                VitalsEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: at(hours), temperatureC: temp,
                    systolicBP: sbp, meanArterialPressure: map, heartRate: heartRate, spo2: spo2, oxygen: oxygen)))
    }

    /// Vitals every `every` hours over `from...through` (inclusive).
    package mutating func vitals(
        from: Double, through: Double, every: Double = 4, temp: Double, sbp: Double, oxygen: OxygenSupport = .roomAir
    ) {
        for hours in Self.hours(from: from, through: through, every: every) {
            vitals(at: hours, temp: temp, sbp: sbp, oxygen: oxygen)
        }
    }

    package mutating func neuro(
        at hours: Double, id: String? = nil, ice: Int? = nil, capd: Int? = nil,
        consciousness: Consciousness? = nil, seizure: Seizure? = nil, motor: MotorWeakness? = nil,
        edema: CerebralEdema? = nil, icpSigns: [RaisedICPSign] = [], sedated: Bool? = nil
    ) {
        let normal = conventions.unstatedNeuroFindingsAreNormal
        events.append(
            .neuro(
                NeuroEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: at(hours), iceScore: ice,
                    capdScore: capd, consciousness: consciousness ?? (normal ? .awake : nil),
                    seizure: seizure ?? (normal ? Seizure.none : nil),
                    motorWeakness: motor ?? (normal ? MotorWeakness.none : nil),
                    cerebralEdema: edema ?? (normal ? CerebralEdema.none : nil), raisedIcpSigns: icpSigns,
                    sedated: sedated)))
    }

    /// Neuro assessments every `every` hours over `from...through` (inclusive).
    package mutating func neuro(
        from: Double, through: Double, every: Double = 8, ice: Int? = nil, capd: Int? = nil,
        consciousness: Consciousness? = nil
    ) {
        for hours in Self.hours(from: from, through: through, every: every) {
            neuro(at: hours, ice: ice, capd: capd, consciousness: consciousness)
        }
    }

    package mutating func lab(at hours: Double, id: String? = nil, _ test: LabTest, _ value: Double, uln: Double? = nil)
    {
        events.append(
            .lab(
                LabEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: at(hours), test: test, value: value,
                    upperLimitOfNormal: uln)))
    }

    package mutating func finding(at hours: Double, id: String? = nil, _ finding: ClinicalFinding, present: Bool = true)
    {
        events.append(
            .finding(
                FindingEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: at(hours), finding: finding,
                    present: present)))
    }

    package mutating func med(
        at hours: Double, id: String? = nil, _ drug: Drug, _ action: MedicationAction = .administered,
        doseMg: Double? = nil, route: Route? = .iv
    ) {
        events.append(
            .medication(
                MedicationEvent(
                    eventId: nextId(id), patientId: patientId, occurredAt: at(hours), drug: drug, action: action,
                    doseMg: doseMg, route: route)))
    }

    /// Anakinra administrations every `every` hours over `from...through` (inclusive).
    package mutating func anakinra(from: Double, through: Double, every: Double, mg: Double, route: Route = .iv) {
        for hours in Self.hours(from: from, through: through, every: every) {
            med(at: hours, .anakinra, doseMg: mg, route: route)
        }
    }

    /// The site's stock of `drug` from `hours` on.
    package mutating func stock(at hours: Double, site: String, _ drug: Drug, _ status: StockStatus, units: Int? = nil)
    {
        inventory.append(
            InventoryEvent(
                eventId: nextId(), occurredAt: at(hours), site: site, drug: drug, status: status,
                unitsOnHand: units))
    }

    private static func hours(from: Double, through: Double, every: Double) -> [Double] {
        var hours: [Double] = []
        var h = from
        while h <= through + 1e-9 {
            hours.append(h)
            h += every
        }
        return hours
    }
}

/// The instant an ISO 8601 UTC text names (a test's own constant; a bad one stops the test run).
package func isoDate(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { preconditionFailure("bad test date \(text)") }
    return date
}

extension OxygenSupport {
    package static let roomAir = OxygenSupport(device: .roomAir)
    package static func nasalCannula(_ flow: Double) -> OxygenSupport {
        OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: flow)
    }
    package static func highFlow(_ flow: Double) -> OxygenSupport {
        OxygenSupport(device: .highFlowNasalCannula, flowLPerMin: flow)
    }
}
