import Foundation

// Where a patient's anakinra course stands at T (clinical-spec A7): on therapy or not, the
// regimen, the last full dose, when the current dose began (the reassessment clock) and the taper
// position. Derived from the administrations recorded and the engine's own earlier
// recommendations (``PriorRecommendation``) in the timeline, so that the same timeline and T give
// the same answer whether or not the earlier recommendations were stored.

/// How an anakinra course ended.
enum CourseEnd: Hashable, Sendable {
    /// The engine recommended stop (end of the taper) and no dose was given since.
    case stopRecommended
    /// An `discontinued` anakinra medication event after the last dose.
    case discontinued
    /// No dose for the lapse window (max(24 h, 2 intervals); IMPL).
    case lapsed
}

/// The anakinra course at T.
struct TherapyCourse: Hashable, Sendable {
    enum State: Hashable, Sendable {
        /// No anakinra was ever given (at or before T).
        case never
        /// On therapy.
        case onTherapy
        /// The latest course has ended.
        case ended(CourseEnd)
    }

    var state: State = .never
    /// Index in `given[anakinra]` of the latest administration at or before T.
    var last: Int?
    /// Index of the one before it.
    var previous: Int?
    /// Index of the first administration of the latest course.
    var first: Int?
    /// When the latest course ended (`ended` only).
    var endedAt: Double?
    /// The dose being given (mg, frequency, route), when known.
    var regimen: CurrentDose?
    /// The last full (non-taper) dose of the course.
    var fullDose: CurrentDose?
    /// When the current dose began: the reassessment clock (A7).
    var doseStart: Double = 0
    /// A taper in progress: when it started, and the 1-based step it started on.
    var taperStart: Double?
    var taperFirstStep = 1
    /// Whether the taper position came from the engine's earlier recommendations (else from the
    /// intervals between the recorded administrations).
    var taperFromRecommendations = false
    /// The frequency in force when the latest dose was given (duplicate detection).
    var frequencyAtLastDose: DoseFrequency?
    /// The mg of the latest administration, when recorded.
    var lastGivenMg: Int?
    /// Whether the regimen and full dose were read from the administrations (no earlier
    /// recommendation gave them): §A13.1–2 then match them against the protocol's doses.
    var regimenFromAdministrations = false
    /// The per-dose mg the engine had recommended when the latest dose was given (§A13.2).
    var recommendedMgAtLastDose: Int?
    /// Index in `given[anakinra]` of the latest administration when it was charted after the
    /// engine's own `stop` with no anakinra order since: the course stays ended (a stray dose does
    /// not restart it; a new order does).
    var givenAfterStop: Int?

    var isOnTherapy: Bool { state == .onTherapy }
}

/// The engine's earlier anakinra recommendations that bear on the current course.
struct RecommendationHistory: Sendable {
    /// Index (in ``PatientTimeline/recommendations``) of the latest dosing recommendation.
    var latestDosing: Int?
    /// The latest start/continue/escalate recommendation (the full dose).
    var latestFull: Int?
    /// The earliest taper recommendation of the trailing run of taper/stop recommendations.
    var taperRunStart: Int?
    /// The latest start or escalate recommendation (a dose change).
    var latestDoseChange: Int?
}

extension DoseFrequency {
    /// The standard frequency whose interval is nearest (by ratio) to `hours`.
    static func nearest(hours: Double) -> DoseFrequency {
        var best = DoseFrequency.q24h
        var distance = Double.infinity
        for frequency in DoseFrequency.standard {
            let d = abs(log(hours / Double(frequency.intervalHours)))
            if d < distance {
                distance = d
                best = frequency
            }
        }
        return best
    }

    /// The frequency of an interval in hours (4, 6, 8, 12, 24, 48), if it is one.
    init?(intervalHours hours: Double) {
        guard let match = DoseFrequency.allCases.first(where: { Double($0.intervalHours) == hours.rounded() })
        else { return nil }
        self = match
    }
}

/// Recommendation actions that dose (or end the dosing of) anakinra.
extension RecommendationAction {
    /// Actions that say what happens to the dose (a hold or none do not).
    var changesDosing: Bool {
        switch self {
        case .start, .continue, .escalate, .taper, .stop: true
        case .hold, .none: false
        }
    }
}

extension PatientTimeline {
    static let anakinraSlot = Drug.anakinra.slot ?? 2

    /// The lapse window after a dose at `frequency` (A7 IMPL).
    func lapseWindow(_ frequency: DoseFrequency?, dosing: DosingPolicy) -> Double {
        let interval = Double((frequency ?? .q24h).intervalHours) * 3600
        return max(dosing.courseLapseMinimum, dosing.courseLapseIntervals * interval)
    }

    /// The engine's anakinra recommendations for this protocol issued in `(lowerBound, t]`,
    /// summarised; a stop recommended before `courseStart` belongs to an earlier course and ends
    /// the scan.
    func recommendationHistory(protocolId: String, after lowerBound: Double, courseStart: Double, through t: Double)
        -> RecommendationHistory
    {
        var history = RecommendationHistory()
        let all = recommendations
        guard !all.isEmpty else { return history }
        let date = Date(timeIntervalSinceReferenceDate: t)
        var k = recommendations(atOrBefore: date).endIndex - 1
        var inTrailingRun = true
        var fullSinceTaper: Int?
        while k >= 0 {
            let r = all[k]
            let issued = r.issuedAt.timeIntervalSinceReferenceDate
            if issued <= lowerBound { break }
            k -= 1
            guard r.drug == "anakinra", r.protocolId == nil || r.protocolId == protocolId,
                r.action.changesDosing
            else { continue }
            if r.action == .stop, issued < courseStart { break }
            if history.latestDosing == nil { history.latestDosing = k + 1 }
            if inTrailingRun {
                if r.action == .taper {
                    history.taperRunStart = k + 1
                    continue
                }
                if r.action == .stop { continue }
                inTrailingRun = false
            }
            if history.latestFull == nil, r.action != .taper, r.action != .stop { history.latestFull = k + 1 }
            if history.latestDoseChange == nil, r.action == .start || r.action == .escalate {
                history.latestDoseChange = k + 1
            }
            // Back to the full dose after a taper (recurrence, §A13.9): the dose changed there.
            if history.latestDoseChange == nil, r.action == .taper, let restart = fullSinceTaper {
                history.latestDoseChange = restart
            }
            if r.action != .taper, r.action != .stop { fullSinceTaper = k + 1 }
            if history.latestFull != nil, history.latestDoseChange != nil { break }
        }
        return history
    }

    /// The dose of an earlier recommendation, when it had one.
    /// A daily dose without a frequency (CHOP's `start`) is a dose too (§A13.1).
    func dose(of recommendation: PriorRecommendation, fallbackRoute: Route) -> CurrentDose? {
        let route = recommendation.route ?? fallbackRoute
        if let mg = recommendation.doseMg, mg >= 1, mg.isFinite, let hours = recommendation.intervalHours,
            let frequency = DoseFrequency(intervalHours: hours)
        {
            return CurrentDose(mg: Int(mg.rounded()), frequency: frequency, route: route)
        }
        guard recommendation.intervalHours == nil, let daily = recommendation.dailyMg, daily >= 1, daily.isFinite
        else { return nil }
        return CurrentDose(dailyMg: Int(daily.rounded()), route: route)
    }

    /// The per-dose mg of the latest dosing recommendation issued at or before `time` in the
    /// current course (after `courseStart`).
    func recommendedMg(atOrBefore time: Double, after courseStart: Double, protocolId: String) -> Int? {
        let recs = recommendations
        var k = recommendations(atOrBefore: Date(timeIntervalSinceReferenceDate: time)).endIndex - 1
        while k >= 0 {
            let r = recs[k]
            if r.issuedAt.timeIntervalSinceReferenceDate <= courseStart { return nil }
            k -= 1
            guard r.drug == "anakinra", r.protocolId == nil || r.protocolId == protocolId,
                r.action.changesDosing, r.action != .stop
            else { continue }
            return r.doseMg.flatMap { $0 >= 1 && $0.isFinite ? Int($0.rounded()) : nil }
        }
        return nil
    }

    /// The anakinra course at `t` under protocol `p`.
    func therapyCourse(_ p: PreparedProtocol, at t: Double, dosing: DosingPolicy) -> TherapyCourse {
        var course = TherapyCourse()
        let series = index.given[Self.anakinraSlot]
        guard !series.isEmpty, let last = series.latest(atOrBefore: t) else { return course }
        course.last = last
        course.previous = last > 0 ? last - 1 : nil
        let defaultFrequency = p.defaultFrequency

        // The first administration of the latest course: walk back over gaps shorter than the lapse
        // window with no stop recommended in between.
        var first = last
        while first > 0 {
            let gapStart = series.times[first - 1]
            let gapEnd = series.times[first]
            if gapEnd - gapStart > lapseWindow(defaultFrequency, dosing: dosing) { break }
            if stopRecommended(protocolId: p.id, after: gapStart, before: gapEnd) { break }
            first -= 1
        }
        course.first = first
        let firstTime = series.times[first]
        let lastTime = series.times[last]
        let previousCourseEnd = first > 0 ? series.times[first - 1] : -Double.infinity

        let history = recommendationHistory(
            protocolId: p.id,
            after: previousCourseEnd,
            courseStart: firstTime,
            through: t
        )
        let recs = recommendations
        let lastEvent = medicationEvent(series.events[last])
        let preferredRoute = p.preferredRoute
        let lastRoute = lastEvent?.route.flatMap { $0 == .iv || $0 == .sc ? $0 : nil } ?? preferredRoute
        let lastMg = series.values[last].doseMg.flatMap { $0 >= 1 && $0.isFinite ? Int($0.rounded()) : nil }

        // Regimen and full dose.
        var frequency: DoseFrequency? = defaultFrequency
        if frequency == nil, course.previous != nil, last > first {
            frequency = .nearest(hours: (lastTime - series.times[last - 1]) / 3600)
        }
        var adminRegimen: CurrentDose?
        if let lastMg, let frequency {
            adminRegimen = CurrentDose(mg: lastMg, frequency: frequency, route: lastRoute)
        } else if let lastMg, p.perDayDose {
            adminRegimen = CurrentDose(dailyMg: lastMg, route: lastRoute)
        }
        let full = history.latestFull.flatMap { dose(of: recs[$0], fallbackRoute: lastRoute) }
        if let latest = history.latestDosing, recs[latest].action != .taper, recs[latest].action != .stop,
            let recommended = dose(of: recs[latest], fallbackRoute: lastRoute)
        {
            course.regimen = recommended
        } else {
            course.regimen = full ?? adminRegimen
            course.regimenFromAdministrations = full == nil
        }
        course.fullDose = full ?? adminRegimen
        course.lastGivenMg = lastMg
        if history.latestDosing != nil {
            course.recommendedMgAtLastDose = recommendedMg(
                atOrBefore: lastTime,
                after: previousCourseEnd,
                protocolId: p.id
            )
        }
        course.frequencyAtLastDose = frequencyInForce(
            at: lastTime,
            history: history,
            fallback: course.regimen?.frequency ?? defaultFrequency
        )

        // Taper position.
        if let run = history.taperRunStart {
            let start = recs[run].issuedAt.timeIntervalSinceReferenceDate
            course.taperStart = start
            course.taperFromRecommendations = true
            if full == nil {
                // The full dose is the one given before the taper began.
                let before = series.latest(atOrBefore: start).map { max($0, first) } ?? first
                if let mg = series.values[before].doseMg, mg >= 1, let frequency = defaultFrequency {
                    course.fullDose = CurrentDose(mg: Int(mg.rounded()), frequency: frequency, route: lastRoute)
                }
            }
            if course.regimen == nil || course.regimen?.mg != course.fullDose?.mg {
                course.regimen = course.fullDose ?? course.regimen
            }
        } else if history.latestDosing == nil {
            detectTaperFromAdministrations(p, series: series, first: first, last: last, course: &course)
        }

        // The reassessment clock: the start of the course, of the current dose run, or the latest
        // recommended dose change, whichever is latest.
        var runStart = last
        while runStart > first {
            let a = series.values[runStart - 1].doseMg
            let b = series.values[runStart].doseMg
            if let a, let b, abs(a - b) > 1 { break }
            runStart -= 1
        }
        course.doseStart = max(firstTime, series.times[runStart])
        if let change = history.latestDoseChange {
            course.doseStart = max(course.doseStart, recs[change].issuedAt.timeIntervalSinceReferenceDate)
        }

        // Has the course ended?
        if let latest = history.latestDosing, recs[latest].action == .stop,
            recs[latest].issuedAt.timeIntervalSinceReferenceDate >= lastTime
        {
            course.state = .ended(.stopRecommended)
            course.endedAt = recs[latest].issuedAt.timeIntervalSinceReferenceDate
        } else if first > 0,
            let stoppedAt = latestStop(protocolId: p.id, after: series.times[first - 1], before: firstTime),
            latestAnakinra(.ordered, after: stoppedAt, through: t) == nil
        {
            // The course began after the engine's own stop with no anakinra order since: stray doses.
            course.state = .ended(.stopRecommended)
            course.endedAt = stoppedAt
            course.givenAfterStop = last
        } else if let stopped = latestAnakinra(.discontinued, after: lastTime, through: t) {
            course.state = .ended(.discontinued)
            course.endedAt = stopped
        } else if t - lastTime > lapseWindow(course.regimen?.frequency ?? defaultFrequency, dosing: dosing) {
            course.state = .ended(.lapsed)
            course.endedAt = lastTime + lapseWindow(course.regimen?.frequency ?? defaultFrequency, dosing: dosing)
        } else {
            course.state = .onTherapy
        }
        return course
    }

    /// The frequency in force at `time`: the latest dosing recommendation issued by then, else
    /// `fallback`.
    func frequencyInForce(at time: Double, history: RecommendationHistory, fallback: DoseFrequency?)
        -> DoseFrequency?
    {
        guard history.latestDosing != nil else { return fallback }
        let recs = recommendations
        var k = recommendations(atOrBefore: Date(timeIntervalSinceReferenceDate: time)).endIndex - 1
        while k >= 0 {
            let r = recs[k]
            if r.drug == "anakinra", r.action.changesDosing, r.action != .stop,
                let hours = r.intervalHours, let frequency = DoseFrequency(intervalHours: hours)
            {
                return frequency
            }
            k -= 1
        }
        return fallback
    }

    /// When the engine last recommended stop in `(start, end)`, if it did.
    func latestStop(protocolId: String, after start: Double, before end: Double) -> Double? {
        var latest: Double?
        for r in recommendations {
            let issued = r.issuedAt.timeIntervalSinceReferenceDate
            if issued >= end { break }
            if issued > start, r.action == .stop, r.drug == "anakinra",
                r.protocolId == nil || r.protocolId == protocolId
            {
                latest = issued
            }
        }
        return latest
    }

    /// Whether the engine recommended stop in `(start, end)`.
    func stopRecommended(protocolId: String, after start: Double, before end: Double) -> Bool {
        latestStop(protocolId: protocolId, after: start, before: end) != nil
    }

    /// The time of the latest anakinra event with `action` in `(start, end]` (a `discontinued`
    /// ends a course; an `ordered` after the engine's stop is a clinician's restart).
    func latestAnakinra(_ action: MedicationAction, after start: Double, through end: Double) -> Double? {
        let meds = index.medicationEvents
        var k = meds.countAtOrBefore(end) - 1
        while k >= 0, meds.times[k] > start {
            if case .medication(let m) = events[Int(meds.values[k])], m.drug == .anakinra, m.action == action {
                return meds.times[k]
            }
            k -= 1
        }
        return nil
    }

    func medicationEvent(_ position: Int32) -> MedicationEvent? {
        if case .medication(let m) = events[Int(position)] { return m }
        return nil
    }

    /// Without earlier recommendations, a taper shows in the administrations: at least two
    /// consecutive intervals at a longer frequency of the protocol's taper list (lengthen-interval),
    /// or a lower dose than the course started with (dose-steps).
    private func detectTaperFromAdministrations(
        _ p: PreparedProtocol,
        series: Series<Administration>,
        first: Int,
        last: Int,
        course: inout TherapyCourse
    ) {
        switch p.taperMethod {
        case .lengthenInterval:
            guard let full = p.defaultFrequency, last - first >= 2 else { return }
            func gap(_ j: Int) -> DoseFrequency {
                DoseFrequency.nearest(hours: (series.times[j] - series.times[j - 1]) / 3600)
            }
            let current = gap(last)
            let longer = p.taperIntervals.filter { $0 > full }
            guard current > full, let position = longer.firstIndex(of: current) else { return }
            // The suffix of intervals longer than the full dose's, never shortening: the taper so far.
            var runStart = last
            while runStart - 1 > first, gap(runStart - 1) > full, gap(runStart - 1) <= gap(runStart),
                longer.contains(gap(runStart - 1))
            {
                runStart -= 1
            }
            // A single longer interval is a late dose, not a taper.
            guard last - runStart + 1 >= 2 else { return }
            // The current step began with the dose before the first interval at the current frequency.
            var stepStart = last
            while stepStart - 1 >= runStart, gap(stepStart - 1) == current { stepStart -= 1 }
            // §A13.9: the step began at its first administration on the new interval.
            course.taperStart = series.times[stepStart]
            course.taperFirstStep = position + 1
            if let mg = series.values[runStart - 1].doseMg, mg >= 1 {
                course.fullDose = CurrentDose(
                    mg: Int(mg.rounded()),
                    frequency: full,
                    route: course.regimen?.route ?? p.preferredRoute
                )
                course.regimen = course.fullDose
            }
        case .doseSteps:
            guard let firstMg = series.values[first].doseMg, let lastMg = series.values[last].doseMg,
                lastMg < firstMg - 1
            else { return }
            var start = last
            while start > first, let mg = series.values[start - 1].doseMg, mg < firstMg - 1 { start -= 1 }
            course.taperStart = series.times[start]
            course.taperFirstStep = 1
            if let frequency = p.defaultFrequency {
                course.fullDose = CurrentDose(
                    mg: Int(firstMg.rounded()),
                    frequency: frequency,
                    route: course.regimen?.route ?? p.preferredRoute
                )
            }
        case .stopWithoutTaper:
            return
        }
    }
}
