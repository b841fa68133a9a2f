package import Foundation

// Course questions the dosing, weaning and safety rules ask of a timeline. Each answers "as of
// T": only events with occurredAt ≤ T count.

/// A measured weight usable for dosing (A5: latest measured, ≤ 30 days old, 0.3–350 kg).
package struct WeightReading: Hashable, Sendable {
    package var kilograms: Double
    package var eventId: String
    package var measuredAt: Date
}

/// How many tocilizumab doses were given (label: at most 3 in 24 h and 4 in total).
package struct TocilizumabDoseCount: Hashable, Sendable {
    /// Since the infusion (or in the whole record when the infusion is unknown).
    package var total: Int
    /// In the current or latest CRS episode.
    package var inCurrentEpisode: Int
    /// In the 24 hours before T: (T − 24 h, T].
    package var inLast24Hours: Int
}

/// The patient's profile at an instant: the latest value of each patient-event field.
package struct PatientProfile: Hashable, Sendable {
    package var age: PatientAge?
    package var weight: WeightReading?
    package var heightCm: Double?
    package var sex: Sex?
    /// Every allergy code recorded on any patient event so far (an allergy is not dropped because
    /// a later ADT message omitted it).
    package var allergies: [String]
    package var infusion: Infusion?
    package var protocolId: String?
    package var site: String?
    package var baselineFerritin: Double?
}

extension PatientTimeline {
    // MARK: Patient

    /// The patient's age at `date` (from the latest birth date or reported age), `nil` if unknown.
    package func age(at date: Date) -> PatientAge? {
        index.age(at: date.timeIntervalSinceReferenceDate)?.age
    }

    /// The current weight (A5): latest measured at or before `date`, not older than the policy's
    /// weight window, within the plausible range. `nil` means no dose may be computed.
    package func currentWeight(at date: Date) -> WeightReading? {
        let t = date.timeIntervalSinceReferenceDate
        guard let i = index.weights.latest(atOrBefore: t), t - index.weights.times[i] <= policy.weightFreshness else {
            return nil
        }
        return WeightReading(
            kilograms: index.weights.values[i], eventId: eventIds[Int(index.weights.events[i])],
            measuredAt: Date(timeIntervalSinceReferenceDate: index.weights.times[i]))
    }

    /// The profile at `date`.
    package func profile(at date: Date) -> PatientProfile {
        let t = date.timeIntervalSinceReferenceDate
        var profile = PatientProfile(
            age: age(at: date), weight: currentWeight(at: date), heightCm: nil, sex: nil, allergies: [],
            infusion: nil, protocolId: nil, site: nil, baselineFerritin: nil)
        let count = index.patients.countAtOrBefore(t)
        var allergies: [String] = []
        for k in 0..<count {
            guard case .patient(let p) = events[Int(index.patients.values[k])] else { continue }
            if let height = p.heightCm { profile.heightCm = height }
            if let sex = p.sex { profile.sex = sex }
            if let infusion = p.infusion { profile.infusion = infusion }
            if let protocolId = p.protocolId { profile.protocolId = protocolId }
            if let site = p.site { profile.site = site }
            if let ferritin = p.baselineFerritin { profile.baselineFerritin = ferritin }
            for allergy in p.allergies where !allergies.contains(allergy) { allergies.append(allergy) }
        }
        profile.allergies = allergies
        return profile
    }

    // MARK: Grades and episodes

    /// The current or latest CRS episode seen from `date`.
    package func crsEpisode(at date: Date) -> EpisodeSummary? { crsCourse.episode(at: date) }

    /// The current or latest ICANS episode seen from `date`.
    package func icansEpisode(at date: Date) -> EpisodeSummary? { icansCourse.episode(at: date) }

    /// Whether fever is no longer required to grade CRS at `date` (A2).
    package func isFeverWaived(at date: Date) -> Bool {
        let t = date.timeIntervalSinceReferenceDate
        guard let status = crsCourse.status(at: t), status.isOpen, let waiver = status.episode.feverWaiver else {
            return false
        }
        return waiver.time <= t
    }

    // MARK: Medications

    /// Vasopressors running at `date` (A1), inotropes included only if the policy counts them.
    package func activeVasopressors(at date: Date) -> [Drug] {
        var mask = TrackedInfusion.nonVasopressinVasopressors | TrackedInfusion.vasopressinBit
        if policy.countInotropesAsVasopressors { mask |= TrackedInfusion.inotropes }
        return TrackedInfusion.drugs(in: index.activeInfusions(at: date.timeIntervalSinceReferenceDate, mask: mask))
    }

    /// Whether an infusion of `drug` is running at `date`: its latest start or rate change is later
    /// than its latest stop or order discontinuation (§A13.13).
    package func isInfusionActive(_ drug: Drug, at date: Date) -> Bool {
        let t = date.timeIntervalSinceReferenceDate
        if let bit = TrackedInfusion.bit(drug) {
            return index.activeInfusions(at: t, mask: 1 << bit) != 0
        }
        var k = index.medicationEvents.countAtOrBefore(t) - 1
        while k >= 0 {
            if case .medication(let m) = events[Int(index.medicationEvents.values[k])], m.drug == drug {
                switch m.action {
                case .infusionStarted, .infusionRateChanged: return true
                case .infusionStopped, .discontinued: return false
                case .administered, .ordered: break
                }
            }
            k -= 1
        }
        return false
    }

    /// Whether a corticosteroid was given in the policy's window before `date` (A1: 24 h).
    package func isCorticosteroidActive(at date: Date) -> Bool {
        let t = date.timeIntervalSinceReferenceDate
        guard let i = index.corticosteroids.latest(atOrBefore: t) else { return false }
        return t - index.corticosteroids.times[i] <= policy.corticosteroidActiveWindow
    }

    /// The latest administration (or infusion start) of `drug` at or before `date`.
    package func lastAdministration(of drug: Drug, atOrBefore date: Date) -> MedicationEvent? {
        guard let slot = drug.slot else {
            return administrations(of: drug, from: .distantPast, through: date).last
        }
        let series = index.given[slot]
        guard let i = series.latest(atOrBefore: date.timeIntervalSinceReferenceDate) else { return nil }
        return medication(series.events[i])
    }

    /// The first administration of `drug` at or after `start` and at or before `date`.
    package func firstAdministration(of drug: Drug, from start: Date, through date: Date) -> MedicationEvent? {
        administrations(of: drug, from: start, through: date).first
    }

    /// The latest corticosteroid administration at or before `date`.
    package func lastCorticosteroid(atOrBefore date: Date) -> MedicationEvent? {
        index.corticosteroids.latest(atOrBefore: date.timeIntervalSinceReferenceDate).flatMap {
            medication(index.corticosteroids.events[$0])
        }
    }

    /// The first corticosteroid administration in `start...date`.
    package func firstCorticosteroid(from start: Date, through date: Date) -> MedicationEvent? {
        let series = index.corticosteroids
        guard let i = series.first(atOrAfter: start.timeIntervalSinceReferenceDate),
            series.times[i] <= date.timeIntervalSinceReferenceDate
        else { return nil }
        return medication(series.events[i])
    }

    /// Administrations (and infusion starts) of `drug` in `start...date`, in time order.
    package func administrations(of drug: Drug, from start: Date, through date: Date) -> [MedicationEvent] {
        let lower = start.timeIntervalSinceReferenceDate
        let upper = date.timeIntervalSinceReferenceDate
        if let slot = drug.slot {
            let series = index.given[slot]
            let first = series.countBefore(lower)
            let last = series.countAtOrBefore(upper)
            guard first < last else { return [] }
            return (first..<last).compactMap { medication(series.events[$0]) }
        }
        let meds = index.medicationEvents
        let first = meds.countBefore(lower)
        let last = meds.countAtOrBefore(upper)
        guard first < last else { return [] }
        return (first..<last).compactMap { k -> MedicationEvent? in
            guard let m = medication(meds.values[k]), m.drug == drug,
                m.action == .administered || m.action == .infusionStarted
            else { return nil }
            return m
        }
    }

    /// Number of administrations of `drug` in `start...date`.
    package func administrationCount(of drug: Drug, from start: Date, through date: Date) -> Int {
        guard let slot = drug.slot else { return administrations(of: drug, from: start, through: date).count }
        return index.given[slot].count(
            from: start.timeIntervalSinceReferenceDate, through: date.timeIntervalSinceReferenceDate)
    }

    /// Tocilizumab doses as of `date`: since infusion, in the current/latest CRS episode, and in the
    /// last 24 hours.
    package func tocilizumabDoses(at date: Date) -> TocilizumabDoseCount {
        let t = date.timeIntervalSinceReferenceDate
        let infusion = index.infusedAt(at: t)?.time ?? -.infinity
        let series = index.given[Drug.tocilizumab.slot ?? 0]
        let episodeStart = crsCourse.status(at: t)?.episode.start
        return TocilizumabDoseCount(
            total: series.count(from: infusion, through: t),
            inCurrentEpisode: episodeStart.map { series.count(from: $0, through: t) } ?? 0,
            inLast24Hours: series.countAtOrBefore(t) - series.countAtOrBefore(t - 24 * 3600)
        )
    }

    // MARK: Earlier recommendations

    /// The engine's recommendations issued at or before `date`, in issue order.
    package func recommendations(atOrBefore date: Date) -> ArraySlice<PriorRecommendation> {
        var low = 0
        var high = recommendations.count
        while low < high {
            let mid = (low + high) / 2
            if recommendations[mid].issuedAt <= date { low = mid + 1 } else { high = mid }
        }
        return recommendations[..<low]
    }

    private func medication(_ position: Int32) -> MedicationEvent? {
        if case .medication(let m) = events[Int(position)] { return m }
        return nil
    }
}
