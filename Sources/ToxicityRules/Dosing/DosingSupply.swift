package import Foundation

// Syringe, volume and next-24-hour supply arithmetic for anakinra (A10 site summary).

/// How much anakinra a regimen needs.
package struct SupplyNeed: Sendable, Hashable, CustomStringConvertible {
    /// Doses due in the window.
    package var doses: Int
    /// Total mg of those doses.
    package var mg: Int
    /// 100 mg syringes: each dose uses its own (single-dose syringes, the rest is discarded).
    package var syringes: Int

    package init(doses: Int, mg: Int, syringes: Int) {
        self.doses = doses
        self.mg = mg
        self.syringes = syringes
    }

    package static let none = SupplyNeed(doses: 0, mg: 0, syringes: 0)

    package static func + (lhs: SupplyNeed, rhs: SupplyNeed) -> SupplyNeed {
        SupplyNeed(doses: lhs.doses + rhs.doses, mg: lhs.mg + rhs.mg, syringes: lhs.syringes + rhs.syringes)
    }

    package var description: String { "\(doses) doses, \(mg) mg, \(syringes) syringes" }
}

/// Syringe and volume arithmetic (Kineret 100 mg/0.67 mL prefilled syringe, 150 mg/mL).
package enum AnakinraSupply {
    /// 100 mg syringes needed for one dose: ⌈mg ÷ 100⌉ (0 for 0 mg).
    package static func syringesPerDose(mg: Int) -> Int {
        guard mg > 0 else { return 0 }
        return Int((ExactAmount(mg) / AnakinraProduct.syringeMg).ceiling)
    }

    /// The volume of `mg` at 150 mg/mL, exact (16 mg → 0.10666… mL; display with 3 places).
    package static func volumeML(mg: Int) -> ExactAmount {
        ExactAmount(mg) / AnakinraProduct.mgPerML
    }

    /// Doses due in the 24 hours from `now`, with mg and syringes.
    ///
    /// Doses fall at `nextDoseDueAt` and every interval after it; a dose due before `now`
    /// (overdue) counts as due now. With no next dose time the first dose is due now.
    /// - Parameters:
    ///   - mgPerDose: Whole mg per dose.
    ///   - frequency: The dosing interval.
    ///   - nextDoseDueAt: When the next dose is due, if known.
    ///   - now: The start of the window.
    package static func next24HourNeed(
        mgPerDose: Int,
        frequency: DoseFrequency,
        nextDoseDueAt: Date?,
        now: Date
    ) -> SupplyNeed {
        guard mgPerDose > 0 else { return .none }
        let windowSeconds = 24 * 3600
        let interval = frequency.intervalHours * 3600
        // Whole seconds: the window is hours long, sub-second differences do not matter.
        let firstOffset = max(0, Int((nextDoseDueAt?.timeIntervalSince(now) ?? 0).rounded(.down)))
        guard firstOffset < windowSeconds else { return .none }
        let doses = 1 + (windowSeconds - 1 - firstOffset) / interval
        return SupplyNeed(doses: doses, mg: doses * mgPerDose, syringes: doses * syringesPerDose(mg: mgPerDose))
    }
}
