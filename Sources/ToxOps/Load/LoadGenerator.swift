package import Foundation
package import ToxWatchContract
package import ToxicityRules

/// What `toxctl load` generates.
package struct LoadProfile: Sendable, Hashable {
    package var patients: Int
    package var totalEvents: Int
    /// Fraction of messages (0…1) replaced by malformed ones the worker must dead-letter.
    package var malformedFraction: Double
    package var seed: UInt64
    /// Event time of the first infusion; nil: chosen so that the courses end about `now`.
    package var start: Date?
    /// Protocol ids patients are put on (none: no `protocol` field).
    package var protocolIds: [String]
    package var sites: [String]
    /// Simulated length of a course when there are many events per patient.
    package var courseDays: Double = 14

    package static let defaultSites = ["cnh", "chop", "stjude", "seattle", "musc"]

    package init(
        patients: Int, totalEvents: Int, malformedFraction: Double = 0, seed: UInt64 = 1, start: Date? = nil,
        protocolIds: [String] = [], sites: [String] = LoadProfile.defaultSites
    ) {
        self.patients = patients
        self.totalEvents = totalEvents
        self.malformedFraction = malformedFraction
        self.seed = seed
        self.start = start
        self.protocolIds = protocolIds
        self.sites = sites
    }
}

/// A deliberately broken message, and the dead-letter reason the worker must give it.
package enum Malformation: String, Sendable, Hashable, CaseIterable {
    case truncatedJSON = "truncated-json"
    case missingOccurredAt = "missing-occurred-at"
    case unknownUnit = "unknown-unit"
    case outOfRange = "out-of-range"
    case invalidTimestamp = "invalid-timestamp"
    case unknownValue = "unknown-value"
    case wrongType = "wrong-type"

    package var expectedReason: DeadLetterReason {
        switch self {
        case .truncatedJSON: .malformedJSON
        case .missingOccurredAt: .missingField
        case .unknownUnit: .unknownUnit
        case .outOfRange: .outOfRange
        case .invalidTimestamp: .invalidTimestamp
        case .unknownValue: .unknownValue
        case .wrongType: .wrongType
        }
    }
}

/// One generated Kafka message: `key` is the patient id.
package struct GeneratedMessage: Sendable {
    package var topic: String
    package var key: String
    package var value: [UInt8]
    /// The event the value encodes; nil for a malformed message.
    package var event: ClinicalEvent?
    package var malformation: Malformation?

    package init(
        topic: String, key: String, value: [UInt8], event: ClinicalEvent? = nil, malformation: Malformation? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.event = event
        self.malformation = malformation
    }
}

/// Generates realistic CAR T-cell patient courses as contract events, keyed by patient id, to the
/// topic of each event type: an admission first (age or birth date, weight, height, allergies,
/// infusion, protocol, site, baseline ferritin), then vitals, neurological assessments, labs and
/// medications over event time. About half the patients develop CRS (grades 1–4: fever, then
/// hypotension or oxygen, vasopressors, positive pressure) and some ICANS (falling ICE or rising
/// CAPD scores, drowsiness, seizures), with inflammatory labs and treatments (tocilizumab,
/// dexamethasone, anakinra, norepinephrine) to match. Deterministic for a profile and `now`.
package struct LoadGenerator: Sendable {
    package let profile: LoadProfile
    private var random: SeededRandom
    private var patients: [SimulatedPatient]
    private var malformedAccumulator: Double
    package private(set) var generated = 0
    package private(set) var malformed = 0
    package private(set) var perTopic: [String: Int] = [:]
    /// The simulated time between two events of one patient.
    package let stepSeconds: Double
    /// The latest event time generated when the courses end at `now` (no start given): a patient
    /// drawn more often than the average never dates an event after its record is produced, which
    /// the worker would dead-letter as `invalid-timestamp` beyond its clock-skew bound.
    private let latestEventTime: Int64?

    package init(profile: LoadProfile, now: Date = Date()) {
        precondition(profile.patients > 0 && !profile.sites.isEmpty, "a load needs patients and sites")
        self.profile = profile
        var random = SeededRandom(seed: profile.seed)
        let perPatient = max(1, Double(profile.totalEvents) / Double(profile.patients))
        let step = min(4 * 3600, max(60, profile.courseDays * 86_400 / perPatient))
        stepSeconds = step
        let start = Int64(
            (profile.start ?? now.addingTimeInterval(-(perPatient * step + 4 * 3600))).timeIntervalSince1970.rounded(
                .down))
        latestEventTime = profile.start == nil ? Int64(now.timeIntervalSince1970.rounded(.down)) : nil
        let tag = String(profile.seed % 100_000)
        patients = (0..<profile.patients).map { index in
            let scenario = PatientScenario.make(&random, protocolIds: profile.protocolIds, sites: profile.sites)
            let infusedAt = start + Int64(random.uniform(0...7200))
            let number = String(index)
            return SimulatedPatient(
                id: "LD\(tag)-" + String(repeating: "0", count: max(0, 6 - number.count)) + number, scenario: scenario,
                infusedAt: infusedAt, admittedAt: infusedAt - Int64(random.uniform(3600...14_400)), clock: infusedAt)
        }
        malformedAccumulator = random.unit()
        self.random = random
    }

    /// Patients whose course includes CRS, and ICANS.
    package var scenarioCounts: (crs: Int, icans: Int) {
        (patients.filter { $0.scenario.crsGrade > 0 }.count, patients.filter { $0.scenario.icansGrade > 0 }.count)
    }

    /// The next message, or nil once `totalEvents` were generated.
    package mutating func next() -> GeneratedMessage? {
        guard generated < profile.totalEvents else { return nil }
        generated += 1
        let index = random.integer(0...(patients.count - 1))
        var patient = patients[index]
        let event = nextEvent(&patient)
        patients[index] = patient
        malformedAccumulator += profile.malformedFraction
        var message: GeneratedMessage
        // An admission is never replaced (the course would have no patient); the next event is instead.
        if malformedAccumulator >= 1, event.type != .patient {
            malformedAccumulator -= 1
            malformed += 1
            message = malformedMessage(from: event, patient: patients[index])
        } else {
            message = GeneratedMessage(
                topic: EventType.topic(of: event), key: event.patientId, value: FastEventEncoder.encode(event),
                event: event,
                malformation: nil)
        }
        perTopic[message.topic, default: 0] += 1
        return message
    }

    // MARK: Events

    private mutating func nextEvent(_ patient: inout SimulatedPatient) -> ClinicalEvent {
        if !patient.admitted {
            patient.admitted = true
            return .patient(admission(&patient))
        }
        patient.clock += Int64((stepSeconds * random.uniform(0.7...1.3)).rounded())
        if let latestEventTime { patient.clock = min(patient.clock, latestEventTime) }
        let hours = patient.hoursSinceInfusion
        let crs = patient.scenario.crs(at: hours)
        let icans = patient.scenario.icans(at: hours)
        let kind = random.pick([
            (0, 0.55), (1, icans > 0 ? 0.2 : 0.12), (2, 0.2), (3, crs >= 2 || icans >= 2 ? 0.15 : 0.07),
        ])
        switch kind {
        case 0: return .vitals(vitals(&patient, crs: crs))
        case 1: return .neuro(neuro(&patient, icans: icans))
        case 2: return .lab(lab(&patient, crs: crs, icans: icans))
        default: return .medication(medication(&patient, crs: crs, icans: icans))
        }
    }

    private func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: Double(seconds)) }

    private func tenth(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    private mutating func admission(_ patient: inout SimulatedPatient) -> PatientEvent {
        let s = patient.scenario
        let admitted = patient.admittedAt
        var birthDate: Date?
        var age: Double? = s.ageYears
        if s.useBirthDate {
            let birth = admitted - Int64(s.ageYears * 365.25 * 86_400)
            birthDate = date(floorDivide(birth, 86_400) * 86_400)
            age = nil
        }
        return PatientEvent(
            eventId: patient.nextEventId(), patientId: patient.id, occurredAt: date(admitted), birthDate: birthDate,
            ageYears: age, sex: s.sex, weightKg: s.weightKg, heightCm: s.heightCm, allergies: s.allergies,
            infusion: Infusion(product: s.product.name, target: s.product.target, infusedAt: date(patient.infusedAt)),
            protocolId: s.protocolId, site: s.site, baselineFerritin: s.baselineFerritin)
    }

    private mutating func vitals(_ patient: inout SimulatedPatient, crs: Int) -> VitalsEvent {
        let child = patient.scenario.ageYears < 12
        let temperature = crs > 0 ? random.uniform(38.1...40.2) : random.uniform(36.3...37.6)
        var systolic = child ? random.uniform(92...118) : random.uniform(105...135)
        if crs >= 2, random.chance(0.6) { systolic = child ? random.uniform(68...84) : random.uniform(78...89) }
        let diastolic = systolic * random.uniform(0.55...0.68)
        let heartRate =
            (child ? random.uniform(85...125) : random.uniform(62...95)) + Double(crs) * random.uniform(8...18)
        let oxygen: OxygenSupport
        let spo2: Double
        switch crs {
        case 4:
            let device = random.pick([(OxygenDevice.cpap, 0.3), (.bipap, 0.3), (.mechanicalVentilation, 0.4)])
            oxygen = OxygenSupport(device: device, fio2: tenth(random.uniform(0.5...0.9)))
            spo2 = random.uniform(88...95)
        case 3:
            let highFlow = random.chance(0.7)
            oxygen = OxygenSupport(
                device: highFlow ? .highFlowNasalCannula : .nonRebreather,
                flowLPerMin: highFlow ? random.uniform(10...40).rounded() : 12,
                fio2: highFlow ? tenth(random.uniform(0.4...0.8)) : nil)
            spo2 = random.uniform(90...96)
        case 2 where random.chance(0.5):
            oxygen = OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: random.uniform(1...6).rounded())
            spo2 = random.uniform(92...97)
        default:
            oxygen = OxygenSupport(device: .roomAir)
            spo2 = random.uniform(95...100)
        }
        return VitalsEvent(
            eventId: patient.nextEventId(), patientId: patient.id, occurredAt: date(patient.clock),
            temperatureC: tenth(temperature), systolicBP: systolic.rounded(), diastolicBP: diastolic.rounded(),
            meanArterialPressure: ((systolic + 2 * diastolic) / 3).rounded(), heartRate: heartRate.rounded(),
            respiratoryRate: (child ? random.uniform(18...32) : random.uniform(12...22)).rounded() + Double(crs * 2),
            spo2: spo2.rounded(), oxygen: oxygen)
    }

    private mutating func neuro(_ patient: inout SimulatedPatient, icans: Int) -> NeuroEvent {
        var event = NeuroEvent(eventId: patient.nextEventId(), patientId: patient.id, occurredAt: date(patient.clock))
        if patient.scenario.usesCAPD {
            event.capdScore =
                switch icans {
                case 0: random.integer(0...6)
                case 1, 2: random.integer(9...16)
                default: random.integer(17...26)
                }
        } else {
            event.iceScore =
                switch icans {
                case 0: 10
                case 1: random.integer(7...9)
                case 2: random.integer(3...6)
                default: random.integer(0...2)
                }
        }
        event.consciousness =
            switch icans {
            case 0, 1: .awake
            case 2: random.chance(0.5) ? .awakensSpontaneously : .awakensToVoice
            case 3: .awakensToTactile
            default: .unarousable
            }
        event.seizure =
            icans == 4 && random.chance(0.5)
            ? .prolongedOrRepetitive : (icans == 3 && random.chance(0.3) ? .focalOrGeneralizedResolving : Seizure.none)
        event.motorWeakness = icans == 4 && random.chance(0.2) ? .deepFocal : MotorWeakness.none
        event.cerebralEdema = icans == 4 && random.chance(0.15) ? .diffuse : CerebralEdema.none
        return event
    }

    private static let labRotation: [LabTest] = [
        .crp, .ferritin, .il6, .crp, .platelets, .anc, .fibrinogen, .ferritin, .alt, .ast, .creatinine, .ldh,
        .triglycerides,
        .dDimer, .hemoglobin, .bilirubin,
    ]

    private mutating func lab(_ patient: inout SimulatedPatient, crs: Int, icans: Int) -> LabEvent {
        let test = Self.labRotation[patient.labRotation % Self.labRotation.count]
        patient.labRotation += 1
        let inflamed = Double(max(crs, icans))
        let value: Double
        var uln: Double?
        switch test {
        case .crp:
            value = crs > 0 ? random.uniform(40...120) * inflamed : random.uniform(1...12)
            uln = 10
        case .ferritin:
            value =
                patient.scenario.baselineFerritin
                * (crs > 0 ? random.uniform(2...12) * inflamed : random.uniform(0.8...1.3))
            uln = 300
        case .il6: value = crs > 0 ? random.uniform(50...600) * inflamed : random.uniform(1...9)
        case .platelets: value = random.uniform(20...180)
        case .anc: value = random.uniform(0.1...3.5)
        case .fibrinogen: value = crs >= 3 ? random.uniform(90...160) : random.uniform(180...420)
        case .alt, .ast:
            value = random.uniform(15...60) * (crs >= 3 ? random.uniform(2...6) : 1)
            uln = 40
        case .creatinine: value = random.uniform(0.3...0.9) * (crs >= 3 ? random.uniform(1.5...3) : 1)
        case .ldh: value = random.uniform(180...450) * (crs > 0 ? 1.8 : 1)
        case .triglycerides: value = random.uniform(80...260)
        case .dDimer: value = random.uniform(0.2...2) * (crs > 0 ? 3 : 1)
        case .hemoglobin: value = random.uniform(7.5...12.5)
        default: value = random.uniform(0.2...1.2)
        }
        return LabEvent(
            eventId: patient.nextEventId(), patientId: patient.id, occurredAt: date(patient.clock), test: test,
            loinc: LoadCodes.loinc[test], value: tenth(value), upperLimitOfNormal: uln)
    }

    private mutating func medication(_ patient: inout SimulatedPatient, crs: Int, icans: Int) -> MedicationEvent {
        let weight = patient.scenario.weightKg
        var drug: Drug
        var action = MedicationAction.administered
        var dose: Double?
        var route: Route?
        var rate: Double?
        if crs >= 3, !patient.vasopressorRunning {
            patient.vasopressorRunning = true
            (drug, action, route, rate) = (.norepinephrine, .infusionStarted, .iv, tenth(random.uniform(0.5...2)) / 10)
        } else if crs == 0, patient.vasopressorRunning {
            patient.vasopressorRunning = false
            (drug, action, route) = (.norepinephrine, .infusionStopped, .iv)
        } else if crs >= 2, patient.tocilizumabDoses < 2 {
            patient.tocilizumabDoses += 1
            (drug, route) = (.tocilizumab, .iv)
            dose = min(800, (weight < 30 ? 12 : 8) * weight).rounded()
        } else if icans >= 3 || (crs >= 3 && patient.tocilizumabDoses >= 2) {
            (drug, route) = (.anakinra, icans >= 3 ? .iv : .sc)
            dose = min(100, (2 * weight).rounded())
        } else if icans >= 2 {
            (drug, route) = (.dexamethasone, .iv)
            dose = min(10, tenth(0.5 * weight))
        } else if crs >= 1 {
            (drug, route) = (.acetaminophen, .po)
            dose = min(1000, (15 * weight).rounded())
        } else {
            (drug, route) = (.other("ondansetron"), .iv)
            dose = min(8, tenth(0.15 * weight))
        }
        return MedicationEvent(
            eventId: patient.nextEventId(), patientId: patient.id, occurredAt: date(patient.clock), drug: drug,
            rxnorm: LoadCodes.rxnorm[drug.name], action: action, doseMg: dose, route: route, rate: rate)
    }

    // MARK: Malformed messages

    private mutating func malformedMessage(from event: ClinicalEvent, patient: SimulatedPatient) -> GeneratedMessage {
        let kind = Malformation.allCases[random.integer(0...(Malformation.allCases.count - 1))]
        let id = "\(patient.id)-bad\(generated)"
        let at = ISO8601Timestamp.format(event.occurredAt)
        let head = "{\"type\":%TYPE%,\"eventId\":\(jsonString(id)),\"patientId\":\(jsonString(patient.id))"
        func document(_ type: String, _ fields: String, occurredAt: String? = nil) -> String {
            head.replacingOccurrences(of: "%TYPE%", with: jsonString(type))
                + (occurredAt.map { ",\"occurredAt\":\($0)" } ?? "") + fields + "}"
        }
        let stamp = jsonString(at)
        var topic = ToxWatchTopicsNames.vitals
        let text: String
        switch kind {
        case .truncatedJSON:
            let valid = FastEventEncoder.encode(event)
            topic = EventType.topic(of: event)
            return GeneratedMessage(
                topic: topic, key: patient.id, value: Array(valid.prefix(max(1, valid.count / 2))), event: nil,
                malformation: kind)
        case .missingOccurredAt:
            text = document("vitals", ",\"temperatureC\":38.4")
        case .unknownUnit:
            topic = ToxWatchTopicsNames.labs
            text = document("lab", ",\"test\":\"crp\",\"value\":42,\"unit\":\"furlongs\"", occurredAt: stamp)
        case .outOfRange:
            text = document("vitals", ",\"temperatureC\":60.2", occurredAt: stamp)
        case .invalidTimestamp:
            topic = ToxWatchTopicsNames.neuro
            text = document("neuro", ",\"iceScore\":9", occurredAt: "\"yesterday evening\"")
        case .unknownValue:
            topic = ToxWatchTopicsNames.neuro
            text = document("neuro", ",\"consciousness\":\"sleepy\"", occurredAt: stamp)
        case .wrongType:
            topic = ToxWatchTopicsNames.labs
            text = document(
                "lab", ",\"test\":\"ferritin\",\"value\":\"very high\",\"unit\":\"ng/mL\"", occurredAt: stamp)
        }
        return GeneratedMessage(topic: topic, key: patient.id, value: Array(text.utf8), event: nil, malformation: kind)
    }
}

/// Topic names of the contract (as `EventType.topic`), without importing KafkaClient here.
enum ToxWatchTopicsNames {
    static let vitals = EventType.vitals.topic
    static let labs = EventType.lab.topic
    static let neuro = EventType.neuro.topic
}

extension EventType {
    /// The topic a clinical event is published on.
    static func topic(of event: ClinicalEvent) -> String {
        switch event {
        case .patient: EventType.patient.topic
        case .vitals: EventType.vitals.topic
        case .neuro: EventType.neuro.topic
        case .lab: EventType.lab.topic
        case .finding: EventType.finding.topic
        case .medication: EventType.medication.topic
        }
    }
}
