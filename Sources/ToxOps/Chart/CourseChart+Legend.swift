import Foundation

// The legend: every shape, line and pattern of the chart and what it means.
extension CourseChart {
    func writeLegend(_ svg: inout SVGWriter, top: Double) {
        svg.group(["class": "legend"]) { svg in
            svg.element("text", ["class": "panel-title", "x": "8", "y": top.svg], text: "Legend")
            let columns: [(title: String, x: Double, items: [(LegendSample, String)])] = [
                (
                    "Findings", 8,
                    [
                        (.shape(.circle, ChartColors.vermillion), "temperature (hollow below 38.0 °C)"),
                        (.shape(.circle, ChartColors.blue), "systolic BP   ◇ mean arterial pressure"),
                        (.dashed, "threshold: fever, hypotension for age, ICANS grade"),
                        (.shape(.square, ChartColors.green), "oxygen tier (step line), flow in L/min"),
                        (.vasopressor, "vasopressor infusion; ▶ still running, | stopped"),
                        (.shape(.triangleUp, ChartColors.skyBlue), "ICE / CAPD score   △ assessment, no score"),
                        (.shape(.circle, ChartColors.grey), "lab   ◆ finding   □ admission"),
                        (.infusion, "the infusion (hour 0)"),
                    ]
                ),
                (
                    "Grades (bands from each published output)", 300,
                    [
                        (.grades, "grade 0 to 4, darker is worse; the number is printed"),
                        (.incomplete, "≥ n: incomplete data, the grade is a lower bound"),
                        (.cannotGrade, "cannot grade (never drawn as 0); last grade in the tooltip"),
                        (.blank, "no grade published yet"),
                        (.tick, "a tick: a grades output was published here"),
                    ]
                ),
                (
                    "Agents given", 600,
                    [
                        (.shape(.triangleUp, ChartColors.blue), "tocilizumab"),
                        (.shape(.square, ChartColors.orange), "corticosteroid"),
                        (.shape(.circle, ChartColors.green), "anakinra"),
                        (.shape(.diamond, ChartColors.grey), "other agent"),
                        (.shape(.hollowCircle, ChartColors.black), "hollow: ordered   × discontinued or stopped"),
                    ]
                ),
                (
                    "ToxWatch advice (requires clinician verification)", 860,
                    [
                        (.shape(.triangleUp, ChartColors.black), "start   ▼ taper   ■ stop   ○ none"),
                        (.shape(.doubleTriangleUp, ChartColors.black), "escalate   ● continue"),
                        (.shape(.pause, ChartColors.black), "hold"),
                        (.none, "label: action, dose, why = the reason that decided it"),
                        (
                            .shape(.diamond, ChartColors.vermillion),
                            "shortage advice (band while offered)   ◇ no longer needed   ▽ stock"
                        ),
                    ]
                ),
            ]
            for column in columns {
                svg.element("text", ["class": "strong", "x": column.x.svg, "y": (top + 13).svg], text: column.title)
                for (row, item) in column.items.enumerated() {
                    let y = top + 25 + Double(row) * 11
                    item.0.draw(&svg, x: column.x + 8, y: y)
                    svg.element("text", ["x": (column.x + 24).svg, "y": (y + 3).svg], text: item.1)
                }
            }
        }
    }
}

/// A sample drawn in front of a legend entry.
enum LegendSample {
    case shape(ChartShape, String)
    case dashed, infusion, vasopressor, grades, incomplete, cannotGrade, blank, tick, none

    func draw(_ svg: inout SVGWriter, x: Double, y: Double) {
        switch self {
        case .shape(let shape, let color):
            svg.group(["transform": "translate(\(x.svg),\(y.svg))"]) { svg in shape.draw(&svg, size: 3, color: color) }
        case .dashed:
            svg.element("path", ["class": "threshold", "d": "M\((x - 8).svg),\(y.svg) h16"])
        case .infusion:
            svg.element(
                "path",
                ["d": "M\(x.svg),\((y - 5).svg) v10", "stroke": "#000", "stroke-width": "1", "stroke-dasharray": "2 2"])
        case .vasopressor:
            svg.element(
                "rect",
                [
                    "x": (x - 8).svg, "y": (y - 4).svg, "width": "16", "height": "8", "fill": "url(#vasopressor)",
                    "stroke": "#000", "stroke-width": "0.6",
                ])
        case .grades:
            for grade in 0...4 {
                let left = x - 8 + Double(grade) * 4 - 6
                svg.element(
                    "rect",
                    [
                        "x": left.svg, "y": (y - 4).svg, "width": "4", "height": "8", "fill": ChartColors.grade(grade),
                        "stroke": "#000", "stroke-width": "0.3",
                    ])
            }
        case .incomplete:
            svg.element(
                "rect",
                [
                    "x": (x - 8).svg, "y": (y - 4).svg, "width": "16", "height": "8", "fill": ChartColors.grade(1),
                    "stroke": "#000", "stroke-width": "0.3",
                ])
            svg.element(
                "rect",
                [
                    "x": (x - 8).svg, "y": (y - 4).svg, "width": "16", "height": "8", "fill": "url(#incomplete)",
                    "opacity": "0.55",
                ])
        case .cannotGrade:
            svg.element(
                "rect",
                [
                    "x": (x - 8).svg, "y": (y - 4).svg, "width": "16", "height": "8", "fill": "url(#cannot-grade)",
                    "stroke": "#000", "stroke-width": "0.3",
                ])
        case .blank:
            svg.element(
                "rect",
                [
                    "x": (x - 8).svg, "y": (y - 4).svg, "width": "16", "height": "8", "fill": "#fff", "stroke": "#888",
                    "stroke-width": "0.6",
                ])
        case .tick:
            svg.element("path", ["d": "M\(x.svg),\((y - 4).svg) v8", "stroke": "#000", "stroke-width": "0.8"])
        case .none:
            break
        }
    }
}
