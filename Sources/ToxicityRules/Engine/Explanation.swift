package import Foundation

// The explanation vocabulary every engine output shares (clinical-spec A11): a reason names the
// criterion with a stable code, the rule and its source, the observed values with the events
// they came from, and the thresholds applied, so that a clinician can redo the decision by hand.
// Grading and dosing both use these types.
//
// Codes, rule ids, sources and field names are string-backed structs with static members: the
// evaluation path only copies static strings (no formatting, no allocation), callers can add
// their own codes without touching this file, and the wire form (ToxWatchContract) is the plain
// string.

/// A stable, kebab-case code naming a criterion or a flag (`fever`, `vasopressin-only` …).
package struct ReasonCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { self.rawValue = value }
    package var description: String { rawValue }
}

/// A stable, kebab-case code naming an alert (`missing-weight`, `stale-vitals` …).
package struct AlertCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { self.rawValue = value }
    package var description: String { rawValue }
}

/// The id of the rule that fired: a Part B rule id (`R-CRS-4`) or a Part A decision (`A1-EPISODE`).
package struct RuleID: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { self.rawValue = value }
    package var description: String { rawValue }
}

/// Where a criterion comes from: a publication, or `policy` for a ToxWatch default (IMPL).
package struct EvidenceSource: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { self.rawValue = value }
    package var description: String { rawValue }

    /// Lee et al., ASTCT consensus grading of CRS and ICANS, BBMT 2019.
    package static let astct2019: EvidenceSource = "ASTCT 2019"
    /// Hines et al., IEC-HS, TCT 2023: criteria not verified against the primary text (status U).
    package static let astct2023Provisional: EvidenceSource = "ASTCT 2023 (provisional)"
    /// Neelapu et al., CARTOX carHLH criteria, Nat Rev Clin Oncol 2018.
    package static let cartox2018: EvidenceSource = "CARTOX 2018"
    /// Paediatric advanced life support age thresholds for hypotension (clinical-spec Part B §5).
    package static let pals: EvidenceSource = "PALS"
    /// HLH-2004 laboratory thresholds, reused for cytopenias and triglycerides.
    package static let hlh2004: EvidenceSource = "HLH-2004"
    /// CTCAE v5 grade ≥ 3 laboratory thresholds.
    package static let ctcae5: EvidenceSource = "CTCAE v5"
    /// A ToxWatch default (IMPL in the clinical spec): configurable in ``GradingPolicy``.
    package static let policy: EvidenceSource = "policy"
}

/// The name of an observed or compared quantity, in the wire spelling of its event field
/// (`temperatureC`, `systolicBP`, `ferritin` …).
package struct FieldName: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(stringLiteral value: String) { self.rawValue = value }
    package var description: String { rawValue }
}

/// How an observed value is compared with a threshold.
package enum Comparator: String, Hashable, Sendable {
    case lessThan = "<"
    case lessThanOrEqual = "<="
    case greaterThan = ">"
    case greaterThanOrEqual = ">="
    case equal = "=="
}

/// One observed value a reason relied on, with the event it came from.
package struct ObservedValue: Hashable, Sendable {
    /// What was observed, in the event field's spelling (`temperatureC`, `oxygen.device`, `drug` …).
    package var field: FieldName
    /// The numeric value, in `unit`.
    package var value: Double?
    /// A categorical value: a device, a drug, a level of consciousness.
    package var category: String?
    package var unit: String?
    /// The input event the value came from.
    package var eventId: String
    /// When the value was observed (the event's `occurredAt`).
    package var observedAt: Date

    package init(
        field: FieldName, value: Double? = nil, category: String? = nil, unit: String? = nil, eventId: String,
        observedAt: Date
    ) {
        self.field = field
        self.value = value
        self.category = category
        self.unit = unit
        self.eventId = eventId
        self.observedAt = observedAt
    }
}

/// A threshold a reason compared an observed value with.
package struct Threshold: Hashable, Sendable {
    package var field: FieldName
    package var comparator: Comparator
    package var value: Double
    package var unit: String?
    /// Set when the threshold's source differs from its reason's (e.g. a `policy` default inside an
    /// ASTCT criterion).
    package var source: EvidenceSource?

    package init(
        field: FieldName, comparator: Comparator, value: Double, unit: String? = nil, source: EvidenceSource? = nil
    ) {
        self.field = field
        self.comparator = comparator
        self.value = value
        self.unit = unit
        self.source = source
    }
}

/// Why a grade, a flag or a recommendation is what it is: one criterion, checkable by hand.
package struct Reason: Hashable, Sendable {
    /// The criterion or flag, e.g. `fever`, `vasopressin-only`, `device-flow-conflict`.
    package var code: ReasonCode
    /// The rule that fired, e.g. `R-CRS-4`.
    package var rule: RuleID
    /// The source of the rule; `policy` when it used a ToxWatch default.
    package var source: EvidenceSource
    /// The grade this criterion supports on its own, when it is a grading criterion.
    package var grade: Int?
    /// `true` when this criterion set the assessment's grade (its `grade` equals the assessment's).
    package var decisive: Bool
    package var observed: CompactList<ObservedValue>
    package var thresholds: CompactList<Threshold>

    package init(
        code: ReasonCode, rule: RuleID, source: EvidenceSource, grade: Int? = nil, decisive: Bool = false,
        observed: CompactList<ObservedValue> = [], thresholds: CompactList<Threshold> = []
    ) {
        self.code = code
        self.rule = rule
        self.source = source
        self.grade = grade
        self.decisive = decisive
        self.observed = observed
        self.thresholds = thresholds
    }
}

/// Something a clinician must look at: missing, stale, implausible or inconsistent input, or a
/// finding that needs another explanation. Alerts never change a grade by themselves.
package struct Alert: Hashable, Sendable {
    package var code: AlertCode
    /// The input fields the alert is about (`weightKg`, `temperatureC`, `capdScore` …).
    package var fields: CompactList<FieldName>
    /// The input events involved, when there are any.
    package var eventIds: CompactList<String>

    package init(code: AlertCode, fields: CompactList<FieldName> = [], eventIds: CompactList<String> = []) {
        self.code = code
        self.fields = fields
        self.eventIds = eventIds
    }

    /// A human-readable message, derived from the code and fields (built only when asked for, e.g.
    /// when encoding, never on the evaluation path).
    package var message: String {
        let base =
            AlertCode.messages[code] ?? AlertCode.recommendationMessages[code]
            ?? AlertCode.courseSafetyMessages[code] ?? code.rawValue
        guard !fields.isEmpty else { return base }
        return base + " (" + fields.map(\.rawValue).joined(separator: ", ") + ")"
    }

}

/// A small list that keeps up to two elements inline and spills over into an array, so that the
/// usual one or two observed values and thresholds of a reason cost no allocation.
package struct CompactList<Element: Hashable & Sendable>: RandomAccessCollection, Hashable, Sendable,
    ExpressibleByArrayLiteral
{
    private var first: Element?
    private var second: Element?
    private var overflow: [Element] = []
    package private(set) var count: Int = 0

    package init() {}

    package init(arrayLiteral elements: Element...) {
        for element in elements { append(element) }
    }

    package init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { count }

    package subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "CompactList index out of range")
        switch position {
        case 0:
            guard let first else { preconditionFailure("CompactList storage inconsistent") }
            return first
        case 1:
            guard let second else { preconditionFailure("CompactList storage inconsistent") }
            return second
        default:
            return overflow[position - 2]
        }
    }

    package mutating func append(_ element: Element) {
        switch count {
        case 0: first = element
        case 1: second = element
        default: overflow.append(element)
        }
        count += 1
    }

    package static func == (lhs: CompactList, rhs: CompactList) -> Bool {
        lhs.elementsEqual(rhs)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in self { hasher.combine(element) }
    }
}

// MARK: - Alert codes and their messages

extension AlertCode {
    package static let missingWeight: AlertCode = "missing-weight"
    package static let staleWeight: AlertCode = "stale-weight"
    package static let implausibleValue: AlertCode = "implausible-value"
    package static let missingAge: AlertCode = "missing-age"
    package static let missingInfusion: AlertCode = "missing-infusion"
    package static let missingVitals: AlertCode = "missing-vitals"
    package static let staleVitals: AlertCode = "stale-vitals"
    package static let missingOxygenFlow: AlertCode = "missing-oxygen-flow"
    package static let missingNeuro: AlertCode = "missing-neuro"
    package static let staleNeuro: AlertCode = "stale-neuro"
    package static let missingLabs: AlertCode = "missing-labs"
    package static let staleLabs: AlertCode = "stale-labs"
    package static let instrumentAgeMismatch: AlertCode = "instrument-age-mismatch"
    package static let notAssessableSedated: AlertCode = "not-assessable-sedated"
    package static let hypotensionWithoutFever: AlertCode = "hypotension-without-fever"
    package static let hypoxiaWithoutFever: AlertCode = "hypoxia-without-fever"
    package static let feverBeforeInfusion: AlertCode = "fever-before-infusion"
    package static let infusionEndAssumed: AlertCode = "infusion-end-assumed"

    /// Messages for the codes above; other modules may pass codes without an entry (the code is
    /// then its own message).
    static let messages: [AlertCode: String] = [
        .missingWeight: "No measured weight: enter the patient's current weight",
        .staleWeight: "The latest weight is older than the freshness window: re-weigh the patient",
        .implausibleValue: "An implausible value was ignored: check the source record",
        .missingAge: "No birth date or age: age-dependent criteria could not be applied",
        .missingInfusion: "No CAR T-cell infusion date: CRS onset is taken from the first fever in the record",
        .missingVitals: "Vital signs needed for CRS grading were never recorded",
        .staleVitals: "The latest vital signs are older than the freshness window: record new ones",
        .missingOxygenFlow: "Nasal cannula without a flow rate: low/high-flow classification follows the device",
        .missingNeuro: "Neurological assessment needed for ICANS grading is missing",
        .staleNeuro: "The latest neurological assessment is older than the freshness window",
        .missingLabs: "Laboratory values needed for IEC-HS assessment are missing",
        .staleLabs: "The latest laboratory values are older than the freshness window",
        .instrumentAgeMismatch: "The ICANS instrument does not match the patient's age",
        .notAssessableSedated: "The patient is sedated: ICE/CAPD and level of consciousness cannot be assessed",
        .hypotensionWithoutFever: "Hypotension without fever: consider causes other than CRS",
        .hypoxiaWithoutFever: "Oxygen need without fever: consider causes other than CRS",
        .feverBeforeInfusion: "Fever recorded before the CAR T-cell infusion is not CRS",
        .infusionEndAssumed:
            "An infusion's order was discontinued without an infusion-stopped event: taken as stopped at the discontinuation",
    ]
}
