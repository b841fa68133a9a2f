import Foundation
import ToxWatchContract
import ToxicityRules

/// How one simulated patient's course goes: who they are, and whether and when CRS and ICANS come.
struct PatientScenario: Sendable {
    var ageYears: Double
    var useBirthDate: Bool
    var sex: Sex
    var weightKg: Double
    var heightCm: Double
    var allergies: [String]
    var product: (name: String, target: String)
    var protocolId: String?
    var site: String
    var baselineFerritin: Double
    /// 0 when the patient never develops CRS.
    var crsGrade: Int
    var crsOnsetHours: Double
    var crsDurationHours: Double
    var icansGrade: Int
    var icansOnsetHours: Double
    var icansDurationHours: Double

    static let products: [(name: String, target: String)] = [
        ("tisagenlecleucel", "CD19"), ("axicabtagene ciloleucel", "CD19"), ("brexucabtagene autoleucel", "CD19"),
        ("CD22 CAR T-cells (investigational)", "CD22"), ("GD2-CART01", "GD2"), ("idecabtagene vicleucel", "BCMA"),
    ]

    static func make(_ random: inout SeededRandom, protocolIds: [String], sites: [String]) -> PatientScenario {
        let age = random.pick([(0.5...3.0, 0.15), (3.0...12.0, 0.35), (12.0...18.0, 0.3), (18.0...26.0, 0.2)])
        let ageYears = (random.uniform(age) * 10).rounded() / 10
        let weight: Double
        let height: Double
        switch ageYears {
        case ..<2:
            weight = random.uniform(7...12)
            height = random.uniform(65...88)
        case ..<12:
            weight = (2 * ageYears + 8) * random.uniform(0.8...1.25)
            height = (6 * ageYears + 77) * random.uniform(0.93...1.07)
        case ..<18:
            weight = random.uniform(38...72)
            height = random.uniform(145...182)
        default:
            weight = random.uniform(50...95)
            height = random.uniform(155...192)
        }
        let crs = random.chance(0.55)
        let crsGrade = crs ? random.pick([(1, 0.5), (2, 0.3), (3, 0.15), (4, 0.05)]) : 0
        let icans = random.chance(crsGrade >= 2 ? 0.45 : 0.12)
        let crsOnset = random.uniform(8...96)
        let product =
            ageYears >= 18 && random.chance(0.3) ? products[5] : products[random.integer(0...(products.count - 2))]
        return PatientScenario(
            ageYears: ageYears, useBirthDate: random.chance(0.5),
            sex: random.pick([(Sex.female, 0.48), (.male, 0.5), (.unknown, 0.02)]),
            weightKg: (weight * 10).rounded() / 10, heightCm: height.rounded(),
            allergies: random.pick([([String](), 0.85), (["e-coli-derived-protein"], 0.05), (["penicillin"], 0.1)]),
            product: product,
            protocolId: protocolIds.isEmpty ? nil : protocolIds[random.integer(0...(protocolIds.count - 1))],
            site: sites[random.integer(0...(sites.count - 1))], baselineFerritin: random.uniform(80...900).rounded(),
            crsGrade: crsGrade, crsOnsetHours: crsOnset, crsDurationHours: random.uniform(36...120),
            icansGrade: icans ? random.pick([(1, 0.4), (2, 0.3), (3, 0.2), (4, 0.1)]) : 0,
            icansOnsetHours: crs ? crsOnset + random.uniform(12...96) : random.uniform(72...200),
            icansDurationHours: random.uniform(36...144))
    }

    /// The CRS grade `hours` after infusion: grade 1 while it starts and resolves, the peak in between.
    func crs(at hours: Double) -> Int {
        grade(crsGrade, onset: crsOnsetHours, duration: crsDurationHours, at: hours)
    }

    func icans(at hours: Double) -> Int {
        grade(icansGrade, onset: icansOnsetHours, duration: icansDurationHours, at: hours)
    }

    private func grade(_ peak: Int, onset: Double, duration: Double, at hours: Double) -> Int {
        guard peak > 0, hours >= onset, hours < onset + duration else { return 0 }
        if hours < onset + min(6, duration / 4) || hours > onset + duration * 0.8 { return 1 }
        return peak
    }

    var usesCAPD: Bool { ageYears < 12 }
}

/// One simulated patient while the load runs.
struct SimulatedPatient: Sendable {
    let id: String
    let scenario: PatientScenario
    let infusedAt: Int64
    let admittedAt: Int64
    /// The event time of the next event (after admission).
    var clock: Int64
    var sequence = 0
    var admitted = false
    var tocilizumabDoses = 0
    var vasopressorRunning = false
    var labRotation = 0

    var hoursSinceInfusion: Double { Double(clock - infusedAt) / 3600 }

    mutating func nextEventId() -> String {
        sequence += 1
        return "\(id)-\(sequence)"
    }
}

/// Codes the strict decoder accepts for each lab test and drug (the adapters' tables, inverted).
enum LoadCodes {
    static let loinc: [LabTest: String] = {
        var table: [LabTest: String] = [:]
        for (code, kind) in ObservationCodes.loinc.sorted(by: { $0.key < $1.key }) {
            if case .lab(let test) = kind, table[test] == nil { table[test] = code }
        }
        return table
    }()

    static let rxnorm: [String: String] = {
        var table: [String: String] = [:]
        for (code, drug) in ObservationCodes.rxnorm.sorted(by: { $0.key < $1.key }) where table[drug.name] == nil {
            table[drug.name] = code
        }
        return table
    }()

    static func unit(_ test: LabTest) -> String { LabUnits.jsonUnits(for: test).first ?? test.canonicalUnit }
}
