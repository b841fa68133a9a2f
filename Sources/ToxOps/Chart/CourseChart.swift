import Foundation
import ToxWatchContract
package import ToxicityRules

/// `toxctl chart`: one patient's course as a self-contained SVG for the clinician who verifies
/// ToxWatch's outputs: the findings behind each grade and recommendation on one time axis, the
/// grades as bands, the agents given, and every recommendation with its action, dose and the one
/// reason that decided it.
///
/// The SVG has no script and no external font or image, is sized for A4 landscape
/// (297 mm × 210 mm), and encodes everything by shape, pattern and text as well as colour (the
/// colours are Okabe–Ito's and a light-to-dark ramp for grades), so it survives greyscale printing
/// and colour blindness. Every event and output is drawn with data attributes (`data-event-id` or
/// `data-output-id`, `data-time`, `data-x`) so that what is drawn can be checked against the course.
package struct CourseChart {
    package let course: ChartCourse
    let policy: GradingPolicy
    let scale: ChartTimeScale
    let timeline: PatientTimeline

    static let width = 1188.0
    static let height = 840.0
    static let plotX0 = 150.0
    static let plotX1 = 1150.0
    static let panelGap = 6.0

    package init(course: ChartCourse, policy: GradingPolicy = .default) {
        self.course = course
        self.policy = policy
        timeline = PatientTimeline(events: course.events, policy: policy)
        let infusedAt = course.infusion?.infusedAt
        let times =
            course.events.map(\.occurredAt) + course.inventory.map(\.occurredAt) + course.outputs.map(\.assessedAt)
        let first = ([infusedAt].compactMap { $0 } + times).min() ?? course.through
        let reference = infusedAt ?? first
        scale = ChartTimeScale(
            reference: reference, referenceIsInfusion: infusedAt != nil, first: first, last: max(course.through, first),
            x0: Self.plotX0, x1: Self.plotX1)
    }

    /// The SVG document.
    package func render() -> String {
        var svg = SVGWriter()
        svg.raw(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        svg.open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "version": "1.1", "width": "297mm", "height": "210mm",
                "viewBox": "0 0 \(Self.width.svg) \(Self.height.svg)", "role": "img",
                "data-patient-id": course.patientId, "data-t0": ISO8601Timestamp.format(scale.start),
                "data-t1": ISO8601Timestamp.format(scale.end), "data-x0": scale.x0.svg, "data-x1": scale.x1.svg,
                "data-through": ISO8601Timestamp.format(course.through),
            ])
        svg.element("title", text: "ToxWatch course of patient \(course.patientId): requires clinician verification")
        writeDefinitions(&svg)
        svg.element("rect", ["x": "0", "y": "0", "width": Self.width.svg, "height": Self.height.svg, "fill": "#fff"])
        writeHeader(&svg)

        let frames = layout()
        writeTimeGrid(&svg, top: frames.first?.top ?? 0, bottom: frames.last?.bottom ?? 0)
        for frame in frames {
            svg.group(["class": "panel", "data-panel": frame.panel.rawValue]) { svg in
                writePanel(frame, &svg)
            }
        }
        let axisTop = (frames.last?.bottom ?? 0) + 4
        writeTimeAxis(&svg, top: axisTop)
        writeLegend(&svg, top: axisTop + 40)
        writeFooter(&svg)
        svg.close("svg")
        return svg.text
    }

    // MARK: Layout

    /// The horizontal bands of the chart, top to bottom.
    enum Panel: String, CaseIterable {
        case admission, temperature
        case bloodPressure = "blood-pressure"
        case oxygen, vasopressors, neuro, labs, grades, agents
        case advice, shortage

        var title: String {
            switch self {
            case .admission: "Admission"
            case .temperature: "Temperature"
            case .bloodPressure: "Blood pressure"
            case .oxygen: "Oxygen"
            case .vasopressors: "Vasopressors"
            case .neuro: "ICE / CAPD"
            case .labs: "Labs, findings"
            case .grades: "Grades"
            case .agents: "Agents given"
            case .advice: "Anakinra advice"
            case .shortage: "Shortage, stock"
            }
        }
    }

    struct Frame {
        var panel: Panel
        var top: Double
        var height: Double
        var bottom: Double { top + height }
    }

    func layout() -> [Frame] {
        var frames: [Frame] = []
        var top = 70.0
        for panel in Panel.allCases {
            let height: Double =
                switch panel {
                case .admission: 16
                case .temperature: 70
                case .bloodPressure: 70
                case .oxygen: 42
                case .vasopressors: max(1, Double(vasopressorDrugs.count)) * 13 + 4
                case .neuro: 54
                case .labs: 28
                case .grades: 3 * 16 + 4
                case .agents: 4 * 13 + 4
                case .advice: 84
                case .shortage: 24 + max(1, Double(shortDrugs.count)) * 12 + 2
                }
            frames.append(Frame(panel: panel, top: top, height: height))
            top += height + Self.panelGap
        }
        return frames
    }

    private func writePanel(_ frame: Frame, _ svg: inout SVGWriter) {
        svg.element(
            "rect",
            [
                "class": "frame", "x": Self.plotX0.svg, "y": frame.top.svg, "width": (Self.plotX1 - Self.plotX0).svg,
                "height": frame.height.svg,
            ])
        svg.element("text", ["class": "panel-title", "x": "8", "y": (frame.top + 10).svg], text: frame.panel.title)
        switch frame.panel {
        case .admission: writeAdmission(frame, &svg)
        case .temperature: writeTemperature(frame, &svg)
        case .bloodPressure: writeBloodPressure(frame, &svg)
        case .oxygen: writeOxygen(frame, &svg)
        case .vasopressors: writeVasopressors(frame, &svg)
        case .neuro: writeNeuro(frame, &svg)
        case .labs: writeLabs(frame, &svg)
        case .grades: writeGrades(frame, &svg)
        case .agents: writeAgents(frame, &svg)
        case .advice: writeAdvice(frame, &svg)
        case .shortage: writeShortage(frame, &svg)
        }
    }

    // MARK: Frame pieces

    private func writeDefinitions(_ svg: inout SVGWriter) {
        svg.open("defs")
        svg.element(
            "style",
            text: """
                @page { size: A4 landscape; margin: 0; } \
                text { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif; font-size: 8px; fill: #000; } \
                .title { font-size: 17px; font-weight: bold; } .sub { font-size: 10px; } \
                .verify { font-size: 10px; font-weight: bold; } .panel-title { font-size: 9.5px; font-weight: bold; } \
                .unit { font-size: 7.5px; fill: #333; } .tick { font-size: 7.5px; fill: #222; } \
                .small { font-size: 7px; } .strong { font-weight: bold; } \
                .grid { stroke: #d0d0d0; stroke-width: 0.6; } .frame { fill: none; stroke: #888; stroke-width: 0.8; } \
                .threshold { stroke: #000; stroke-width: 1; stroke-dasharray: 5 3; fill: none; } \
                .leader { stroke: #777; stroke-width: 0.6; fill: none; }
                """)
        // Incomplete data: the grade is a lower bound.
        svg.open(
            "pattern",
            [
                "id": "incomplete", "width": "5", "height": "5", "patternUnits": "userSpaceOnUse",
                "patternTransform": "rotate(45)",
            ])
        svg.element("rect", ["width": "5", "height": "5", "fill": "none"])
        svg.element("line", ["x1": "0", "y1": "0", "x2": "0", "y2": "5", "stroke": "#000", "stroke-width": "1.2"])
        svg.close("pattern")
        // Cannot grade: cross-hatched grey, never a grade's colour.
        svg.open("pattern", ["id": "cannot-grade", "width": "6", "height": "6", "patternUnits": "userSpaceOnUse"])
        svg.element("rect", ["width": "6", "height": "6", "fill": "#e6e6e6"])
        svg.element("path", ["d": "M0,0 L6,6 M6,0 L0,6", "stroke": "#000", "stroke-width": "0.8"])
        svg.close("pattern")
        // Vasopressor infusions.
        svg.open(
            "pattern",
            [
                "id": "vasopressor", "width": "4", "height": "4", "patternUnits": "userSpaceOnUse",
                "patternTransform": "rotate(-45)",
            ])
        svg.element("rect", ["width": "4", "height": "4", "fill": ChartColors.orangeLight])
        svg.element(
            "line", ["x1": "0", "y1": "0", "x2": "0", "y2": "4", "stroke": ChartColors.orange, "stroke-width": "1.6"])
        svg.close("pattern")
        svg.close("defs")
    }

    private func writeHeader(_ svg: inout SVGWriter) {
        svg.element(
            "text", ["class": "title", "x": "8", "y": "22"], text: "ToxWatch course: patient \(course.patientId)")
        var facts: [String] = []
        if let protocolId = course.protocolId ?? admissionProtocol { facts.append("protocol \(protocolId)") }
        if let infusion = course.infusion {
            facts.append(
                "infusion \(ChartTimeScale.fullClock(infusion.infusedAt)) (\(infusion.product), \(infusion.target))")
        } else {
            facts.append("no infusion recorded: hours count from the first event")
        }
        if let age = timeline.age(at: course.through) { facts.append("age \(age.completedYears) y") }
        if let weight = course.weightKg { facts.append("\(number(weight)) kg") }
        facts.append("through \(ChartTimeScale.fullClock(course.through))")
        facts.append("\(course.events.count) events, \(course.outputs.count) outputs (\(course.origin))")
        svg.element("text", ["class": "sub", "x": "8", "y": "40"], text: facts.joined(separator: " · "))
        svg.element(
            "text", ["class": "verify", "x": "8", "y": "56", "data-verification": "required"],
            text: "Requires clinician verification: every grade and recommendation shown is decision support for a "
                + "clinician and a pharmacist to verify, never an order.")
    }

    private var admissionProtocol: String? {
        for event in course.events.reversed() {
            if case .patient(let patient) = event, let id = patient.protocolId { return id }
        }
        return nil
    }

    private func writeTimeGrid(_ svg: inout SVGWriter, top: Double, bottom: Double) {
        svg.group(["class": "time-grid"]) { svg in
            for tick in scale.ticks {
                let x = scale.x(tick)
                svg.element("line", ["class": "grid", "x1": x.svg, "y1": top.svg, "x2": x.svg, "y2": bottom.svg])
            }
            if let infusion = course.infusion, infusion.infusedAt >= scale.start, infusion.infusedAt <= scale.end {
                let x = scale.x(infusion.infusedAt)
                svg.element(
                    "line",
                    [
                        "x1": x.svg, "y1": top.svg, "x2": x.svg, "y2": bottom.svg, "stroke": "#000",
                        "stroke-width": "1", "stroke-dasharray": "2 2",
                    ])
            }
        }
    }

    private func writeTimeAxis(_ svg: inout SVGWriter, top: Double) {
        svg.group(["class": "time-axis", "data-tick-hours": String(scale.tickHours)]) { svg in
            svg.element(
                "text", ["class": "unit", "x": "8", "y": (top + 10).svg],
                text: scale.referenceIsInfusion ? "hours since infusion" : "hours since first event")
            svg.element("text", ["class": "unit", "x": "8", "y": (top + 22).svg], text: "clock time (UTC)")
            for tick in scale.ticks {
                let x = scale.x(tick)
                svg.element(
                    "line",
                    [
                        "x1": x.svg, "y1": (top - 4).svg, "x2": x.svg, "y2": top.svg, "stroke": "#000",
                        "stroke-width": "0.8",
                    ])
                svg.element(
                    "text", ["class": "tick strong", "x": x.svg, "y": (top + 10).svg, "text-anchor": "middle"],
                    text: scale.hoursLabel(tick))
                svg.element(
                    "text", ["class": "tick", "x": x.svg, "y": (top + 22).svg, "text-anchor": "middle"],
                    text: ChartTimeScale.clock(tick))
            }
        }
    }

    private func writeFooter(_ svg: inout SVGWriter) {
        svg.element(
            "text", ["class": "small", "x": "8", "y": (Self.height - 6).svg],
            text: "ToxWatch `toxctl chart` · shapes and patterns carry every meaning (colour is only an aid) · "
                + "times in UTC · prints on A4 landscape · requires clinician verification")
    }

    // MARK: Helpers shared by the panels

    /// `38.7`, `56`, `0.5`: at most one decimal, none when whole.
    func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    /// The width of a text at a font size, estimated (no font metrics in an SVG writer).
    static func textWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.56
    }

    /// `text`, shortened with an ellipsis to fit `width` at `fontSize`.
    static func fitted(_ text: String, width: Double, fontSize: Double) -> String {
        guard textWidth(text, fontSize: fontSize) > width else { return text }
        let characters = max(0, Int(width / (fontSize * 0.56)) - 1)
        return characters == 0 ? "" : String(text.prefix(characters)) + "…"
    }

    /// The right edge labels may reach (the page margin beyond the plot).
    static let labelLimit = width - 6

    /// The vasopressor and inotrope drugs given, in a fixed order.
    var vasopressorDrugs: [Drug] {
        let given = Set(
            course.events.compactMap { event -> Drug? in
                if case .medication(let medication) = event, Self.vasoactive.contains(medication.drug) {
                    return medication.drug
                }
                return nil
            })
        return Self.vasoactive.filter(given.contains)
    }

    /// Drugs drawn as infusion bars (vasopressors; inotropes, labelled as not counted).
    static let vasoactive: [Drug] = [
        .norepinephrine, .epinephrine, .dopamine, .phenylephrine, .vasopressin, .dobutamine, .milrinone,
    ]

    /// Greedy placement of labels on a few lanes: the first lane whose last label ends before `x`;
    /// if none, the lane that ends first, with the label pushed right (a leader line shows where it
    /// belongs). A label that would run past `limit` moves left as far as its lane allows, and is
    /// given less width if it still does not fit (the caller shortens the text to ``Placement/width``).
    struct LaneAllocator {
        private var ends: [Double]

        struct Placement {
            var lane: Int
            var x: Double
            var width: Double
        }

        init(lanes: Int) {
            ends = Array(repeating: -Double.infinity, count: max(1, lanes))
        }

        mutating func place(x: Double, width: Double, gap: Double = 4, limit: Double = .infinity) -> Placement {
            let lane = ends.firstIndex { $0 + gap <= x } ?? ends.indices.min { ends[$0] < ends[$1] } ?? 0
            var placed = max(x, ends[lane] + gap)
            if placed + width > limit { placed = max(ends[lane] + gap, limit - width) }
            let fitted = min(width, max(0, limit - placed))
            ends[lane] = placed + fitted
            return Placement(lane: lane, x: placed, width: fitted)
        }

        /// Whether a label fits on `lane` at `x` without moving; records it if so.
        mutating func fits(lane: Int, x: Double, width: Double, gap: Double = 3) -> Bool {
            guard ends[lane] + gap <= x else { return false }
            ends[lane] = x + width
            return true
        }
    }
}

/// The chart's colours: Okabe and Ito's colour-blind-safe set, and a light-to-dark ramp for grades
/// (its lightness alone orders the grades in greyscale).
enum ChartColors {
    static let black = "#000000"
    static let orange = "#E69F00"
    static let orangeLight = "#F8E1A8"
    static let skyBlue = "#56B4E9"
    static let green = "#009E73"
    static let blue = "#0072B2"
    static let vermillion = "#D55E00"
    static let purple = "#CC79A7"
    static let grey = "#666666"

    /// Fill of a grade band, 0 (white) to 5 (black).
    static func grade(_ grade: Int) -> String {
        ["#FFFFFF", "#FEE391", "#FE9929", "#CC4C02", "#662506", "#000000"][min(5, max(0, grade))]
    }

    /// Text colour readable on ``grade(_:)``.
    static func gradeText(_ grade: Int) -> String { grade >= 3 ? "#FFFFFF" : "#000000" }
}
