import Foundation
import ToxWatchContract
import ToxicityRules

/// A panel's value axis.
struct ValueScale {
    let minimum: Double
    let maximum: Double
    let top: Double
    let bottom: Double

    func y(_ value: Double) -> Double {
        let fraction = maximum > minimum ? (value - minimum) / (maximum - minimum) : 0.5
        return bottom - min(1, max(0, fraction)) * (bottom - top)
    }

    /// Attributes that let a reader map a y back to a value.
    var attributes: SVGWriter.Attributes {
        [
            "data-value-min": minimum.svg, "data-value-max": maximum.svg, "data-y-top": top.svg,
            "data-y-bottom": bottom.svg,
        ]
    }
}

// The findings: admission, vital signs, vasopressors, neurological assessments, labs.
extension CourseChart {
    var vitals: [VitalsEvent] {
        course.events.compactMap { if case .vitals(let v) = $0 { v } else { nil } }
    }

    // MARK: Admission

    func writeAdmission(_ frame: Frame, _ svg: inout SVGWriter) {
        var lanes = LaneAllocator(lanes: 1)
        let y = frame.top + frame.height / 2
        for event in course.events {
            guard case .patient(let patient) = event else { continue }
            let x = scale.x(patient.occurredAt)
            var facts: [String] = ["admission"]
            if let weight = patient.weightKg { facts.append("\(number(weight)) kg") }
            if let protocolId = patient.protocolId { facts.append(protocolId) }
            let text = facts.joined(separator: " · ")
            svg.mark(
                .event(patient.eventId, patient.occurredAt, kind: "patient"), x: x, y: y, shape: .hollowSquare, size: 3,
                color: ChartColors.black, title: "\(ChartTimeScale.fullClock(patient.occurredAt)) \(text)")
            if lanes.fits(lane: 0, x: x + 6, width: Self.textWidth(text, fontSize: 7)) {
                svg.element("text", ["class": "small", "x": (x + 6).svg, "y": (y + 2.5).svg], text: text)
            }
        }
    }

    // MARK: Temperature

    func writeTemperature(_ frame: Frame, _ svg: inout SVGWriter) {
        let readings = vitals.compactMap { v in v.temperatureC.map { (v, $0) } }
        let values = readings.map(\.1)
        let fever = GradingThresholds.feverC
        let range = ValueScale(
            minimum: min(36, (values.min() ?? 36).rounded(.down)), maximum: max(40, (values.max() ?? 40).rounded(.up)),
            top: frame.top + 5, bottom: frame.bottom - 5)
        svg.element("text", ["class": "unit", "x": "8", "y": (frame.top + 21).svg], text: "°C")
        writeValueTicks(range, step: 1, &svg)
        writeThreshold(range.y(fever), label: "\(String(format: "%.1f", fever)) °C fever (ASTCT)", &svg)
        svg.group(["data-series": "temperature"] + range.attributes) { svg in
            writeLine(readings.map { (scale.x($0.0.occurredAt), range.y($0.1)) }, color: ChartColors.vermillion, &svg)
            for (event, value) in readings {
                svg.mark(
                    .event(
                        event.eventId, event.occurredAt, kind: "vitals", series: "temperature", value: number(value)),
                    x: scale.x(event.occurredAt), y: range.y(value), shape: value >= fever ? .circle : .hollowCircle,
                    size: 2.6, color: ChartColors.vermillion,
                    title: "\(ChartTimeScale.fullClock(event.occurredAt)) temperature \(number(value)) °C")
            }
        }
    }

    // MARK: Blood pressure

    func writeBloodPressure(_ frame: Frame, _ svg: inout SVGWriter) {
        let systolic = vitals.compactMap { v in v.systolicBP.map { (v, $0) } }
        let mean = vitals.compactMap { v in v.meanArterialPressure.map { (v, $0) } }
        let values = systolic.map(\.1) + mean.map(\.1)
        let range = ValueScale(
            minimum: min(40, ((values.min() ?? 40) / 20).rounded(.down) * 20),
            maximum: max(140, ((values.max() ?? 140) / 20).rounded(.up) * 20), top: frame.top + 5,
            bottom: frame.bottom - 5)
        svg.element("text", ["class": "unit", "x": "8", "y": (frame.top + 21).svg], text: "mmHg")
        svg.element("text", ["class": "unit", "x": "8", "y": (frame.top + 31).svg], text: "● systolic ◇ MAP")
        writeValueTicks(range, step: 20, &svg)
        writeHypotensionThresholds(range, &svg)
        svg.group(["data-series": "systolic"] + range.attributes) { svg in
            writeLine(systolic.map { (scale.x($0.0.occurredAt), range.y($0.1)) }, color: ChartColors.blue, &svg)
            for (event, value) in systolic {
                svg.mark(
                    .event(event.eventId, event.occurredAt, kind: "vitals", series: "systolic", value: number(value)),
                    x: scale.x(event.occurredAt), y: range.y(value), shape: .circle, size: 2.6, color: ChartColors.blue,
                    title: "\(ChartTimeScale.fullClock(event.occurredAt)) systolic \(number(value)) mmHg")
            }
        }
        svg.group(["data-series": "mean-arterial-pressure"] + range.attributes) { svg in
            for (event, value) in mean {
                svg.mark(
                    .event(
                        event.eventId, event.occurredAt, kind: "vitals", series: "mean-arterial-pressure",
                        value: number(value)),
                    x: scale.x(event.occurredAt), y: range.y(value), shape: .hollowDiamond, size: 2.6,
                    color: ChartColors.purple,
                    title: "\(ChartTimeScale.fullClock(event.occurredAt)) mean arterial pressure \(number(value)) mmHg")
            }
        }
        // Vital signs with none of the charted values (heart rate, SpO2 … only): a tick at the bottom.
        for event in vitals
        where event.temperatureC == nil && event.systolicBP == nil && event.meanArterialPressure == nil
            && event.oxygen == nil
        {
            let values = [
                event.heartRate.map { "heart rate \(number($0))" },
                event.respiratoryRate.map { "respiratory rate \(number($0))" },
                event.spo2.map { "SpO2 \(number($0)) %" }, event.diastolicBP.map { "diastolic \(number($0)) mmHg" },
            ].compactMap { $0 }
            svg.mark(
                .event(event.eventId, event.occurredAt, kind: "vitals", series: "other-vitals"),
                x: scale.x(event.occurredAt),
                y: range.bottom + 2, shape: .bar, size: 2, color: ChartColors.grey,
                title:
                    "\(ChartTimeScale.fullClock(event.occurredAt)) vital signs: \(values.isEmpty ? "none charted" : values.joined(separator: ", "))"
            )
        }
    }

    /// The systolic hypotension threshold for the patient's age over the chart (it steps on a
    /// birthday), and the adult MAP threshold while the patient is an adult: the engine's own values.
    private func writeHypotensionThresholds(_ range: ValueScale, _ svg: inout SVGWriter) {
        struct Step {
            var start: Date
            var value: Double
            var ageYears: Int?
            var adult: Bool
        }
        var steps: [Step] = []
        var t = scale.start
        while t <= scale.end {
            let age = timeline.age(at: t)
            let value =
                age.map(GradingThresholds.systolicHypotension(for:)) ?? GradingThresholds.systolicHypotensionAnyAge
            let adult = age.map { $0.completedYears >= policy.adultMinimumAgeYears } ?? false
            if steps.last?.value != value || steps.last?.adult != adult {
                steps.append(Step(start: t, value: value, ageYears: age?.completedYears, adult: adult))
            }
            t = t.addingTimeInterval(3600)
        }
        // Before the first admission the age is unknown: the line starts where it becomes known.
        if let known = steps.firstIndex(where: { $0.ageYears != nil }) { steps.removeFirst(known) }
        for (index, step) in steps.enumerated() {
            let x0 = scale.x(step.start)
            let x1 = index + 1 < steps.count ? scale.x(steps[index + 1].start) : scale.x1
            let y = range.y(step.value)
            let label =
                step.ageYears.map { "systolic < \(number(step.value)) hypotension at \($0) y (PALS)" }
                ?? "systolic < \(number(step.value)) hypotension at any age (age unknown)"
            svg.element(
                "path",
                [
                    "class": "threshold", "d": "M\(x0.svg),\(y.svg) H\(x1.svg)", "data-threshold": "systolic",
                    "data-value": number(step.value),
                ])
            svg.element("text", ["class": "small", "x": (x0 + 3).svg, "y": (y + 8).svg], text: label)
            if step.adult {
                let yMap = range.y(policy.adultMAPThreshold)
                svg.element(
                    "path",
                    [
                        "class": "threshold", "d": "M\(x0.svg),\(yMap.svg) H\(x1.svg)", "stroke-dasharray": "1 2",
                        "data-threshold": "mean-arterial-pressure",
                        "data-value": number(policy.adultMAPThreshold),
                    ])
                svg.element(
                    "text", ["class": "small", "x": (x0 + 3).svg, "y": (yMap + 8).svg],
                    text: "MAP < \(number(policy.adultMAPThreshold)) hypotension (adult)")
            }
        }
    }

    // MARK: Oxygen

    func writeOxygen(_ frame: Frame, _ svg: inout SVGWriter) {
        let readings = vitals.compactMap { v in v.oxygen.map { (v, $0) } }
        let range = ValueScale(minimum: 1, maximum: 4, top: frame.top + 6, bottom: frame.bottom - 6)
        let names = [1: "room air", 2: "low flow", 3: "high flow/mask", 4: "pos. pressure"]
        for tier in 1...4 {
            let y = range.y(Double(tier))
            svg.element(
                "line", ["class": "grid", "x1": Self.plotX0.svg, "y1": y.svg, "x2": Self.plotX1.svg, "y2": y.svg])
            svg.element(
                "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (y + 2.5).svg, "text-anchor": "end"],
                text: names[tier] ?? "")
        }
        var points: [(Double, Double)] = []
        for (event, support) in readings {
            let x = scale.x(event.occurredAt)
            let y = range.y(Double(GradingThresholds.oxygenTier(support)))
            if let last = points.last { points.append((x, last.1)) }
            points.append((x, y))
        }
        if let last = points.last, !readings.isEmpty { points.append((scale.x(course.through), last.1)) }
        var lanes = LaneAllocator(lanes: 1)
        svg.group(["data-series": "oxygen"] + range.attributes) { svg in
            writeLine(points, color: ChartColors.green, width: 2, &svg)
            var previous: OxygenSupport?
            for (event, support) in readings {
                let tier = GradingThresholds.oxygenTier(support)
                let x = scale.x(event.occurredAt)
                let y = range.y(Double(tier))
                let flow = support.flowLPerMin.map { "\(number($0)) L/min" }
                let description =
                    ([support.device.rawValue] + [flow, support.fio2.map { "FiO2 \(number($0))" }].compactMap { $0 })
                    .joined(separator: ", ")
                svg.mark(
                    .event(event.eventId, event.occurredAt, kind: "vitals", series: "oxygen", value: String(tier)),
                    x: x, y: y, shape: .square, size: 2.4, color: ChartColors.green,
                    title: "\(ChartTimeScale.fullClock(event.occurredAt)) oxygen tier \(tier): \(description)")
                if let flow, support != previous,
                    lanes.fits(lane: 0, x: x + 4, width: Self.textWidth(flow, fontSize: 7))
                {
                    svg.element("text", ["class": "small", "x": (x + 4).svg, "y": (y - 3).svg], text: flow)
                }
                previous = support
            }
        }
    }

    // MARK: Vasopressors

    func writeVasopressors(_ frame: Frame, _ svg: inout SVGWriter) {
        let drugs = vasopressorDrugs
        guard !drugs.isEmpty else {
            svg.element(
                "text", ["class": "small", "x": (Self.plotX0 + 4).svg, "y": (frame.top + 12).svg], text: "none given")
            return
        }
        for (row, drug) in drugs.enumerated() {
            let top = frame.top + 3 + Double(row) * 13
            let mid = top + 5
            let inotrope = drug == .dobutamine || drug == .milrinone
            svg.element(
                "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (mid + 2.5).svg, "text-anchor": "end"],
                text: inotrope ? "\(drug.name) (inotrope)" : drug.name)
            let events = course.events.compactMap { event -> MedicationEvent? in
                if case .medication(let m) = event, m.drug == drug { return m }
                return nil
            }
            var running: MedicationEvent?
            func bar(from start: MedicationEvent, to end: Date, open: Bool, _ svg: inout SVGWriter) {
                let x0 = scale.x(start.occurredAt)
                let x1 = scale.x(end)
                let data = MarkData.event(
                    start.eventId, start.occurredAt, kind: "medication", series: "vasopressor", value: drug.name)
                svg.open(
                    "rect",
                    SVGWriter.rectAttributes(
                        data, x: x0, y: top, width: x1 - x0, height: 10,
                        style: [
                            "fill": "url(#vasopressor)", "stroke": "#000", "stroke-width": "0.6",
                            "data-running": open ? "true" : nil,
                        ]))
                svg.element(
                    "title",
                    text: "\(drug.name) infusion from \(ChartTimeScale.fullClock(start.occurredAt))"
                        + (open ? ", still running at the chart's end" : " to \(ChartTimeScale.fullClock(end))"))
                svg.close("rect")
                if open {
                    svg.element("path", ["d": "M\(x1.svg),\(top.svg) l5,5 l-5,5 Z", "fill": "#000"])
                }
            }
            for event in events {
                let x = scale.x(event.occurredAt)
                switch event.action {
                case .infusionStarted:
                    if let start = running { bar(from: start, to: event.occurredAt, open: false, &svg) }
                    running = event
                case .infusionStopped:
                    if let start = running { bar(from: start, to: event.occurredAt, open: false, &svg) }
                    running = nil
                    svg.mark(
                        .event(
                            event.eventId, event.occurredAt, kind: "medication", series: "vasopressor-stop",
                            value: drug.name),
                        x: x, y: mid, shape: .bar, size: 6, color: ChartColors.black,
                        title: "\(ChartTimeScale.fullClock(event.occurredAt)) \(drug.name) stopped")
                default:
                    svg.mark(
                        .event(
                            event.eventId, event.occurredAt, kind: "medication",
                            series: "vasopressor-\(event.action.rawValue)", value: drug.name),
                        x: x, y: mid, shape: event.action == .ordered ? .hollowDiamond : .diamond, size: 2.6,
                        color: ChartColors.orange,
                        title: "\(ChartTimeScale.fullClock(event.occurredAt)) \(drug.name) \(event.action.rawValue)"
                            + (event.rate.map { " rate \(number($0))" } ?? ""))
                }
            }
            if let start = running { bar(from: start, to: course.through, open: true, &svg) }
        }
    }

    // MARK: Neurological assessments

    func writeNeuro(_ frame: Frame, _ svg: inout SVGWriter) {
        let neuro = course.events.compactMap { if case .neuro(let n) = $0 { n } else { nil } }
        let instruments: [(name: String, maximum: Int, score: (NeuroEvent) -> Int?, grade: (Int) -> Int)] = [
            ("ICE", 10, { $0.iceScore }, { GradingThresholds.iceGrade(score: $0) }),
            ("CAPD", 32, { $0.capdScore }, { GradingThresholds.capdGrade(score: $0) }),
        ].filter { instrument in neuro.contains { instrument.score($0) != nil } }
        let top = frame.top + 5
        let usable = frame.height - 16
        let height = instruments.isEmpty ? usable : usable / Double(instruments.count)
        var drawn = Set<String>()
        for (index, instrument) in instruments.enumerated() {
            // The whole ICE range; CAPD (0–32) up to a few points past its last grade boundary or the
            // highest score, so that the boundaries stay readable.
            let bands = GradingThresholds.gradeBands(maximum: instrument.maximum, grade: instrument.grade)
            let highest = neuro.compactMap(instrument.score).max() ?? 0
            let shown = min(instrument.maximum, max((bands.dropLast().last?.scores.upperBound ?? 0) + 4, highest + 1))
            let range = ValueScale(
                minimum: 0, maximum: Double(shown), top: top + Double(index) * height + 2,
                bottom: top + Double(index + 1) * height - 2)
            svg.element(
                "text", ["class": "unit", "x": "8", "y": (range.top + 20).svg], text: "\(instrument.name) score")
            writeValueTicks(range, step: shown > 16 ? 8 : shown > 10 ? 4 : 2, &svg)
            writeGradeBoundaries(
                range, maximum: instrument.maximum, grade: instrument.grade, instrument: instrument.name, &svg)
            let scored = neuro.compactMap { n in instrument.score(n).map { (n, $0) } }
            svg.group(["data-series": instrument.name.lowercased()] + range.attributes) { svg in
                writeLine(
                    scored.map { (scale.x($0.0.occurredAt), range.y(Double($0.1))) }, color: ChartColors.skyBlue, &svg)
                var lanes = LaneAllocator(lanes: 1)
                for (event, score) in scored {
                    let x = scale.x(event.occurredAt)
                    let y = range.y(Double(score))
                    let note = Self.neuroNote(event)
                    svg.mark(
                        .event(
                            event.eventId, event.occurredAt, kind: "neuro", series: instrument.name.lowercased(),
                            value: String(score)),
                        x: x, y: y, shape: .triangleUp, size: 2.8, color: ChartColors.skyBlue,
                        title: "\(ChartTimeScale.fullClock(event.occurredAt)) \(instrument.name) \(score)"
                            + (note.map { "; \($0)" } ?? ""))
                    drawn.insert(event.eventId)
                    if let note, lanes.fits(lane: 0, x: x + 4, width: Self.textWidth(note, fontSize: 7)) {
                        svg.element("text", ["class": "small", "x": (x + 4).svg, "y": (y - 3).svg], text: note)
                    }
                }
            }
        }
        // Assessments without a score of a drawn instrument (consciousness, seizure … only).
        let baseline = frame.bottom - 5
        var lanes = LaneAllocator(lanes: 1)
        for event in neuro where !drawn.contains(event.eventId) {
            let x = scale.x(event.occurredAt)
            let note = Self.neuroNote(event) ?? "no ICE/CAPD score"
            svg.mark(
                .event(event.eventId, event.occurredAt, kind: "neuro", series: "assessment"), x: x, y: baseline,
                shape: .hollowTriangleUp, size: 2.6, color: ChartColors.skyBlue,
                title: "\(ChartTimeScale.fullClock(event.occurredAt)) neurological assessment: \(note)")
            if lanes.fits(lane: 0, x: x + 4, width: Self.textWidth(note, fontSize: 7)) {
                svg.element("text", ["class": "small", "x": (x + 4).svg, "y": (baseline + 2.5).svg], text: note)
            }
        }
    }

    /// Dashed lines where the instrument's score changes the ICANS grade, from the engine's grading.
    private func writeGradeBoundaries(
        _ range: ValueScale, maximum: Int, grade: (Int) -> Int, instrument: String, _ svg: inout SVGWriter
    ) {
        let bands = GradingThresholds.gradeBands(maximum: maximum, grade: grade)
        for (lower, upper) in zip(bands, bands.dropFirst()) {
            let y = range.y(Double(lower.scores.upperBound) + 0.5)
            let label =
                upper.grade > lower.grade
                ? "\(instrument) ≥ \(upper.scores.lowerBound): ICANS \(upper.grade)"
                : "\(instrument) ≤ \(lower.scores.upperBound): ICANS \(lower.grade)"
            svg.element(
                "path",
                [
                    "class": "threshold", "d": "M\(Self.plotX0.svg),\(y.svg) H\(Self.plotX1.svg)",
                    "stroke-width": "0.7",
                    "data-threshold": instrument.lowercased(),
                    "data-value": (Double(lower.scores.upperBound) + 0.5).svg,
                ])
            svg.element(
                "text", ["class": "small", "x": (Self.plotX1 - 2).svg, "y": (y - 1.5).svg, "text-anchor": "end"],
                text: label)
        }
    }

    /// What else an assessment found, in a few words (nil when nothing is abnormal).
    static func neuroNote(_ event: NeuroEvent) -> String? {
        var notes: [String] = []
        if let consciousness = event.consciousness, consciousness != .awake { notes.append(consciousness.rawValue) }
        if let seizure = event.seizure, seizure != .none { notes.append("seizure") }
        if let motor = event.motorWeakness, motor != .none { notes.append("motor weakness") }
        if let edema = event.cerebralEdema, edema != .none { notes.append("\(edema.rawValue) oedema") }
        if !event.raisedIcpSigns.isEmpty { notes.append("raised ICP") }
        if event.sedated == true { notes.append("sedated") }
        return notes.isEmpty ? nil : notes.joined(separator: ", ")
    }

    // MARK: Labs and findings

    func writeLabs(_ frame: Frame, _ svg: inout SVGWriter) {
        var lanes = LaneAllocator(lanes: 2)
        let markY = frame.top + 6
        for event in course.events {
            let x = scale.x(event.occurredAt)
            let text: String
            let data: MarkData
            let shape: ChartShape
            switch event {
            case .lab(let lab):
                let limit = lab.upperLimitOfNormal.map { " (ULN \(number($0)))" } ?? ""
                text = "\(lab.test.rawValue) \(number(lab.value))"
                data = .event(
                    lab.eventId, lab.occurredAt, kind: "lab", series: lab.test.rawValue, value: number(lab.value))
                shape = .circle
                svg.mark(
                    data, x: x, y: markY, shape: shape, size: 2.4, color: ChartColors.grey,
                    title: "\(ChartTimeScale.fullClock(lab.occurredAt)) \(text) \(lab.test.canonicalUnit)\(limit)")
            case .finding(let finding):
                text = "\(finding.finding.rawValue)\(finding.present ? "" : " absent")"
                data = .event(
                    finding.eventId, finding.occurredAt, kind: "finding", series: finding.finding.rawValue,
                    value: String(finding.present))
                svg.mark(
                    data, x: x, y: markY, shape: finding.present ? .diamond : .hollowDiamond, size: 2.4,
                    color: ChartColors.grey,
                    title: "\(ChartTimeScale.fullClock(finding.occurredAt)) \(text)")
            default:
                continue
            }
            let placed = lanes.place(x: x - 2, width: Self.textWidth(text, fontSize: 7), limit: Self.labelLimit)
            let y = frame.top + 16 + Double(placed.lane) * 9
            svg.element(
                "text", ["class": "small", "x": placed.x.svg, "y": y.svg],
                text: Self.fitted(text, width: placed.width, fontSize: 7))
        }
    }

    // MARK: Drawing helpers

    func writeValueTicks(_ range: ValueScale, step: Double, _ svg: inout SVGWriter) {
        var value = (range.minimum / step).rounded(.up) * step
        while value <= range.maximum + 1e-9 {
            let y = range.y(value)
            svg.element(
                "line", ["class": "grid", "x1": Self.plotX0.svg, "y1": y.svg, "x2": Self.plotX1.svg, "y2": y.svg])
            svg.element(
                "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (y + 2.5).svg, "text-anchor": "end"],
                text: number(value))
            value += step
        }
    }

    func writeThreshold(_ y: Double, label: String, _ svg: inout SVGWriter) {
        svg.element(
            "path",
            ["class": "threshold", "d": "M\(Self.plotX0.svg),\(y.svg) H\(Self.plotX1.svg)", "data-threshold": label])
        svg.element(
            "text", ["class": "small", "x": (Self.plotX1 - 2).svg, "y": (y - 2).svg, "text-anchor": "end"], text: label)
    }

    func writeLine(_ points: [(Double, Double)], color: String, width: Double = 1.2, _ svg: inout SVGWriter) {
        guard points.count > 1 else { return }
        let coordinates = points.map { "\($0.0.svg),\($0.1.svg)" }.joined(separator: " ")
        svg.element("polyline", ["points": coordinates, "fill": "none", "stroke": color, "stroke-width": width.svg])
    }
}
