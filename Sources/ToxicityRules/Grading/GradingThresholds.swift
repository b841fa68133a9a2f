import Foundation

/// The thresholds the grading rules compare findings with, for displays that draw them beside the
/// findings (`toxctl chart`). Each forwards to the function the rules themselves call, so a chart
/// never draws a threshold the engine does not use.
package enum GradingThresholds {
    /// Fever: a temperature at or above this (°C) is a fever (A2, ASTCT 2019).
    package static let feverC: Double = 38.0

    /// The systolic pressure below which a patient of this age is hypotensive (PALS, Part B §5).
    package static func systolicHypotension(for age: PatientAge) -> Double {
        systolicHypotensionThreshold(for: age)
    }

    /// The systolic pressure below which a patient of unknown age is hypotensive (the lowest band).
    package static let systolicHypotensionAnyAge: Double = ageIndependentSystolicThreshold

    /// The ASTCT oxygen tier of a support: 1 room air, 2 low flow or blow-by, 3 high flow or mask,
    /// 4 positive pressure (the device and flow as the CRS rule classifies them).
    package static func oxygenTier(_ support: OxygenSupport) -> Int {
        OxygenClassification(support).tier
    }

    /// The ICANS encephalopathy grade of an ICE score (A3).
    package static func iceGrade(score: Int) -> Int {
        ToxicityRules.iceGrade(score)
    }

    /// The ICANS encephalopathy grade of a CAPD score (A3).
    package static func capdGrade(score: Int) -> Int {
        ToxicityRules.capdGrade(score)
    }

    /// Scores 0...`maximum` grouped into runs of the same grade, lowest score first: where a chart
    /// draws a grade boundary.
    package static func gradeBands(maximum: Int, grade: (Int) -> Int) -> [(scores: ClosedRange<Int>, grade: Int)] {
        var bands: [(scores: ClosedRange<Int>, grade: Int)] = []
        for score in 0...max(0, maximum) {
            let g = grade(score)
            if let last = bands.last, last.grade == g {
                bands[bands.count - 1].scores = last.scores.lowerBound...score
            } else {
                bands.append((score...score, g))
            }
        }
        return bands
    }
}
