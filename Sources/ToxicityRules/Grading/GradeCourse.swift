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
    var startEvents: [String]
    /// Where a build for more events, all at or after ``CourseResumePoint/before``, goes on from.
    var resumePoint = CourseResumePoint()

    init(startEvents: [String] = []) { self.startEvents = startEvents }

    /// The course as it stood at its resume point: the points and episodes recorded before it, the
    /// episode then open as it was then, and which episode that is.
    func rewound() -> (course: GradeCourse, open: Int?) {
        var course = self
        let resume = resumePoint
        let extraPoints = times.count - resume.pointCount
        course.times.removeLast(extraPoints)
        course.grades.removeLast(extraPoints)
        course.completeness.removeLast(extraPoints)
        course.episodeOfPoint.removeLast(extraPoints)
        course.runningMax.removeLast(extraPoints)
        course.episodes.removeLast(episodes.count - resume.episodeCount)
        course.episodeStarts.removeLast(episodeStarts.count - resume.episodeCount)
        if let open = resume.open, let episode = resume.openEpisode { course.episodes[open] = episode }
        return (course, resume.open)
    }

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

// MARK: - Building on

/// How far a course's build is final. Every candidate instant before ``before`` (the timeline's
/// latest event time) was processed, and what it recorded depends only on events before it; a
/// timeline extended by events at or after ``before`` rewinds the course to here
/// (``GradeCourse/rewound()``) and processes only the candidate instants from ``before`` on.
/// Candidate instants depend on the events' times plus fixed windows, and on the age sources, so
/// an event that adds an age source (a patient event) needs a full build.
struct CourseResumePoint: Sendable {
    var before = -Double.infinity
    var pointCount = 0
    var episodeCount = 0
    /// The episode open at ``before``, and its record as it stood then.
    var open: Int?
    var openEpisode: EpisodeRecord?
}

/// Notes a course's resume point when its build reaches the first candidate at or after `before`.
struct ResumeMark {
    let before: Double
    private var noted = false

    init(before: Double) { self.before = before }

    /// Called before candidate `t` is processed (and with `.infinity` before the final close).
    mutating func reach(_ t: Double, course: inout GradeCourse, open: Int?) {
        guard !noted, t >= before else { return }
        noted = true
        course.resumePoint = CourseResumePoint(
            before: before, pointCount: course.times.count, episodeCount: course.episodes.count, open: open,
            openEpisode: open.map { course.episodes[$0] })
    }
}

/// Where a course build starts: from nothing, or from an earlier course of the same timeline's
/// first events, rewound to its resume point.
struct CourseStart {
    var course: GradeCourse
    var open: Int?
    /// Candidate instants before this were processed already.
    var from: Double
    var mark: ResumeMark

    /// - Parameters:
    ///   - previous: the course of the timeline before the events at or after its resume point were
    ///     added; `nil` for a full build.
    ///   - resumeBefore: the new timeline's latest event time.
    init(previous: GradeCourse?, startEvents: [String], resumeBefore: Double) {
        if let previous {
            (course, open) = previous.rewound()
            from = previous.resumePoint.before
        } else {
            course = GradeCourse()
            from = -.infinity
        }
        course.startEvents = startEvents
        mark = ResumeMark(before: resumeBefore)
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

/// Collects candidate instants at or after ``from``, then sorts and de-duplicates them.
struct CandidateInstants {
    private(set) var instants: [Double] = []
    /// Earlier instants are left out (a course built on from its resume point needs only later ones).
    let from: Double

    init(from: Double = -.infinity) { self.from = from }

    mutating func add<V>(_ series: Series<V>) {
        instants.append(contentsOf: series.times[series.countBefore(from)...])
    }

    mutating func add<V>(_ series: Series<V>, staleAfter window: Double) {
        // staleInstant(t) ≥ t + window: earlier observations go stale before `from` (one second
        // of margin for the rounding of t + window).
        let first = series.countBefore(from - window - 1)
        instants.reserveCapacity(instants.count + series.count - first)
        for t in series.times[first...] {
            let instant = staleInstant(t, window: window)
            if instant >= from { instants.append(instant) }
        }
    }

    mutating func add(_ t: Double) { if t >= from { instants.append(t) } }

    mutating func add(contentsOf values: [Double]) {
        for t in values where t >= from { instants.append(t) }
    }

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
    ///
    /// - Parameters:
    ///   - previous: the course of this timeline without its events at or after the course's
    ///     resume point, to build on (``CourseResumePoint``); `nil` builds the whole course.
    ///   - resumeBefore: the timeline's latest event time.
    func buildCRSCourse(
        policy: GradingPolicy, startEvents: [String], previous: GradeCourse? = nil, resumeBefore: Double
    ) -> GradeCourse {
        var start = CourseStart(previous: previous, startEvents: startEvents, resumeBefore: resumeBefore)
        var candidates = CandidateInstants(from: start.from)
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

        var course = start.course
        var open = start.open
        if let e = open {
            // Set when the episode opened from the first masking drug at or after its start, which
            // may be an event added since.
            course.episodes[e].feverWaiver = feverMasking.first(atOrAfter: course.episodes[e].start).map {
                FeverWaiver(index: $0, time: feverMasking.times[$0])
            }
        }

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
            start.mark.reach(t, course: &course, open: open)
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
        start.mark.reach(.infinity, course: &course, open: open)
        closeIfDue(before: .infinity)
        return course
    }

    /// A course for a syndrome whose episode opens at the first grade ≥ 1 and closes after the
    /// close window during which `resolved` held on the latest observations (ICANS, IEC-HS).
    /// `start` says where the build begins (``buildCRSCourse(policy:startEvents:previous:resumeBefore:)``);
    /// `candidates` are the instants from `start.from` on.
    func buildCourse(
        from start: CourseStart, candidates: [Double], policy: GradingPolicy,
        grade: (Double) -> (grade: Int, complete: Bool, event: Int32),
        resolved: (Double) -> Bool
    ) -> GradeCourse {
        var course = start.course
        var open = start.open
        var mark = start.mark

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
            mark.reach(t, course: &course, open: open)
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
        mark.reach(.infinity, course: &course, open: open)
        closeIfDue(before: .infinity)
        return course
    }
}
