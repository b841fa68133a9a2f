import Foundation
import Testing
import ToxTestSupport

@testable import ToxicityRules

@Suite("Patient timeline and course helpers")
struct TimelineTests {
    @Test("Events are ordered by occurredAt, ties keep input order, duplicate eventIds are dropped (first wins)")
    func orderingAndDeduplication() {
        var course = CourseBuilder()
        course.vitals(at: 3, id: "b", temp: 37)
        course.vitals(at: 1, id: "a", temp: 39)
        course.vitals(at: 3, id: "c", temp: 38.5)
        course.vitals(at: 5, id: "a", temp: 36)  // resend of "a" with other content: ignored
        let timeline = course.timeline()
        #expect(timeline.events.map(\.eventId) == ["a", "b", "c"])
        if case .vitals(let first) = timeline.events[0] { #expect(first.temperatureC == 39) }
    }

    @Test("Same-instant readings: the later input wins as the current finding")
    func sameInstantTie() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 37, sbp: 120, oxygen: .roomAir)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        #expect(course.grade(at: 1).crs.grade == 1)
    }

    @Test("Only events at or before T count")
    func onlyPastEvents() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 37, sbp: 120, oxygen: .roomAir)
        course.vitals(at: 2, temp: 39.5, sbp: 80, oxygen: .roomAir)
        #expect(course.grade(at: 1.5).crs.grade == 0)
        #expect(course.grade(at: 2).crs.grade == 2)
        #expect(course.grade(at: 2 - 1 / 3600.0).crs.grade == 0)
    }

    @Test("Vasopressor active: latest start or rate change later than the latest stop or discontinuation")
    func vasopressorActive() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.med(at: 1, .norepinephrine, .infusionStarted)
        course.med(at: 2, .norepinephrine, .infusionStopped)
        course.med(at: 3, .norepinephrine, .infusionRateChanged)
        course.med(at: 4, .phenylephrine, .infusionStarted)
        course.med(at: 5, .norepinephrine, .discontinued)
        let timeline = course.timeline()
        #expect(timeline.activeVasopressors(at: CourseBuilder.at(1.5)) == [.norepinephrine])
        #expect(timeline.activeVasopressors(at: CourseBuilder.at(2.5)).isEmpty)
        #expect(timeline.activeVasopressors(at: CourseBuilder.at(3)) == [.norepinephrine])
        #expect(timeline.activeVasopressors(at: CourseBuilder.at(4)) == [.norepinephrine, .phenylephrine])
        // §A13.13: the discontinued norepinephrine order ends its infusion.
        #expect(timeline.activeVasopressors(at: CourseBuilder.at(6)) == [.phenylephrine])
        #expect(timeline.isInfusionActive(.phenylephrine, at: CourseBuilder.at(4)))
    }

    @Test("Infusion state of an untracked drug")
    func untrackedInfusion() {
        var course = CourseBuilder()
        course.med(at: 1, .anakinra, .infusionStarted, doseMg: 100)
        course.med(at: 3, .anakinra, .infusionStopped)
        let timeline = course.timeline()
        #expect(timeline.isInfusionActive(.anakinra, at: CourseBuilder.at(2)))
        #expect(!timeline.isInfusionActive(.anakinra, at: CourseBuilder.at(3)))
        #expect(
            timeline.administrations(of: .anakinra, from: CourseBuilder.at(0), through: CourseBuilder.at(5)).count == 1)
        #expect(timeline.lastAdministration(of: .other("foo"), atOrBefore: CourseBuilder.at(5)) == nil)
    }

    @Test("Age from a birth date, and from a reported age")
    func ageAtT() throws {
        var course = CourseBuilder()
        course.patient(at: 0, birthDate: isoDate("2014-03-03T00:00:00Z"))
        let timeline = course.timeline()
        // Reference is 2026-03-02T06:00Z: the 12th birthday is tomorrow.
        let before = try #require(timeline.age(at: CourseBuilder.reference))
        #expect(before.completedYears == 11)
        let on = try #require(timeline.age(at: isoDate("2026-03-03T00:00:00Z")))
        #expect(on.completedYears == 12)
        #expect(on.onFirstDayOfYear)
        #expect(timeline.age(at: isoDate("2026-03-04T00:00:00Z"))?.onFirstDayOfYear == false)
        #expect(timeline.age(at: CourseBuilder.at(-1)) == nil, "no patient event yet")

        var reported = CourseBuilder()
        reported.patient(at: 0, ageYears: 9.5)
        let age = try #require(reported.timeline().age(at: CourseBuilder.at(24 * 365.2425 * 0.6)))
        #expect(age.completedYears == 10)
        #expect(!age.fromBirthDate)
    }

    @Test("Leap-day birthday: the birthday in a common year is 1 March")
    func leapDayBirthday() throws {
        var course = CourseBuilder()
        course.patient(at: 0, birthDate: isoDate("2016-02-29T00:00:00Z"))
        let timeline = course.timeline()
        let feb28 = try #require(timeline.age(at: isoDate("2027-02-28T12:00:00Z")))
        #expect(feb28.completedYears == 10)
        let mar1 = try #require(timeline.age(at: isoDate("2027-03-01T00:00:00Z")))
        #expect(mar1.completedYears == 11)
    }

    @Test("Profile: latest value per field; allergies accumulate; weight 0.3–350 kg and ≤ 30 days")
    func profile() {
        var course = CourseBuilder()
        course.patient(at: 0, ageYears: 10, weightKg: 30, allergies: ["penicillin"])
        course.patient(at: 5, weightKg: 31)
        course.patient(at: 6, weightKg: 0.2)
        let timeline = course.timeline()
        let profile = timeline.profile(at: CourseBuilder.at(7))
        #expect(profile.weight?.kilograms == 31)
        #expect(profile.allergies == ["penicillin"])
        #expect(profile.age?.completedYears == 10)
        #expect(profile.infusion?.target == "CD19")
    }

    @Test("CRS episode and grade history: start, waiver, close, and held-for-24 h queries")
    func crsEpisodeHistory() throws {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, id: "fever", temp: 39, sbp: 85, oxygen: .roomAir)
        course.med(at: 2, .tocilizumab, doseMg: 560)
        for h in stride(from: 4.0, through: 60, by: 4) {
            course.vitals(at: h, temp: 37, sbp: h < 20 ? 85 : 120, oxygen: .roomAir)
        }
        let timeline = course.timeline()
        let episode = try #require(timeline.crsEpisode(at: CourseBuilder.at(10)))
        #expect(episode.startedAt == CourseBuilder.at(1))
        #expect(episode.startEventId == "fever")
        #expect(episode.feverWaivedAt == CourseBuilder.at(2))
        #expect(episode.isOpen)
        #expect(episode.maxGrade == 2)
        // Hypotension until 16 h, normal from 20 h: the episode closes at 44 h.
        let closed = try #require(timeline.crsEpisode(at: CourseBuilder.at(50)))
        #expect(!closed.isOpen)
        #expect(closed.closedAt == CourseBuilder.at(44))
        #expect(timeline.crsCourse.grade(at: CourseBuilder.at(30)) == 1)
        #expect(timeline.crsCourse.grade(at: CourseBuilder.at(44)) == 0)
        #expect(timeline.crsCourse.held(atMost: 1, for: 24 * 3600, endingAt: CourseBuilder.at(44)))
        #expect(!timeline.crsCourse.held(atMost: 1, for: 24 * 3600, endingAt: CourseBuilder.at(43)))
        #expect(timeline.crsCourse.maxGrade(in: CourseBuilder.at(0)...CourseBuilder.at(60)) == 2)
        #expect(timeline.crsCourse.allEpisodes.count == 1)
        #expect(!timeline.isFeverWaived(at: CourseBuilder.at(50)))
        #expect(timeline.isFeverWaived(at: CourseBuilder.at(10)))
        #expect(!timeline.isFeverWaived(at: CourseBuilder.at(1.5)))
        let febrileAndWaived = ToxicityEngine().grade(timeline, at: CourseBuilder.at(2))
        #expect(febrileAndWaived.crs.has(.feverWaived))
        #expect(febrileAndWaived.crs.decisiveCodes == [.hypotension])
    }

    @Test("A new fever after an episode closed opens a new episode with its own maxGrade and waiver")
    func secondEpisode() throws {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 39, sbp: 80, oxygen: .roomAir)
        course.vitals(at: 3, temp: 37, sbp: 120, oxygen: .roomAir)
        course.med(at: 2, .acetaminophen, doseMg: 1000)
        course.vitals(at: 40, temp: 38.4, sbp: 120, oxygen: .roomAir)
        let timeline = course.timeline()
        let result = ToxicityEngine().grade(timeline, at: CourseBuilder.at(40))
        #expect(result.crs.grade == 1)
        #expect(result.crs.maxGrade == 1)
        let episode = try #require(result.crs.episode)
        #expect(episode.startedAt == CourseBuilder.at(40))
        #expect(episode.feverWaivedAt == nil)
        #expect(timeline.crsCourse.allEpisodes.count == 2)
        #expect(timeline.crsCourse.allEpisodes[0].maxGrade == 2)
    }

    @Test("Earlier recommendations: only those issued at or before T")
    func priorRecommendations() {
        let recommendations = [
            PriorRecommendation(
                id: "r2", issuedAt: CourseBuilder.at(5), action: .continue, doseMg: 90, intervalHours: 6),
            PriorRecommendation(id: "r1", issuedAt: CourseBuilder.at(1), action: .start, doseMg: 90, intervalHours: 6),
        ]
        let timeline = PatientTimeline(events: [], recommendations: recommendations)
        #expect(timeline.recommendations(atOrBefore: CourseBuilder.at(3)).map(\.id) == ["r1"])
        #expect(timeline.recommendations(atOrBefore: CourseBuilder.at(5)).map(\.id) == ["r1", "r2"])
    }

    @Test("An engine with another policy rebuilds the timeline's histories")
    func policyMismatchRebuilds() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        course.med(at: 2, .acetaminophen, doseMg: 1000)
        course.vitals(at: 3, temp: 37, sbp: 120, oxygen: .roomAir)
        course.vitals(at: 29, temp: 37, sbp: 120, oxygen: .roomAir)  // current at 30 h (§A13.12: stale has no grade)
        let timeline = course.timeline()
        var policy = GradingPolicy()
        policy.episodeCloseWindow = 72 * 3600
        #expect(ToxicityEngine().grade(timeline, at: CourseBuilder.at(30)).crs.grade == 0)
        #expect(ToxicityEngine(policy: policy).grade(timeline, at: CourseBuilder.at(30)).crs.grade == 1)
    }

    @Test("Adding events gives the same timeline as building from all of them")
    func addingEvents() {
        var course = CourseBuilder()
        course.patient(ageYears: 30, weightKg: 70)
        course.vitals(at: 1, temp: 39, sbp: 120, oxygen: .roomAir)
        let first = course.timeline()
        course.vitals(at: 2, temp: 39, sbp: 80, oxygen: .roomAir)
        let extended = first.adding(Array(course.events.suffix(1)))
        let direct = course.timeline()
        #expect(extended.grade(at: CourseBuilder.at(2)) == direct.grade(at: CourseBuilder.at(2)))
    }
}

@Suite("Compact lists")
struct CompactListTests {
    @Test("CompactList keeps order beyond its inline capacity")
    func compactList() {
        var list: CompactList<Int> = [1, 2]
        for n in 3...6 { list.append(n) }
        #expect(Array(list) == [1, 2, 3, 4, 5, 6])
        #expect(list == CompactList([1, 2, 3, 4, 5, 6]))
        #expect(list != CompactList([1, 2, 3]))
    }
}
