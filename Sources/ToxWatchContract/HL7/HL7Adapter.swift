import Foundation
import ToxicityRules

/// Options of the HL7 v2 adapter.
package struct HL7DecodingOptions: Sendable, Hashable {
    /// Offset (seconds east of UTC) assumed for a timestamp that has none, when MSH-7 has none
    /// either. `nil` (the default): such a timestamp is an error, never a guess.
    package var defaultUTCOffsetSeconds: Int?
    /// Bounds on a message's segments, repetitions and field lengths (over one: `malformed-hl7`).
    package var limits: HL7Limits

    package init(defaultUTCOffsetSeconds: Int? = nil, limits: HL7Limits = .init()) {
        self.defaultUTCOffsetSeconds = defaultUTCOffsetSeconds
        self.limits = limits
    }
}

/// Maps HL7 v2 messages to contract events (Docs/HL7-FHIR.md lists every shape and code).
///
/// - ORU^R01: OBX by LOINC to `vitals` (grouped per OBR and observation time), `lab` (one per
///   OBX), body weight/height to `patient`, ToxWatch local codes (`99TXW`) to `neuro` and the
///   oxygen device.
/// - ADT^A01/A08: `patient` (PID-7, PID-8, OBX weight/height, AL1 allergies, PV1 site).
/// - RAS^O17 (RXA + RXR) and RDE^O11 (ORC + RXE + RXR): `medication`.
///
/// Unknown segments, codes and message types are skipped and counted; an observation with an
/// unknown unit or an impossible value is rejected on its own; a message that cannot be parsed,
/// or lacks MSH-10 or PID-3, throws.
package enum HL7Adapter {
    package static let supportedMessageTypes = ["ORU^R01", "ADT^A01", "ADT^A08", "RAS^O17", "RDE^O11"]

    /// Parses and maps one message.
    ///
    /// - Throws: ``EventDecodingError`` when the message is malformed or lacks an identifier.
    package static func decode(
        message bytes: some Collection<UInt8>,
        options: HL7DecodingOptions = .init()
    ) throws(EventDecodingError) -> AdapterResult {
        try map(HL7Message(parsing: bytes, limits: options.limits), options: options)
    }

    /// Maps one parsed message.
    package static func map(_ message: HL7Message, options: HL7DecodingOptions = .init()) throws(EventDecodingError)
        -> AdapterResult
    {
        var mapper = try HL7Mapper(message: message, options: options)
        return try mapper.run()
    }
}

/// Segments that belong to the supported message structures and carry nothing ToxWatch maps;
/// they are passed over silently. Any other segment is skipped and counted.
private let structuralSegments: Set<String> = [
    "MSH", "SFT", "UAC", "EVN", "PID", "PD1", "PV1", "PV2", "NK1", "NTE", "ORC", "TQ1", "TQ2", "CTD", "SPM", "ROL",
    "PRT", "DG1", "GT1", "IN1", "IN2", "IN3", "ARV", "DB1", "PDA", "ACC", "PR1", "OBR", "OBX", "AL1", "RXA", "RXR",
    "RXE", "RXC", "TIM", "BPO", "RXO", "RXD", "CDO", "FT1", "UB1", "UB2", "DRG", "OH1", "OH2", "OH3", "OH4",
]

struct HL7Mapper {
    let message: HL7Message
    let options: HL7DecodingOptions
    let messageType: String
    let controlID: String
    let source: EventSource
    let mshOffset: Int?
    var result = AdapterResult()

    /// Events in message order, before their ids are assigned.
    var slots: [Slot] = []
    var vitalsGroups: [VitalsGroup] = []
    var neuroGroups: [NeuroGroup] = []
    var bodyGroups: [BodyGroup] = []
    /// Where each (OBR group, time) is in the arrays above: one lookup per OBX, whatever their number.
    var vitalsIndex: [GroupKey: Int] = [:]
    var neuroIndex: [GroupKey: Int] = [:]
    var bodyIndex: [GroupKey: Int] = [:]
    var patientId = ""

    struct GroupKey: Hashable {
        var group: Int
        var time: Date
    }

    enum Slot {
        case vitals(Int)
        case neuro(Int)
        case body(Int)
        case event(ClinicalEvent)
    }

    init(message: HL7Message, options: HL7DecodingOptions) throws(EventDecodingError) {
        self.message = message
        self.options = options
        let msh = message.header
        guard let type = try msh.text(9, component: 1) else { throw .missingField(path: location(msh, 9)) }
        let trigger = try msh.text(9, component: 2)
        messageType = trigger.map { type + "^" + $0 } ?? type
        guard let control = try msh.text(10) else { throw .missingField(path: location(msh, 10)) }
        // Event ids are MSH-10 or MSH-10#n: room is left for the longest suffix a message can need.
        try InputIdentifier.check(control, path: location(msh, 10))
        guard control.utf8.count <= InputIdentifier.maxBytes - 6 else {
            throw .invalidValue(
                path: location(msh, 10),
                value: control,
                problem:
                    "is longer than \(InputIdentifier.maxBytes - 6) bytes (event ids MSH-10#n must fit \(InputIdentifier.maxBytes))"
            )
        }
        controlID = control
        source = EventSource(system: try msh.text(3) ?? "hl7", messageType: messageType)
        mshOffset = try msh.text(7).flatMap(HL7Timestamp.parse)?.offsetSeconds
    }

    mutating func run() throws(EventDecodingError) -> AdapterResult {
        guard HL7Adapter.supportedMessageTypes.contains(messageType) else {
            result.skip(location(message.header, 9), "message type \(messageType) is not mapped")
            return result
        }
        guard let pid = message.segments.first(where: { $0.id == "PID" }) else {
            throw .missingField(path: "PID-3 (no PID segment)")
        }
        patientId = try Self.patientIdentifier(pid)
        switch messageType {
        case "ORU^R01": try mapObservations()
        case "ADT^A01", "ADT^A08": try mapAdmission(pid: pid)
        case "RAS^O17": try mapAdministrations()
        case "RDE^O11": try mapOrders()
        default: break
        }
        for segment in message.segments where !structuralSegments.contains(segment.id) {
            result.skip(location(segment, nil), "segment \(segment.id) is not used")
        }
        assembleEvents()
        return result
    }

    /// PID-3: the repetition whose identifier type (CX-5) is MR, else the first; an identifier
    /// (``InputIdentifier``).
    static func patientIdentifier(_ pid: HL7Segment) throws(EventDecodingError) -> String {
        var first: String?
        var chosen: String?
        for repetition in 1...max(1, pid.repetitionCount(3)) {
            guard let id = try pid.text(3, component: 1, repetition: repetition) else { continue }
            if try pid.text(3, component: 5, repetition: repetition)?.uppercased() == "MR" {
                chosen = id
                break
            }
            if first == nil { first = id }
        }
        guard let id = chosen ?? first else { throw .missingField(path: location(pid, 3)) }
        try InputIdentifier.check(id, path: location(pid, 3))
        return id
    }

    // MARK: Time

    /// A timestamp field as a `Date`; `nil` when empty. Without an offset, MSH-7's offset (the
    /// sender's zone, as HL7 specifies) or the configured default is used, else it is an error.
    func time(_ segment: HL7Segment, _ field: Int, component: Int = 1) throws(EventDecodingError) -> Date? {
        guard let text = try segment.text(field, component: component) else { return nil }
        let path = location(segment, field)
        guard let value = HL7Timestamp.parse(text) else {
            throw .invalidTimestamp(path: path, value: text, problem: TimestampProblem.notHL7DTM.description)
        }
        guard value.hasTimeOfDay else {
            throw .invalidTimestamp(path: path, value: text, problem: TimestampProblem.lacksTimeOfDay.description)
        }
        guard let date = value.date(fallbackOffset: mshOffset ?? options.defaultUTCOffsetSeconds) else {
            throw .invalidTimestamp(
                path: path,
                value: text,
                problem: "has no UTC offset, and neither has MSH-7 (no default offset configured)"
            )
        }
        return date
    }

    // MARK: ORU^R01

    mutating func mapObservations() throws(EventDecodingError) {
        var group = 0
        var requestTime: Result<Date?, EventDecodingError> = .success(nil)
        for segment in message.segments {
            switch segment.id {
            case "OBR":
                group += 1
                requestTime = Result { () throws(EventDecodingError) in try time(segment, 7) }
            case "OBX":
                observation(segment, group: group, requestTime: requestTime, admission: false)
            default: break
            }
        }
    }

    /// Maps one OBX; errors reject this observation only.
    mutating func observation(
        _ obx: HL7Segment,
        group: Int,
        requestTime: Result<Date?, EventDecodingError>,
        admission: Bool
    ) {
        do throws(EventDecodingError) {
            guard let (kind, loinc) = try observationKind(obx) else {
                let code = try obx.text(3, component: 1) ?? ""
                let system = try obx.text(3, component: 3) ?? "no system"
                result.skip(location(obx, 3), "code \(code) (\(system)) is not mapped")
                return
            }
            if let status = try obx.text(11)?.uppercased(), !["F", "C", "U"].contains(status) {
                result.skip(location(obx, 11), "result status \(status) is not final (only F, C and U are used)")
                return
            }
            if admission {
                guard case .body = kind else {
                    result.skip(location(obx, 3), "only body weight and height are used in \(messageType)")
                    return
                }
            }
            let observedAt = try time(obx, 14)
            let occurredAt: Date
            if let observedAt {
                occurredAt = observedAt
            } else if let fromRequest = try requestTime.get() {
                occurredAt = fromRequest
            } else {
                throw .missingField(path: location(obx, 14) + " (and OBR-7)")
            }
            switch kind {
            case .vital(let field):
                try vital(obx, field: field, group: group, at: occurredAt)
            case .bloodPressurePanel:
                try bloodPressurePanel(obx, group: group, at: occurredAt)
            case .body(let measure):
                let value = try quantity(obx, measure.quantity, range: measure.range)
                let index = bodyGroupIndex(group: group, at: occurredAt, admission: admission)
                try bodyGroups[index].set(measure, value, at: location(obx, 5))
            case .lab(let test):
                try lab(obx, test: test, loinc: loinc, at: occurredAt)
            case .neuro(let field):
                try neuro(obx, field: field, group: group, at: occurredAt)
            }
        } catch {
            result.rejected.append(error)
        }
    }

    /// OBX-3 (or its alternate coding) as LOINC or a ToxWatch local code.
    func observationKind(_ obx: HL7Segment) throws(EventDecodingError) -> (ObservationKind, String?)? {
        for (idComponent, systemComponent) in [(1, 3), (4, 6)] {
            guard let id = try obx.text(3, component: idComponent) else { continue }
            let system = try obx.text(3, component: systemComponent)?.uppercased()
            if system == nil || system == "LN" || system == "LOINC", let kind = ObservationCodes.loinc[id] {
                return (kind, id)
            }
            if system == ObservationCodes.localHL7System, let kind = ObservationCodes.local[id.lowercased()] {
                return (kind, nil)
            }
        }
        return nil
    }

    // MARK: Values

    /// OBX-5 as a number: NM, or SN without comparator, or a plain decimal in ST/TX; one value
    /// (a repeated OBX-5 such as `120~130` is two values, not a number).
    func number(_ obx: HL7Segment) throws(EventDecodingError) -> Double {
        let path = location(obx, 5)
        let repetitions = obx.repetitionCount(5)
        guard repetitions <= 1 else {
            throw .invalidValue(
                path: path,
                value: "",
                problem: "has \(repetitions) repetitions; a numeric observation has one value"
            )
        }
        let valueType = try obx.text(2)?.uppercased()
        var text = try obx.text(5, component: 1)
        if valueType == "SN" {
            let comparator = try obx.text(5, component: 1)
            if let comparator, comparator != "=" {
                throw .invalidValue(
                    path: path,
                    value: comparator + (try obx.text(5, component: 2) ?? ""),
                    problem: "is a bound, not a value (comparators other than = are not representable)"
                )
            }
            let separator = try obx.text(5, component: 3)
            let second = try obx.text(5, component: 4)
            if separator != nil || second != nil {
                throw .invalidValue(
                    path: path,
                    value: try obx.text(5, component: 2) ?? "",
                    problem: "is a range or ratio, not a value"
                )
            }
            text = try obx.text(5, component: 2)
        }
        guard let text else { throw .missingField(path: path) }
        guard let value = parseDecimal(text) else {
            throw .invalidValue(path: path, value: text, problem: "is not a number")
        }
        return value
    }

    /// OBX-5 converted from OBX-6 into the quantity's unit and checked against `range`.
    func quantity(_ obx: HL7Segment, _ quantity: VitalQuantity, range: PlausibleRange) throws(EventDecodingError)
        -> Double
    {
        let raw = try number(obx)
        let conversion = try unitConversion(obx, allowed: quantity.acceptedSpellings) { quantity.conversion(for: $0) }
        let value = conversion.apply(raw, decimals: quantity.decimals)
        guard range.contains(value) else { throw .outOfRange(path: location(obx, 5), value: value, range: range) }
        return value
    }

    /// OBX-6 (identifier, then text) looked up with `lookup`.
    func unitConversion(
        _ obx: HL7Segment,
        allowed: [String],
        lookup: (String) -> UnitConversion?
    ) throws(EventDecodingError) -> UnitConversion {
        let code = try obx.text(6, component: 1)
        let text = try obx.text(6, component: 2)
        for candidate in [code, text].compactMap({ $0 }) {
            if let conversion = lookup(candidate) { return conversion }
        }
        if code == nil, text == nil, let conversion = lookup("") { return conversion }
        throw .unknownUnit(path: location(obx, 6), unit: code ?? text ?? "", allowed: allowed.filter { !$0.isEmpty })
    }

    /// OBX-5 as a code: identifier, else text, of each repetition.
    func codes(_ obx: HL7Segment) throws(EventDecodingError) -> [String] {
        var values: [String] = []
        for repetition in 1...max(1, obx.repetitionCount(5)) {
            if let value = try obx.text(5, component: 1, repetition: repetition) {
                values.append(value)
            } else if let value = try obx.text(5, component: 2, repetition: repetition) {
                values.append(value)
            }
        }
        guard !values.isEmpty else { throw .missingField(path: location(obx, 5)) }
        return values
    }

    // MARK: Vitals

    mutating func vital(_ obx: HL7Segment, field: VitalField, group: Int, at date: Date) throws(EventDecodingError) {
        let index = vitalsGroupIndex(group: group, at: date)
        if field == .oxygenDevice {
            let code = try codes(obx)[0]
            let text = try obx.text(5, component: 2)
            guard
                let device = ObservationCodes.oxygenDevice(named: code)
                    ?? text.flatMap(ObservationCodes.oxygenDevice(named:))
            else {
                throw .unknownValue(path: location(obx, 5), value: code, allowed: OxygenDevice.allCases.map(\.rawValue))
            }
            try vitalsGroups[index].setDevice(device, at: location(obx, 5))
            return
        }
        guard let quantity = field.quantity else { return }
        let value = try self.quantity(obx, quantity, range: field.range)
        try vitalsGroups[index].set(field, value, at: location(obx, 5))
    }

    /// 85354-9 sent as one OBX: SN `^120^/^80` or text `120/80`, in mm[Hg].
    mutating func bloodPressurePanel(_ obx: HL7Segment, group: Int, at date: Date) throws(EventDecodingError) {
        let path = location(obx, 5)
        var parts: [String]
        if try obx.text(2)?.uppercased() == "SN" {
            parts = [try obx.text(5, component: 2), try obx.text(5, component: 4)].compactMap { $0 }
            guard try obx.text(5, component: 3) == "/" else {
                throw .invalidValue(
                    path: path,
                    value: parts.joined(separator: " "),
                    problem: "is not systolic/diastolic"
                )
            }
        } else {
            parts = (try obx.text(5) ?? "").split(separator: "/").map { $0.trimmingWhitespace() }
        }
        guard parts.count == 2, let systolic = parseDecimal(parts[0]), let diastolic = parseDecimal(parts[1]) else {
            throw .invalidValue(
                path: path,
                value: parts.joined(separator: "/"),
                problem: "is not systolic/diastolic (e.g. 120/80)"
            )
        }
        let conversion = try unitConversion(obx, allowed: VitalQuantity.pressure.acceptedSpellings) {
            VitalQuantity.pressure.conversion(for: $0)
        }
        let index = vitalsGroupIndex(group: group, at: date)
        for (field, raw) in [(VitalField.systolic, systolic), (.diastolic, diastolic)] {
            let value = conversion.apply(raw, decimals: VitalQuantity.pressure.decimals)
            guard field.range.contains(value) else { throw .outOfRange(path: path, value: value, range: field.range) }
            try vitalsGroups[index].set(field, value, at: path)
        }
    }

    mutating func vitalsGroupIndex(group: Int, at date: Date) -> Int {
        if let index = vitalsIndex[GroupKey(group: group, time: date)] { return index }
        vitalsGroups.append(VitalsGroup(group: String(group), occurredAt: date))
        vitalsIndex[GroupKey(group: group, time: date)] = vitalsGroups.count - 1
        slots.append(.vitals(vitalsGroups.count - 1))
        return vitalsGroups.count - 1
    }

    mutating func bodyGroupIndex(group: Int, at date: Date, admission: Bool) -> Int {
        if let index = bodyIndex[GroupKey(group: group, time: date)] { return index }
        bodyGroups.append(BodyGroup(group: String(group), occurredAt: date))
        bodyIndex[GroupKey(group: group, time: date)] = bodyGroups.count - 1
        if !admission { slots.append(.body(bodyGroups.count - 1)) }
        return bodyGroups.count - 1
    }

    // MARK: Labs

    mutating func lab(_ obx: HL7Segment, test: LabTest, loinc: String?, at date: Date) throws(EventDecodingError) {
        let raw = try number(obx)
        let conversion = try unitConversion(obx, allowed: LabUnits.accepted(for: test).flatMap { $0.json + $0.aliases })
        {
            LabUnits.lenientConversion(for: test, unit: $0)
        }
        let value = conversion.apply(raw, decimals: LabUnits.decimals)
        guard PlausibleRange.lab(test).contains(value) else {
            throw .outOfRange(path: location(obx, 5), value: value, range: .lab(test))
        }
        var upper: Double?
        if let range = try obx.text(7) {
            if let bound = upperBound(ofReferenceRange: range),
                PlausibleRange.lab(test).contains(conversion.apply(bound, decimals: LabUnits.decimals))
            {
                upper = conversion.apply(bound, decimals: LabUnits.decimals)
            } else {
                result.skip(location(obx, 7), "reference range '\(range)' has no upper limit that can be read")
            }
        }
        slots.append(
            .event(
                .lab(
                    LabEvent(
                        eventId: "",
                        patientId: patientId,
                        occurredAt: date,
                        test: test,
                        loinc: loinc,
                        value: value,
                        upperLimitOfNormal: upper
                    )
                )
            )
        )
    }

    // MARK: Neuro

    mutating func neuro(_ obx: HL7Segment, field: NeuroField, group: Int, at date: Date) throws(EventDecodingError) {
        let index: Int
        if let existing = neuroIndex[GroupKey(group: group, time: date)] {
            index = existing
        } else {
            neuroGroups.append(
                NeuroGroup(group: String(group), event: NeuroEvent(eventId: "", patientId: patientId, occurredAt: date))
            )
            index = neuroGroups.count - 1
            neuroIndex[GroupKey(group: group, time: date)] = index
            slots.append(.neuro(index))
        }
        let path = location(obx, 5)
        let value: NeuroValue =
            field == .iceScore || field == .capdScore ? .number(try number(obx)) : .codes(try codes(obx))
        var event = neuroGroups[index].event
        try event.apply(field, value, at: path)
        try neuroGroups[index].replace(with: event, field: field, at: path)
    }

    // MARK: Assembly

    /// Builds the events in message order and gives them ids: MSH-10 for a message that yields
    /// one event, `MSH-10#n` (n from 1, in message order) when it yields several.
    mutating func assembleEvents() {
        var events: [ClinicalEvent] = []
        for slot in slots {
            switch slot {
            case .event(let event):
                events.append(event)
            case .vitals(let index):
                let (event, rejected) = vitalsGroups[index].event(patientId: patientId)
                if let event { events.append(.vitals(event)) }
                result.rejected += rejected
            case .neuro(let index):
                // A group whose every observation was rejected yields nothing.
                if neuroGroups[index].event.hasAssessment { events.append(.neuro(neuroGroups[index].event)) }
            case .body(let index):
                let body = bodyGroups[index]
                guard body.weightKg != nil || body.heightCm != nil else { continue }
                events.append(
                    .patient(
                        PatientEvent(
                            eventId: "",
                            patientId: patientId,
                            occurredAt: body.occurredAt,
                            weightKg: body.weightKg,
                            heightCm: body.heightCm
                        )
                    )
                )
            }
        }
        for (number, event) in events.enumerated() {
            let id = events.count == 1 ? controlID : "\(controlID)#\(number + 1)"
            result.events.append(EventEnvelope(event.withEventId(id), source: source))
        }
    }
}

// MARK: Helpers

func location(_ segment: HL7Segment, _ field: Int?) -> String {
    HL7Location(segment: segment.position, segmentID: segment.id, field: field).description
}

/// A plain decimal (`98.6`, `-1`, `.5`): no exponent, no hex, no `inf`/`nan`, no thousands separator.
func parseDecimal(_ text: String) -> Double? {
    let trimmed = text.trimmingWhitespace()
    var digits = 0
    var dots = 0
    for (index, character) in trimmed.enumerated() {
        switch character {
        case "0"..."9": digits += 1
        case ".": dots += 1
        case "+", "-": if index != 0 { return nil }
        default: return nil
        }
    }
    guard digits > 0, dots <= 1 else { return nil }
    return Double(trimmed)
}

/// The number a free-text rate starts with (`10 mL/h` → 10).
func leadingNumber(_ text: String) -> Double? {
    parseDecimal(String(text.trimmingWhitespace().prefix { $0.isNumber || $0 == "." }))
}

/// The upper limit of an OBX-7 reference range: `10-40` → 40, `<5` → 5, `<=5` → 5.
func upperBound(ofReferenceRange text: String) -> Double? {
    let trimmed = text.trimmingWhitespace()
    if trimmed.hasPrefix("<=") { return parseDecimal(String(trimmed.dropFirst(2))) }
    if trimmed.hasPrefix("<") { return parseDecimal(String(trimmed.dropFirst())) }
    guard let dash = trimmed.dropFirst().firstIndex(of: "-") else { return nil }
    guard parseDecimal(String(trimmed[..<dash])) != nil else { return nil }
    return parseDecimal(String(trimmed[trimmed.index(after: dash)...]))
}

func parseYesNo(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "y", "yes", "true", "1": true
    case "n", "no", "false", "0": false
    default: nil
    }
}

extension ClinicalEvent {
    /// The same event with another id.
    func withEventId(_ id: String) -> ClinicalEvent {
        switch self {
        case .patient(var e):
            e.eventId = id
            return .patient(e)
        case .vitals(var e):
            e.eventId = id
            return .vitals(e)
        case .neuro(var e):
            e.eventId = id
            return .neuro(e)
        case .lab(var e):
            e.eventId = id
            return .lab(e)
        case .finding(var e):
            e.eventId = id
            return .finding(e)
        case .medication(var e):
            e.eventId = id
            return .medication(e)
        }
    }
}
