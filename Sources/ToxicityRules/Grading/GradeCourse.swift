package import Foundation

// Grade history over a patient's course, precomputed once per timeline: the grade at every
// instant where it can change (events, findings going stale, episodes closing, age thresholds),
// and the episodes. Evaluating "the worst grade of the current episode" at T is then a binary
// search, and course questions ("has the grade fallen 24 h after the first corticosteroid?", "has
// CRS been ≤ 2 for 24 h?") are range queries over the points.
//
// Everything here is prefix-consistent: the history up to T depends only on events with
// occurredAt ≤ T, so replaying a timeline event by event gives the same answers.

/// The first administration of a fever-masking drug in a CRS episode.
struct FeverWaiver: Hashable, Sendable {
    /// Index in ``TimelineIndex/feverMasking``.
    var index: Int
    var time: Double
}

/// One episode of a syndrome (A1): opens at the first finding, closes after the close window with
/// every finding resolved.
struct EpisodeRecord: Hashable, Sendable {
    var start: Double
    /// The event that opened the episode.
    var startEvent: Int32
    /// When the episode closed; `nil` while still open at the end of the timeline.
    var closedAt: Double?
    /// Since when every finding has been resolved (the close window runs from here).
    var quietSince: Double?
    /// CRS only: the first fever-masking administration in the episode.
    var feverWaiver: FeverWaiver?
    /// Worst grade over the whole episode as far as the timeline goes.
    var maxGrade: Int
}

/// An episode seen from an instant T.
struct EpisodeStatus: Sendable {
    var index: Int
    var episode: EpisodeRecord
    var isOpen: Bool
    /// Closing instant, when ≤ T.
    var closedAt: Double?
    /// Worst grade of the episode up to T.
    var maxGradeSoFar: Int
}

/// A syndrome episode as the outputs and the dosing rules see it at an instant.
package struct EpisodeSummary: Hashable, Sendable {
    /// When the episode opened (first fever after infusion for CRS, first grade ≥ 1 otherwise).
    package var startedAt: Date
    /// The event that opened it.
    package var startEventId: String
    /// When the episode closed, if it had closed by the instant assessed.
    package var closedAt: Date?
    /// CRS: when fever stopped being required (first fever-masking drug in the episode), if by the
    /// instant assessed.
    package var feverWaivedAt: Date?
    /// Worst grade of the episode up to the instant assessed.
    package var maxGrade: Int
    /// `true` while the episode is open at the instant assessed.
    package var isOpen: Bool

    package init(
        startedAt: Date, startEventId: String, closedAt: Date?, feverWaivedAt: Date?, maxGrade: Int, isOpen: Bool
    ) {
        self.startedAt = startedAt
        self.startEventId = startEventId
        self.closedAt = closedAt
        self.feverWaivedAt = feverWaivedAt
        self.maxGrade = maxGrade
        self.isOpen = isOpen
    }
}

/// A grade at an instant of the course, valid until the next point.
package struct GradePoint: Hashable, Sendable {
    package var at: Date
    package var grade: Int
    /// `false` when some input needed for the grade was missing or stale (the grade is then a
    /// lower bound; a fall to such a point is not an improvement).
    package var complete: Bool
    /// Index of the episode the point belongs to, `nil` outside episodes.
    package var episode: Int?
}

/// The grade history of one syndrome over a timeline.
package struct GradeCourse: Sendable {
    var times: [Double] = []
    var grades: [Int8] = []
    var completeness: [Bool] = []
    var episodeOfPoint: [Int32] = []
    /// Worst grade of the point's episode up to and including the point.
    var runningMax: [Int8] = []
    var episodes: [EpisodeRecord] = []
    var episodeStarts: [Double] = []
    let startEvents: [String]

    init(startEvents: [String] = []) { self.startEvents = startEvents }

    /// Records the grade at `t` (points are appended in time order; consecutive equal points are
    /// merged).
    mutating func record(_ t: Double, grade: Int, complete: Bool, episode: Int?) {
        let e = Int32(episode ?? -1)
        if let last = times.indices.last {
            if grades[last] == Int8(grade), completeness[last] == complete, episodeOfPoint[last] == e { return }
            if times[last] == t {
                times.removeLast()
                grades.removeLast()
                completeness.removeLast()
                episodeOfPoint.removeLast()
                runningMax.removeLast()
            }
        }
        var running = Int8(grade)
        if e >= 0, let last = times.indices.last, episodeOfPoint[last] == e {
            running = max(running, runningMax[last])
        }
        times.append(t)
        grades.append(Int8(grade))
        completeness.append(complete)
        episodeOfPoint.append(e)
        runningMax.append(running)
        if let episode { episodes[episode].maxGrade = max(episodes[episode].maxGrade, grade) }
    }

    mutating func open(_ t: Double, event: Int32) -> Int {
        episodes.append(
            EpisodeRecord(
                start: t, startEvent: event, closedAt: nil, quietSince: nil, feverWaiver: nil, maxGrade: 0))
        episodeStarts.append(t)
        return episodes.count - 1
    }

    @inline(__always)
    func pointIndex(atOrBefore t: Double) -> Int? {
        var low = 0
        var high = times.count
        while low < high {
            let mid = (low &+ high) >> 1
            if times[mid] <= t { low = mid &+ 1 } else { high = mid }
        }
        return low > 0 ? low - 1 : nil
    }

    /// The episode seen from `t`: the latest episode that started at or before `t`.
    @inline(__always)
    func status(at t: Double) -> EpisodeStatus? {
        var low = 0
        var high = episodeStarts.count
        while low < high {
            let mid = (low &+ high) >> 1
            if episodeStarts[mid] <= t { low = mid &+ 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let e = low - 1
        var episode = episodes[e]
        if let waiver = episode.feverWaiver, waiver.time > t { episode.feverWaiver = nil }
        if let closedAt = episode.closedAt, closedAt <= t {
            return EpisodeStatus(
                index: e, episode: episode, isOpen: false, closedAt: closedAt, maxGradeSoFar: episode.maxGrade)
        }
        var soFar = 0
        if let p = pointIndex(atOrBefore: t), episodeOfPoint[p] == Int32(e) { soFar = Int(runningMax[p]) }
        return EpisodeStatus(index: e, episode: episode, isOpen: true, closedAt: nil, maxGradeSoFar: soFar)
    }

    // MARK: Queries for the rules built on grading (dosing, weaning)

    /// The grade at `date` from the precomputed history (equal to the engine's grade at `date`).
    package func grade(at date: Date) -> Int {
        pointIndex(atOrBefore: date.timeIntervalSinceReferenceDate).map { Int(grades[$0]) } ?? 0
    }

    /// Whether the grade at `date` rested on complete data.
    package func isComplete(at date: Date) -> Bool {
        pointIndex(atOrBefore: date.timeIntervalSinceReferenceDate).map { completeness[$0] } ?? true
    }

    /// The episode seen from `date` (the current one, or the latest closed one), with its worst
    /// grade up to `date`.
    package func episode(at date: Date) -> EpisodeSummary? {
        status(at: date.timeIntervalSinceReferenceDate).map { EpisodeSummary($0, startEvents: startEvents) }
    }

    /// The worst grade of the current or latest episode up to `date` (0 when there is none).
    package func maxGrade(at date: Date) -> Int {
        status(at: date.timeIntervalSinceReferenceDate)?.maxGradeSoFar ?? 0
    }

    /// The worst grade at any instant of `range` (0 before the first point).
    package func maxGrade(in range: ClosedRange<Date>) -> Int {
        extreme(in: range, worst: true)
    }

    /// The best (lowest) grade at any instant of `range` that rested on complete data, `nil` when
    /// no instant of the range did (a grade that fell only because findings went stale or missing
    /// is not an improvement).
    package func minGrade(in range: ClosedRange<Date>) -> Int? {
        let lower = range.lowerBound.timeIntervalSinceReferenceDate
        let upper = range.upperBound.timeIntervalSinceReferenceDate
        guard let last = pointIndex(atOrBefore: upper) else { return nil }
        let first = pointIndex(atOrBefore: lower) ?? 0
        var best: Int?
        for p in first...last where completeness[p] {
            best = min(best ?? Int.max, Int(grades[p]))
        }
        return best
    }

    /// Whether the grade stayed at or below `grade` over the whole of `duration` ending at `date`
    /// (e.g. "CRS ≤ 2 held for 24 h"). With `requireCompleteData`, an interval resting on missing
    /// or stale data does not count as holding.
    package func held(
        atMost grade: Int, for duration: TimeInterval, endingAt date: Date, requireCompleteData: Bool = true
    )
        -> Bool
    {
        let end = date.timeIntervalSinceReferenceDate
        let start = end - duration
        guard let first = pointIndex(atOrBefore: start) else { return false }
        guard let last = pointIndex(atOrBefore: end) else { return false }
        for p in first...last {
            if Int(grades[p]) > grade { return false }
            if requireCompleteData, !completeness[p] { return false }
        }
        return true
    }

    /// Every point of the history (grade changes), in time order.
    package var points: [GradePoint] {
        times.indices.map { point($0) }
    }

    /// The points in `range`, preceded by the point in force at its start.
    package func points(in range: ClosedRange<Date>) -> [GradePoint] {
        let lower = range.lowerBound.timeIntervalSinceReferenceDate
        let upper = range.upperBound.timeIntervalSinceReferenceDate
        let first = pointIndex(atOrBefore: lower) ?? 0
        guard let last = pointIndex(atOrBefore: upper), first <= last else { return [] }
        return (first...last).map { point($0) }
    }

    /// Every episode, as known at the end of the timeline.
    package var allEpisodes: [EpisodeSummary] {
        episodes.indices.map { e in
            EpisodeSummary(
                EpisodeStatus(
                    index: e, episode: episodes[e], isOpen: episodes[e].closedAt == nil,
                    closedAt: episodes[e].closedAt, maxGradeSoFar: episodes[e].maxGrade),
                startEvents: startEvents)
        }
    }

    private func point(_ p: Int) -> GradePoint {
        GradePoint(
            at: Date(timeIntervalSinceReferenceDate: times[p]), grade: Int(grades[p]), complete: completeness[p],
            episode: episodeOfPoint[p] >= 0 ? Int(episodeOfPoint[p]) : nil)
    }

    private func extreme(in range: ClosedRange<Date>, worst: Bool) -> Int {
        let lower = range.lowerBound.timeIntervalSinceReferenceDate
        let upper = range.upperBound.timeIntervalSinceReferenceDate
        guard let last = pointIndex(atOrBefore: upper) else { return 0 }
        let first = pointIndex(atOrBefore: lower) ?? 0
        var value = Int(grades[first])
        for p in first...last {
            value = worst ? max(value, Int(grades[p])) : min(value, Int(grades[p]))
        }
        return value
    }
}

extension EpisodeSummary {
    init(_ status: EpisodeStatus, startEvents: [String]) {
        let waiver = status.episode.feverWaiver
        self.init(
            startedAt: Date(timeIntervalSinceReferenceDate: status.episode.start),
            startEventId: startEvents.isEmpty ? "" : startEvents[Int(status.episode.startEvent)],
            closedAt: status.closedAt.map { Date(timeIntervalSinceReferenceDate: $0) },
            feverWaivedAt: waiver.map { Date(timeIntervalSinceReferenceDate: $0.time) },
            maxGrade: status.maxGradeSoFar,
            isOpen: status.isOpen
        )
    }
}

// MARK: - Candidate instants

/// The first instant at which an observation made at `time` is older than `window`.
@inline(__always)
func staleInstant(_ time: Double, window: Double) -> Double {
    var instant = time + window
    while !(instant - time > window) { instant = instant.nextUp }
    return instant
}

/// Collects candidate instants, then sorts and de-duplicates them.
struct CandidateInstants {
    private(set) var instants: [Double] = []

    mutating func add<V>(_ series: Series<V>) { instants.append(contentsOf: series.times) }

    mutating func add<V>(_ series: Series<V>, staleAfter window: Double) {
        instants.reserveCapacity(instants.count + series.count)
        for t in series.times { instants.append(staleInstant(t, window: window)) }
    }

    mutating func add(_ t: Double) { instants.append(t) }

    mutating func add(contentsOf values: [Double]) { instants.append(contentsOf: values) }

    func sorted() -> [Double] {
        var sorted = instants.sorted()
        var unique: [Double] = []
        unique.reserveCapacity(sorted.count)
        for t in sorted where unique.last != t { unique.append(t) }
        sorted = unique
        return sorted
    }
}

// MARK: - Building the courses

extension TimelineIndex {
    /// Age-threshold instants from the first age known on (birthdays change PALS thresholds and the
    /// ICE/CAPD switch). Not bounded by the last event: a bound that moves with later events would
    /// make the history before them depend on them (a birthday after the last event plus the
    /// freshness window was a grade change in a longer timeline and none in a shorter one).
    func ageInstants(policy: GradingPolicy) -> [Double] {
        guard let first = ages.times.first else { return [] }
        var instants: [Double] = []
        for source in ages.values {
            for t in source.thresholdInstants(
                maxYears: max(policy.adultMinimumAgeYears, policy.iceMinimumAgeYears, 11),
                boundaryYears: policy.iceMinimumAgeYears)
            where t >= first {
                instants.append(t)
            }
        }
        return instants
    }

    /// The CRS course (A1, A2): episodes open at the first fever after infusion, fever is waived
    /// from the first masking drug in the episode, and the episode closes after the close window
    /// with no fever, hypotension, vasopressor or oxygen above baseline.
    func buildCRSCourse(policy: GradingPolicy, startEvents: [String]) -> GradeCourse {
        var candidates = CandidateInstants()
        candidates.add(temperature)
        candidates.add(systolic)
        candidates.add(meanArterial)
        candidates.add(oxygen)
        candidates.add(temperature, staleAfter: policy.vitalsFreshness)
        candidates.add(systolic, staleAfter: policy.vitalsFreshness)
        candidates.add(meanArterial, staleAfter: policy.vitalsFreshness)
        candidates.add(oxygen, staleAfter: policy.vitalsFreshness)
        for bit in 0..<7 { candidates.add(infusionChanges[bit]) }
        candidates.add(feverMasking)
        candidates.add(ages)
        candidates.add(infusions)
        candidates.add(contentsOf: ageInstants(policy: policy))

        var course = GradeCourse(startEvents: startEvents)
        var open: Int?

        func recordGrade(at t: Double) {
            let facts = crsFacts(at: t, policy: policy, window: policy.vitalsFreshness)
            let waived = open.flatMap { course.episodes[$0].feverWaiver }.map { $0.time <= t } ?? false
            let core = crsCore(facts, episodeOpen: open != nil, feverWaived: waived, policy: policy)
            course.record(t, grade: core.grade, complete: !core.flags.contains(.incompleteData), episode: open)
        }

        func closeIfDue(before t: Double) {
            guard let e = open, let quiet = course.episodes[e].quietSince else { return }
            let closeAt = quiet + policy.episodeCloseWindow
            guard closeAt <= t else { return }
            course.episodes[e].closedAt = closeAt
            if let waiver = course.episodes[e].feverWaiver, waiver.time >= closeAt {
                course.episodes[e].feverWaiver = nil
            }
            open = nil
            recordGrade(at: closeAt)
        }

        for t in candidates.sorted() {
            closeIfDue(before: t)
            if open == nil {
                let facts = crsFacts(at: t, policy: policy, window: policy.vitalsFreshness)
                if let i = facts.temperature.current, temperature.times[i] == t, temperature.values[i] >= 38.0,
                    facts.feverAfterInfusion(self)
                {
                    let e = course.open(t, event: temperature.events[i])
                    if let w = feverMasking.first(atOrAfter: t) {
                        course.episodes[e].feverWaiver = FeverWaiver(index: w, time: feverMasking.times[w])
                    }
                    open = e
                }
            }
            if let e = open {
                if crsActivityKnown(at: t, policy: policy) {
                    course.episodes[e].quietSince = nil
                } else if course.episodes[e].quietSince == nil {
                    course.episodes[e].quietSince = t
                }
            }
            recordGrade(at: t)
        }
        closeIfDue(before: .infinity)
        return course
    }

    /// A course for a syndrome whose episode opens at the first grade ≥ 1 and closes after the
    /// close window during which `resolved` held on the latest observations (ICANS, IEC-HS).
    func buildCourse(
        candidates: [Double], policy: GradingPolicy, startEvents: [String],
        grade: (Double) -> (grade: Int, complete: Bool, event: Int32),
        resolved: (Double) -> Bool
    ) -> GradeCourse {
        var course = GradeCourse(startEvents: startEvents)
        var open: Int?

        func closeIfDue(before t: Double) {
            guard let e = open, let quiet = course.episodes[e].quietSince else { return }
            let closeAt = quiet + policy.episodeCloseWindow
            guard closeAt <= t else { return }
            course.episodes[e].closedAt = closeAt
            open = nil
            let g = grade(closeAt)
            course.record(closeAt, grade: g.grade, complete: g.complete, episode: nil)
        }

        for t in candidates {
            closeIfDue(before: t)
            let g = grade(t)
            if open == nil, g.grade >= 1 { open = course.open(t, event: g.event) }
            if let e = open {
                if !resolved(t) {
                    course.episodes[e].quietSince = nil
                } else if course.episodes[e].quietSince == nil {
                    course.episodes[e].quietSince = t
                }
            }
            course.record(t, grade: g.grade, complete: g.complete, episode: open)
        }
        closeIfDue(before: .infinity)
        return course
    }
}
