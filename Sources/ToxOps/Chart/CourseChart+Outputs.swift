import Foundation
import ToxWatchContract
import ToxicityRules

// What ToxWatch published (grades, anakinra advice, shortage advice) and the agents given.
extension CourseChart {
    // MARK: Grades

    func writeGrades(_ frame: Frame, _ svg: inout SVGWriter) {
        let records = course.outputs.compactMap { if case .grades(let g) = $0 { g } else { nil } }
        let provisional = records.contains { $0.iecHs.provisional == true }
        let rows: [(name: String, series: String, state: KeyPath<GradesRecord, GradeState>)] = [
            ("CRS", "crs", \.crs), ("ICANS", "icans", \.icans),
            (provisional ? "IEC-HS (provisional)" : "IEC-HS", "iec-hs", \.iecHs),
        ]
        for (row, grade) in rows.enumerated() {
            let top = frame.top + 3 + Double(row) * 16
            let height = 13.0
            svg.element(
                "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (top + 9).svg, "text-anchor": "end"],
                text: grade.name)
            let firstX = records.first.map { scale.x($0.assessedAt) } ?? Self.plotX1
            if firstX - Self.plotX0 > 70 {
                svg.element(
                    "text", ["class": "small", "x": (Self.plotX0 + 3).svg, "y": (top + 9).svg, "fill": "#555"],
                    text: records.isEmpty ? "no grade published" : "no grade published yet")
            }
            var previous: GradeState?
            for (index, record) in records.enumerated() {
                let state = record[keyPath: grade.state]
                let x0 = scale.x(record.assessedAt)
                let x1 = index + 1 < records.count ? scale.x(records[index + 1].assessedAt) : scale.x(course.through)
                writeGradeBand(
                    record, state, series: grade.series, name: grade.name, x0: x0, x1: x1, top: top, height: height,
                    &svg)
                let changed = previous.map { $0.grade != state.grade || $0.isIncomplete != state.isIncomplete } ?? true
                let text = Self.gradeText(state, width: x1 - x0)
                if changed, Self.textWidth(text, fontSize: 8.5) + 2 <= x1 - x0 {
                    if state.grade == nil || state.isIncomplete {
                        // A white ground keeps the label readable over the hatching.
                        svg.element(
                            "rect",
                            [
                                "x": (x0 + 1).svg, "y": (top + 2).svg,
                                "width": (Self.textWidth(text, fontSize: 8.5) + 2).svg, "height": "9",
                                "fill": "#fff", "opacity": "0.85",
                            ])
                    }
                    svg.element(
                        "text",
                        [
                            "class": "strong", "x": (x0 + 2).svg, "y": (top + 9.5).svg, "font-size": "8.5px",
                            "fill": state.isIncomplete ? "#000" : state.grade.map(ChartColors.gradeText) ?? "#000",
                        ],
                        text: text)
                }
                previous = state
            }
        }
    }

    private func writeGradeBand(
        _ record: GradesRecord, _ state: GradeState, series: String, name: String, x0: Double, x1: Double, top: Double,
        height: Double, _ svg: inout SVGWriter
    ) {
        let status = state.grade == nil ? "cannot-grade" : state.isIncomplete ? "incomplete" : "graded"
        var data = MarkData.output(
            record.id, record.assessedAt, kind: "toxicity-grades", series: series,
            value: state.grade.map(String.init) ?? "null")
        data.extra = [("data-state", status)]
        let fill = state.grade.map(ChartColors.grade) ?? "url(#cannot-grade)"
        svg.open(
            "rect",
            SVGWriter.rectAttributes(
                data, x: x0, y: top, width: x1 - x0, height: height, style: ["fill": fill, "stroke": "none"]))
        var title = "\(name) "
        if let grade = state.grade {
            title += state.isIncomplete ? "at least \(grade) (incomplete data)" : "grade \(grade)"
        } else {
            title += "cannot be graded"
            if let last = state.lastGraded {
                title += "; last graded \(last.grade) at \(ChartTimeScale.fullClock(last.at))"
            }
        }
        if let maximum = state.maxGrade { title += ", episode maximum \(maximum)" }
        if let present = state.present { title += present ? ", criteria met" : ", criteria not met" }
        title += " from \(ChartTimeScale.fullClock(record.assessedAt))"
        if let reason = state.decidingReason { title += "; reason \(reason)" }
        svg.element("title", text: title)
        svg.close("rect")
        if state.isIncomplete, state.grade != nil {
            svg.element(
                "rect",
                [
                    "x": x0.svg, "y": top.svg, "width": max(0, x1 - x0).svg, "height": height.svg,
                    "fill": "url(#incomplete)", "opacity": "0.55",
                ])
        }
        // The band's start: a tick, so each published output shows even when the grade is unchanged.
        svg.element("path", ["d": "M\(x0.svg),\(top.svg) v\(height.svg)", "stroke": "#000", "stroke-width": "0.5"])
    }

    /// `3`, `≥ 1` (incomplete data), `? cannot grade (last 2)`, shortened to fit.
    static func gradeText(_ state: GradeState, width: Double) -> String {
        guard let grade = state.grade else {
            let long = "cannot grade" + (state.lastGraded.map { " (last \($0.grade))" } ?? "")
            return textWidth(long, fontSize: 8.5) + 4 <= width ? long : "?"
        }
        return state.isIncomplete ? "≥\(grade)" : String(grade)
    }

    // MARK: Agents given

    enum AgentRow: Int, CaseIterable {
        case tocilizumab, corticosteroid, anakinra, other

        var title: String {
            switch self {
            case .tocilizumab: "tocilizumab"
            case .corticosteroid: "corticosteroid"
            case .anakinra: "anakinra"
            case .other: "other agents"
            }
        }

        /// Filled, hollow (ordered) shapes and the colour of the row.
        var shapes: (given: ChartShape, ordered: ChartShape, color: String) {
            switch self {
            case .tocilizumab: (.triangleUp, .hollowTriangleUp, ChartColors.blue)
            case .corticosteroid: (.square, .hollowSquare, ChartColors.orange)
            case .anakinra: (.circle, .hollowCircle, ChartColors.green)
            case .other: (.diamond, .hollowDiamond, ChartColors.grey)
            }
        }

        init(_ drug: Drug) {
            switch drug {
            case .tocilizumab: self = .tocilizumab
            case .dexamethasone, .methylprednisolone, .prednisolone, .hydrocortisone: self = .corticosteroid
            case .anakinra: self = .anakinra
            default: self = .other
            }
        }
    }

    func writeAgents(_ frame: Frame, _ svg: inout SVGWriter) {
        for row in AgentRow.allCases {
            let y = frame.top + 8 + Double(row.rawValue) * 13
            svg.element(
                "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (y + 2.5).svg, "text-anchor": "end"],
                text: row.title)
        }
        let medications = course.events.compactMap { event -> MedicationEvent? in
            guard case .medication(let medication) = event, !Self.vasoactive.contains(medication.drug) else {
                return nil
            }
            return medication
        }
        var lanes = LaneAllocator(lanes: AgentRow.allCases.count)
        for (index, medication) in medications.enumerated() {
            let row = AgentRow(medication.drug)
            let x = scale.x(medication.occurredAt)
            let y = frame.top + 8 + Double(row.rawValue) * 13
            let shape: ChartShape =
                switch medication.action {
                case .ordered: row.shapes.ordered
                case .discontinued, .infusionStopped: .cross
                case .administered, .infusionStarted, .infusionRateChanged: row.shapes.given
                }
            let dose = medication.doseMg.map { "\(number($0)) mg" }
            let described =
                ([medication.drug.name, medication.action.rawValue, dose, medication.route?.rawValue].compactMap { $0 })
                .joined(separator: " ")
            svg.mark(
                .event(
                    medication.eventId, medication.occurredAt, kind: "medication", series: row.title,
                    value: medication.drug.name),
                x: x, y: y, shape: shape, size: 3, color: row.shapes.color,
                title: "\(ChartTimeScale.fullClock(medication.occurredAt)) \(described)")
            // A label only where it ends before the row's next mark.
            let nextX =
                medications[(index + 1)...].first { AgentRow($0.drug) == row }.map { scale.x($0.occurredAt) - 4 }
                ?? Self.labelLimit
            let label =
                row == .tocilizumab || row == .anakinra
                ? dose ?? "" : ([medication.drug.name, dose].compactMap { $0 }).joined(separator: " ")
            let width = Self.textWidth(label, fontSize: 7)
            if !label.isEmpty, x + 5 + width <= nextX, lanes.fits(lane: row.rawValue, x: x + 5, width: width) {
                svg.element("text", ["class": "small", "x": (x + 5).svg, "y": (y + 2.5).svg], text: label)
            }
        }
    }

    // MARK: Anakinra advice

    static func adviceShape(_ action: String) -> ChartShape {
        switch action {
        case "start": .triangleUp
        case "escalate": .doubleTriangleUp
        case "continue": .circle
        case "taper": .triangleDown
        case "stop": .square
        case "hold": .pause
        default: .hollowCircle
        }
    }

    func writeAdvice(_ frame: Frame, _ svg: inout SVGWriter) {
        let markerY = frame.top + 8
        var lanes = LaneAllocator(lanes: 3)
        let records = course.outputs.compactMap { if case .recommendation(let r) = $0 { r } else { nil } }
        if records.isEmpty {
            svg.element(
                "text", ["class": "small", "x": (Self.plotX0 + 4).svg, "y": (markerY + 2.5).svg],
                text: "no recommendation published")
        }
        for record in records {
            let x = scale.x(record.assessedAt)
            let headline =
                ([record.action.uppercased(), record.doseText, record.dailyMg.map { "· \($0) mg/day" }].compactMap {
                    $0
                })
                .joined(separator: " ")
            let why = "why: \(record.decidingReason ?? "no reason given")"
            var data = MarkData.output(
                record.id, record.assessedAt, kind: "anakinra-recommendation", series: record.action,
                value: record.doseText)
            data.extra = [("data-reason", record.decidingReason ?? "")]
            var title = "\(ChartTimeScale.fullClock(record.assessedAt)) \(headline); \(why)"
            if !record.warnings.isEmpty { title += "; warnings: \(record.warnings.joined(separator: ", "))" }
            if !record.alerts.isEmpty { title += "; alerts: \(record.alerts.joined(separator: ", "))" }
            if let due = record.nextDoseDueAt { title += "; next dose due \(ChartTimeScale.fullClock(due))" }
            svg.mark(
                data, x: x, y: markerY, shape: Self.adviceShape(record.action), size: 3.6, color: ChartColors.black,
                title: title)
            let width = max(Self.textWidth(headline, fontSize: 8), Self.textWidth(why, fontSize: 7))
            let placed = lanes.place(x: x - 2, width: width, gap: 6, limit: Self.labelLimit)
            let labelTop = frame.top + 22 + Double(placed.lane) * 21
            svg.element(
                "path",
                ["class": "leader", "d": "M\(x.svg),\((markerY + 4).svg) L\((placed.x + 1).svg),\((labelTop - 7).svg)"])
            svg.group(["data-label-for": record.id]) { svg in
                svg.element(
                    "text", ["class": "strong", "x": placed.x.svg, "y": labelTop.svg],
                    text: Self.fitted(headline, width: placed.width, fontSize: 8))
                svg.element(
                    "text", ["class": "small", "x": placed.x.svg, "y": (labelTop + 9).svg],
                    text: Self.fitted(why, width: placed.width, fontSize: 7))
            }
        }
    }

    // MARK: Shortage advice and stock

    /// The short drugs the shortage advice is about, in order of first advice.
    var shortDrugs: [String] {
        var drugs: [String] = []
        for case .shortage(let record) in course.outputs where !drugs.contains(record.shortDrug) {
            drugs.append(record.shortDrug)
        }
        return drugs
    }

    /// A row of stock records, then one row per short drug: the advice as a band from each record to
    /// the next one about the drug (hatched while alternatives are offered), each record a mark, and
    /// the alternatives written out when they change.
    func writeShortage(_ frame: Frame, _ svg: inout SVGWriter) {
        let stockY = frame.top + 7
        svg.element(
            "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (stockY + 2.5).svg, "text-anchor": "end"],
            text: "stock")
        let stock = course.inventory.filter { event in course.site.map { $0 == event.site } ?? true }
        var stockLabels = LaneAllocator(lanes: 1)
        for (index, event) in stock.enumerated() {
            let x = scale.x(event.occurredAt)
            let label =
                "\(event.site)/\(event.drug.name): \(event.status.rawValue)"
                + (event.unitsOnHand.map { " (\($0) units)" } ?? "")
            svg.mark(
                .event(
                    event.eventId, event.occurredAt, kind: "inventory", series: event.drug.name,
                    value: event.status.rawValue),
                x: x, y: stockY, shape: .hollowTriangleDown, size: 3, color: ChartColors.black,
                title: "\(ChartTimeScale.fullClock(event.occurredAt)) stock \(label)")
            let nextX = stock.dropFirst(index + 1).first.map { scale.x($0.occurredAt) - 4 } ?? Self.labelLimit
            let width = Self.textWidth(label, fontSize: 7)
            if x + 5 + width <= nextX, stockLabels.fits(lane: 0, x: x + 5, width: width) {
                svg.element("text", ["class": "small", "x": (x + 5).svg, "y": (stockY + 2.5).svg], text: label)
            }
        }
        let drugs = shortDrugs
        if drugs.isEmpty {
            svg.element(
                "text", ["class": "small", "x": (Self.plotX0 + 4).svg, "y": (stockY + 14.5).svg],
                text: "no shortage advice")
        }
        var labels = LaneAllocator(lanes: 1)
        let labelY = frame.bottom - 4
        for (row, drug) in drugs.enumerated() {
            let y = frame.top + 19 + Double(row) * 12
            svg.element(
                "text", ["class": "tick", "x": (Self.plotX0 - 3).svg, "y": (y + 2.5).svg, "text-anchor": "end"],
                text: "\(drug) advice")
            let records = course.outputs.compactMap { output -> ShortageRecord? in
                if case .shortage(let record) = output, record.shortDrug == drug { return record }
                return nil
            }
            var previous: String?
            for (index, record) in records.enumerated() {
                let x = scale.x(record.assessedAt)
                let offered = record.cause != "no-longer-needed"
                let summary = Self.shortageSummary(record, number: number)
                if offered {
                    let end =
                        index + 1 < records.count ? scale.x(records[index + 1].assessedAt) : scale.x(course.through)
                    svg.element(
                        "rect",
                        [
                            "x": x.svg, "y": (y - 4).svg, "width": max(0, end - x).svg, "height": "8",
                            "fill": "url(#vasopressor)",
                            "opacity": "0.6",
                        ])
                }
                var data = MarkData.output(
                    record.id, record.assessedAt, kind: "shortage-alternative", series: drug, value: record.cause)
                data.extra = [("data-site", record.site ?? "")]
                svg.mark(
                    data, x: x, y: y, shape: offered ? .diamond : .hollowDiamond, size: 3,
                    color: ChartColors.vermillion,
                    title: "\(ChartTimeScale.fullClock(record.assessedAt)) shortage advice: \(summary)")
                if offered, summary != previous {
                    let placed = labels.place(
                        x: x - 2, width: Self.textWidth(summary, fontSize: 7), gap: 6, limit: Self.labelLimit)
                    if placed.x > x + 1 {
                        svg.element(
                            "path",
                            [
                                "class": "leader",
                                "d": "M\(x.svg),\((y + 3).svg) L\((placed.x + 1).svg),\((labelY - 6).svg)",
                            ])
                    }
                    svg.element(
                        "text", ["class": "small", "x": placed.x.svg, "y": labelY.svg],
                        text: Self.fitted(summary, width: placed.width, fontSize: 7))
                }
                if offered { previous = summary }
            }
        }
    }

    /// `tocilizumab shortage at main → 1. anakinra 56 mg, 2. …; need 336 mg/24 h`, or `… no longer needed`.
    static func shortageSummary(_ record: ShortageRecord, number: (Double) -> String) -> String {
        guard record.cause != "no-longer-needed" else { return "\(record.shortDrug) no longer needed" }
        let options = record.alternatives.sorted { $0.rank < $1.rank }.map { option in
            "\(option.rank). \(option.drug)" + (option.mg.map { " \(number($0)) mg" } ?? "")
        }
        let need = record.needMg.map { "; need \(number($0)) mg/24 h" } ?? ""
        let place = record.site.map { " at \($0)" } ?? ""
        return
            "\(record.shortDrug) \(record.status ?? record.cause)\(place) → \(options.joined(separator: ", "))\(need)"
    }
}
