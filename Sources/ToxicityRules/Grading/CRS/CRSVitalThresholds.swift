import Foundation

// The vital-sign scales CRS is graded on: oxygen tiers and age-based hypotension (clinical-spec A2,
// Part B §3 and §5).

/// The ASTCT oxygen tier: 1 none (room air), 2 low flow or blow-by, 3 high flow or mask, 4
/// positive pressure.
struct OxygenClassification: Hashable, Sendable {
    var tier: Int
    var isMask: Bool
    var deviceFlowConflict: Bool
    var flowMissing: Bool
    /// The device was not charted (`unknown`): the flow alone decided the tier.
    var deviceUnknown = false
    /// Whether the classification compared the flow with the low-flow maximum.
    var comparedFlow: Bool

    static let lowFlowMaximum: Double = 6.0

    init(_ support: OxygenSupport) {
        deviceFlowConflict = false
        flowMissing = false
        comparedFlow = false
        isMask = false
        switch support.device {
        case .roomAir:
            tier = 1
        case .blowBy:
            tier = 2
        case .lowFlowNasalCannula, .highFlowNasalCannula:
            let deviceSaysHigh = support.device == .highFlowNasalCannula
            if let flow = support.flowLPerMin {
                comparedFlow = true
                let high = flow > Self.lowFlowMaximum
                tier = high ? 3 : 2
                deviceFlowConflict = high != deviceSaysHigh
            } else {
                flowMissing = true
                tier = deviceSaysHigh ? 3 : 2
            }
        case .simpleFaceMask, .nonRebreather, .venturiMask:
            tier = 3
            isMask = true
        case .cpap, .bipap, .mechanicalVentilation:
            tier = 4
        case .unknown:
            // Graded as a cannula would be: ≤ 6 L/min low flow, above high flow; no flow, no oxygen.
            deviceUnknown = true
            if let flow = support.flowLPerMin {
                comparedFlow = true
                tier = flow > Self.lowFlowMaximum ? 3 : flow > 0 ? 2 : 1
            } else {
                flowMissing = true
                tier = 2
            }
        }
    }

    var code: ReasonCode {
        switch tier {
        case 1: .roomAir
        case 2: .lowFlowOxygen
        case 3: isMask ? .maskOxygen : .highFlowOxygen
        default: .positivePressure
        }
    }
}

/// Systolic blood pressure below which a patient of this age is hypotensive (Part B §5, PALS):
/// < 60 for 0–28 days, < 70 for 1–12 months, < 70 + 2 × completed years for 1–10 years, < 90
/// above 10 years.
func systolicHypotensionThreshold(for age: PatientAge) -> Double {
    if age.completedYears >= 1 {
        return age.completedYears <= 10 ? 70 + 2 * Double(age.completedYears) : 90
    }
    return age.completedDays <= 28 ? 60 : 70
}

/// The lowest threshold of every age band: a systolic pressure below it is hypotension at any age.
let ageIndependentSystolicThreshold: Double = 60
