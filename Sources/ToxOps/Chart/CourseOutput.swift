package import Foundation
import ToxWatchContract

/// One output of the worker as `toxctl chart` and `toxctl pharmacy` read it: decoded from the
/// record value as it travels on the output topics, keeping only what they show, and tolerant of
/// what the contract may add (a grade of `null` with the last grade given, fields it does not know).
package enum CourseOutput: Sendable, Hashable {
    case grades(GradesRecord)
    case recommendation(RecommendationRecord)
    case shortage(ShortageRecord)

    package var id: String {
        switch self {
        case .grades(let record): record.id
        case .recommendation(let record): record.id
        case .shortage(let record): record.id
        }
    }

    package var patientId: String {
        switch self {
        case .grades(let record): record.patientId
        case .recommendation(let record): record.patientId
        case .shortage(let record): record.patientId
        }
    }

    package var assessedAt: Date {
        switch self {
        case .grades(let record): record.assessedAt
        case .recommendation(let record): record.assessedAt
        case .shortage(let record): record.assessedAt
        }
    }

    /// Reads a record of any output topic; nil for anything else (another type, unreadable JSON).
    package static func decode(_ value: [UInt8]) -> CourseOutput? {
        let data = Data(value)
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data),
            case .success(let assessedAt) = ISO8601Timestamp.parse(probe.assessedAt)
        else { return nil }
        switch probe.type {
        case "toxicity-grades":
            guard let wire = try? JSONDecoder().decode(GradesWire.self, from: data) else { return nil }
            return .grades(
                GradesRecord(
                    id: probe.id, patientId: probe.patientId, assessedAt: assessedAt, crs: GradeState(wire.crs),
                    icans: GradeState(wire.icans), iecHs: GradeState(wire.iecHs)))
        case "anakinra-recommendation":
            guard let wire = try? JSONDecoder().decode(RecommendationWire.self, from: data) else { return nil }
            return .recommendation(RecommendationRecord(probe, assessedAt: assessedAt, wire))
        case "shortage-alternative":
            guard let wire = try? JSONDecoder().decode(ShortageWire.self, from: data) else { return nil }
            return .shortage(ShortageRecord(probe, assessedAt: assessedAt, wire))
        default:
            return nil
        }
    }

    fileprivate struct Probe: Decodable {
        var type: String
        var id: String
        var patientId: String
        var assessedAt: String
    }
}

/// A reason of an output, reduced to its code and whether it decided the outcome.
package struct OutputReason: Sendable, Hashable, Decodable {
    package var code: String
    package var decisive: Bool?

    package init(code: String, decisive: Bool? = nil) {
        self.code = code
        self.decisive = decisive
    }

    /// The one reason that decided: the first marked decisive, else the first.
    package static func deciding(_ reasons: [OutputReason]) -> String? {
        (reasons.first { $0.decisive == true } ?? reasons.first)?.code
    }
}

/// One grade (CRS, ICANS or IEC-HS) of a grades output.
package struct GradeState: Sendable, Hashable {
    /// The last grade given before the engine could no longer grade.
    package struct LastGraded: Sendable, Hashable {
        package var grade: Int
        package var at: Date

        package init(grade: Int, at: Date) {
            self.grade = grade
            self.at = at
        }
    }

    /// `nil` when the engine could not grade (reason `cannot-grade`).
    package var grade: Int?
    package var maxGrade: Int?
    /// The last grade the engine could give, and when, while it cannot grade.
    package var lastGraded: LastGraded?
    package var flags: [String]
    /// The reason that set the grade (or why it cannot be given).
    package var decidingReason: String?
    /// IEC-HS only: whether the criteria are met.
    package var present: Bool?
    /// IEC-HS only: criteria not yet verified against the primary source.
    package var provisional: Bool?

    package init(
        grade: Int?, maxGrade: Int? = nil, lastGraded: LastGraded? = nil, flags: [String] = [],
        decidingReason: String? = nil, present: Bool? = nil, provisional: Bool? = nil
    ) {
        self.grade = grade
        self.maxGrade = maxGrade
        self.lastGraded = lastGraded
        self.flags = flags
        self.decidingReason = decidingReason
        self.present = present
        self.provisional = provisional
    }

    /// The grade rests on missing or stale inputs: it is a lower bound (flag `incomplete-data`).
    package var isIncomplete: Bool { flags.contains("incomplete-data") }

    fileprivate init(_ wire: GradeWire) {
        let lastGraded = wire.lastGraded.flatMap { last -> LastGraded? in
            guard case .success(let at) = ISO8601Timestamp.parse(last.at) else { return nil }
            return LastGraded(grade: last.grade, at: at)
        }
        self.init(
            grade: wire.grade, maxGrade: wire.maxGrade, lastGraded: lastGraded, flags: wire.flags ?? [],
            decidingReason: OutputReason.deciding(wire.reasons ?? []), present: wire.present,
            provisional: wire.provisional)
    }
}

/// A `toxicity-grades` output.
package struct GradesRecord: Sendable, Hashable {
    package var id: String
    package var patientId: String
    package var assessedAt: Date
    package var crs: GradeState
    package var icans: GradeState
    package var iecHs: GradeState

    package init(id: String, patientId: String, assessedAt: Date, crs: GradeState, icans: GradeState, iecHs: GradeState)
    {
        self.id = id
        self.patientId = patientId
        self.assessedAt = assessedAt
        self.crs = crs
        self.icans = icans
        self.iecHs = iecHs
    }
}

/// An `anakinra-recommendation` output.
package struct RecommendationRecord: Sendable, Hashable {
    package var id: String
    package var patientId: String
    package var assessedAt: Date
    /// start, continue, escalate, taper, stop, hold, none.
    package var action: String
    package var mg: Int?
    package var mgPerKg: Double?
    package var route: String?
    package var frequency: String?
    package var dailyMg: Int?
    package var nextDoseDueAt: Date?
    /// The one reason that decided the action.
    package var decidingReason: String?
    package var warnings: [String]
    package var alerts: [String]
    package var protocolId: String?

    package init(
        id: String, patientId: String, assessedAt: Date, action: String, mg: Int? = nil, mgPerKg: Double? = nil,
        route: String? = nil, frequency: String? = nil, dailyMg: Int? = nil, nextDoseDueAt: Date? = nil,
        decidingReason: String? = nil, warnings: [String] = [], alerts: [String] = [], protocolId: String? = nil
    ) {
        self.id = id
        self.patientId = patientId
        self.assessedAt = assessedAt
        self.action = action
        self.mg = mg
        self.mgPerKg = mgPerKg
        self.route = route
        self.frequency = frequency
        self.dailyMg = dailyMg
        self.nextDoseDueAt = nextDoseDueAt
        self.decidingReason = decidingReason
        self.warnings = warnings
        self.alerts = alerts
        self.protocolId = protocolId
    }

    /// Whether the action gives anakinra (start, continue, escalate, taper).
    package var givesDose: Bool { ["start", "continue", "escalate", "taper"].contains(action) }

    /// `56 mg IV Q6H`, or nil without a dose.
    package var doseText: String? {
        guard let mg else { return nil }
        return (["\(mg) mg"] + [route, frequency].compactMap { $0 }).joined(separator: " ")
    }

    fileprivate init(_ probe: CourseOutput.Probe, assessedAt: Date, _ wire: RecommendationWire) {
        self.init(
            id: probe.id, patientId: probe.patientId, assessedAt: assessedAt, action: wire.action, mg: wire.dose?.mg,
            mgPerKg: wire.dose?.mgPerKg, route: wire.dose?.route, frequency: wire.dose?.frequency,
            dailyMg: wire.dose?.dailyMg,
            nextDoseDueAt: wire.nextDoseDueAt.flatMap { try? ISO8601Timestamp.parse($0).get() },
            decidingReason: OutputReason.deciding(wire.reasons ?? []), warnings: (wire.warnings ?? []).map(\.code),
            alerts: (wire.alerts ?? []).map(\.code), protocolId: wire.protocolId)
    }
}

/// A `shortage-alternative` output.
package struct ShortageRecord: Sendable, Hashable {
    package struct Option: Sendable, Hashable {
        package var rank: Int
        package var drug: String
        package var mg: Double?
    }

    package var id: String
    package var patientId: String
    package var assessedAt: Date
    package var shortDrug: String
    package var site: String?
    package var status: String?
    /// `shortage`, `contraindication`, `tnf-blockade` or `no-longer-needed`.
    package var cause: String
    package var alternatives: [Option]
    /// The patient's next-24-hour need of the short drug, mg.
    package var needMg: Double?

    package init(
        id: String, patientId: String, assessedAt: Date, shortDrug: String, site: String? = nil, status: String? = nil,
        cause: String = "shortage", alternatives: [Option] = [], needMg: Double? = nil
    ) {
        self.id = id
        self.patientId = patientId
        self.assessedAt = assessedAt
        self.shortDrug = shortDrug
        self.site = site
        self.status = status
        self.cause = cause
        self.alternatives = alternatives
        self.needMg = needMg
    }

    fileprivate init(_ probe: CourseOutput.Probe, assessedAt: Date, _ wire: ShortageWire) {
        self.init(
            id: probe.id, patientId: probe.patientId, assessedAt: assessedAt, shortDrug: wire.shortDrug,
            site: wire.site,
            status: wire.status, cause: wire.cause ?? "shortage",
            alternatives: (wire.alternatives ?? []).map { Option(rank: $0.rank ?? 0, drug: $0.drug, mg: $0.dose?.mg) },
            needMg: wire.need24h?.mg)
    }
}

// MARK: Wire shapes (only the fields shown)

private struct GradeWire: Decodable {
    struct LastGraded: Decodable {
        var grade: Int
        var at: String
    }
    var grade: Int?
    var maxGrade: Int?
    var lastGraded: LastGraded?
    var flags: [String]?
    var reasons: [OutputReason]?
    var present: Bool?
    var provisional: Bool?
}

private struct GradesWire: Decodable {
    var crs: GradeWire
    var icans: GradeWire
    var iecHs: GradeWire
}

private struct RecommendationWire: Decodable {
    struct Dose: Decodable {
        var mg: Int?
        var mgPerKg: Double?
        var route: String?
        var frequency: String?
        var dailyMg: Int?
    }
    struct Coded: Decodable { var code: String }
    var action: String
    var dose: Dose?
    var nextDoseDueAt: String?
    var reasons: [OutputReason]?
    var warnings: [Coded]?
    var alerts: [Coded]?
    var protocolId: String?

    enum CodingKeys: String, CodingKey {
        case action, dose, nextDoseDueAt, reasons, warnings, alerts
        case protocolId = "protocol"
    }
}

private struct ShortageWire: Decodable {
    struct Option: Decodable {
        struct Dose: Decodable { var mg: Double? }
        var rank: Int?
        var drug: String
        var dose: Dose?
    }
    struct Need: Decodable { var mg: Double? }
    var shortDrug: String
    var site: String?
    var status: String?
    var cause: String?
    var alternatives: [Option]?
    var need24h: Need?
}
