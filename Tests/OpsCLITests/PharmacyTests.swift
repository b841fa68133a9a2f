import Foundation
import KafkaClient
import Testing
import ToxOps
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

#if canImport(Glibc)
import Glibc
#endif

@Suite("toxctl pharmacy")
struct PharmacyTests {
    static let t0 = ShortageTests.t0  // 2026-03-02T08:00:00Z

    static func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }

    static func recommendation(
        _ patient: String, _ action: String, hours: Double, due: Double? = nil, mg: Int? = 56,
        frequency: String? = "Q6H",
        warnings: [String] = [], id: String? = nil
    ) -> RecommendationRecord {
        RecommendationRecord(
            id: id ?? "rec/\(patient)/\(hours)", patientId: patient, assessedAt: at(hours), action: action, mg: mg,
            mgPerKg: 2,
            route: mg == nil ? nil : "IV", frequency: mg == nil ? nil : frequency, dailyMg: mg.map { $0 * 4 },
            nextDoseDueAt: due.map(at), decidingReason: "on-therapy", warnings: warnings,
            protocolId: "childrens-national")
    }

    @Test("latest advice per patient; overdue first (most overdue first), then by due time, then holds and stops")
    func ordering() {
        let records = [
            Self.recommendation("A", "start", hours: 0, due: nil),  // first dose due since hour 0
            Self.recommendation("A", "continue", hours: 2, due: 8),  // supersedes: due at 8, upcoming at 5
            Self.recommendation("B", "continue", hours: 1, due: 3),  // overdue 2 h at 5
            Self.recommendation("C", "start", hours: 4, due: nil),  // first dose, overdue 1 h
            Self.recommendation("D", "taper", hours: 3, due: 6, frequency: "Q8H"),  // upcoming, before A
            Self.recommendation("E", "hold", hours: 4, mg: nil, warnings: ["tnf-blockade"]),
            Self.recommendation("F", "none", hours: 4, mg: nil),  // not active
            Self.recommendation("G", "stop", hours: -30, mg: nil),  // stopped more than a day ago
            Self.recommendation("H", "stop", hours: 1, mg: nil),  // stopped today: stays shown
            // course completed
            Self.recommendation("I", "stop", hours: 2, mg: nil), Self.recommendation("I", "none", hours: 2, mg: nil),
        ]
        let worklist = PharmacyWorklist.build(
            recommendations: records, sites: [:], advice: [], inventory: [], site: nil, at: Self.at(5))
        #expect(worklist.entries.map(\.patientId) == ["B", "C", "D", "A", "E", "H", "I"])
        #expect(worklist.entries.map(\.due) == [.overdue, .overdue, .upcoming, .upcoming, .none, .none, .none])
        let c = worklist.entries[1]
        #expect(c.isFirstDose && c.dueAt == Self.at(4))
        #expect(worklist.entries.allSatisfy { $0.verification == "unverified" })
        let text = worklist.render()
        #expect(text.contains("overdue 2 h (03-02 11:00)"))
        #expect(text.contains("first dose, due since 03-02 12:00 (1 h)"))
        #expect(text.contains("in 3 h (03-02 16:00)"))
        #expect(text.contains("on hold") && text.contains("no further doses") && text.contains("tnf-blockade"))
        #expect(text.contains("unverified") && text.contains("requires clinician verification"))
    }

    @Test(
        "--site: the site's patients (from the admission, else the shortage advice); unknown sites counted, not shown")
    func sites() throws {
        let records = [
            Self.recommendation("A", "continue", hours: 0, due: 6),
            Self.recommendation("B", "continue", hours: 0, due: 6),
            Self.recommendation("C", "continue", hours: 0, due: 6),
            Self.recommendation("D", "continue", hours: 0, due: 6),
        ]
        let advice = [
            ShortageTests.advice(
                "C", "tocilizumab", site: "cnh", hours: 0, need: try ShortageTests.need(mg: 336, doses: 1, units: 1))
        ]
        let worklist = PharmacyWorklist.build(
            recommendations: records, sites: ["A": "cnh", "B": "chop"], advice: advice, inventory: [], site: "cnh",
            at: Self.at(1))
        #expect(worklist.entries.map(\.patientId) == ["A", "C"])
        #expect(worklist.withoutSite == 1)
        #expect(worklist.render().contains("1 active patient(s) with no known site not shown"))
        #expect(worklist.stock.map(\.site) == ["cnh"] && worklist.stock.first?.lines.first?.drug == "tocilizumab")
    }

    @Test(
        "stock per site comes from the shortage totals; a need the worker withdrew ('no longer needed') is not counted")
    func stock() throws {
        // The withdrawal record is what toxd writes when a patient stops needing the short drug.
        let advice = [
            ShortageTests.advice(
                "P1", "tocilizumab", hours: 0, need: try ShortageTests.need(mg: 336, doses: 1, units: 1)),
            ShortageTests.advice(
                "P1", "tocilizumab", hours: 2, cause: "no-longer-needed",
                need: try ShortageTests.need(mg: 0, doses: 0, units: 0)),
            ShortageTests.advice(
                "P2", "tocilizumab", hours: 1, need: try ShortageTests.need(mg: 400, doses: 1, units: 1)),
        ]
        let inventory = [ShortageTests.stock(.tocilizumab, .shortage, units: 0, unitMg: 400)]
        let report = ShortageTotals.compute(site: "cnh", advice: advice, inventory: inventory)
        #expect(
            report.lines.first?.patients == 1 && report.lines.first?.mg == 400 && report.lines.first?.shortfall == 1)
        let worklist = PharmacyWorklist.build(
            recommendations: [], sites: [:], advice: advice, inventory: inventory, site: nil, at: Self.at(3))
        #expect(worklist.stock.first?.lines.first?.patients == 1)
        // As of hour 1 (before the withdrawal), both patients needed it.
        let earlier = PharmacyWorklist.build(
            recommendations: [], sites: [:], advice: advice, inventory: inventory, site: nil, at: Self.at(1),
            asOf: Self.at(1))
        #expect(earlier.stock.first?.lines.first?.patients == 2)
    }

    @Test("JSON: one document with the patients (id only) and the stock; nothing else about the patient")
    func json() throws {
        let worklist = PharmacyWorklist.build(
            recommendations: [Self.recommendation("A", "continue", hours: 0, due: 1, warnings: ["infection-risk"])],
            sites: ["A": "cnh"],
            advice: [], inventory: [ShortageTests.stock(.anakinra, .shortage, units: 2, unitMg: 100)], site: "cnh",
            at: Self.at(3))
        let text = try worklist.renderJSON()
        #expect(!text.contains("\n"))
        let document = try Ops.json(text)
        #expect(document["site"] as? String == "cnh" && document["requiresClinicianVerification"] as? Bool == true)
        let patient = try #require((document["patients"] as? [[String: Any]])?.first)
        #expect(
            Set(patient.keys) == [
                "patientId", "site", "action", "dose", "nextDoseDueAt", "firstDose", "due", "minutesOverdue",
                "warnings", "alerts",
                "verification", "protocol", "recommendationId", "recommendedAt",
            ])
        #expect(patient["due"] as? String == "overdue" && patient["minutesOverdue"] as? Int == 120)
        #expect((patient["dose"] as? [String: Any])?["mg"] as? Int == 56)
        #expect(patient["verification"] as? String == "unverified")
        let stock = try #require((document["stock"] as? [[String: Any]])?.first)
        #expect(
            stock["site"] as? String == "cnh" && stock["drug"] as? String == "anakinra"
                && stock["unitsOnHand"] as? Int == 2)
    }

    // MARK: Against the embedded cluster

    static func recommendationRecord(_ patient: String, _ action: String, hours: Double, due: Double?) -> ProducerRecord
    {
        let dose = action == "stop" ? "null" : #"{"mg":56,"mgPerKg":2,"route":"IV","frequency":"Q6H","dailyMg":224}"#
        let value = CourseChartTests.output(
            "anakinra-recommendation", "rec/\(patient)/\(hours)", patient: patient, hours: hours + 24,
            #""action":"\#(action)","dose":\#(dose),"nextDoseDueAt":\#(due.map { "\"\(CourseChartTests.iso($0 + 24))\"" } ?? "null"),"reasons":[{"code":"on-therapy","decisive":true}],"warnings":[],"alerts":[{"code":"weight-stale"}],"protocol":"childrens-national""#
        )
        return ProducerRecord(topic: ToxWatchTopics.anakinraRecommendations, key: Array(patient.utf8), value: value)
    }

    static func admissionRecord(_ patient: String, site: String) -> ProducerRecord {
        let json =
            #"{"type":"patient","eventId":"\#(patient)-adm","patientId":"\#(patient)","occurredAt":"2026-03-01T08:00:00Z","ageYears":9,"weightKg":28,"allergies":[],"site":"\#(site)"}"#
        return ProducerRecord(topic: ToxWatchTopics.patient, key: Array(patient.utf8), value: Array(json.utf8))
    }

    @Test("against the embedded cluster: the site's worklist, JSON, and --watch with a bounded number of refreshes")
    func command() async throws {
        let cluster = try Ops.cluster()
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Ops.logger)
        let inventory =
            #"{"type":"inventory","eventId":"inv-1","occurredAt":"2026-03-02T07:00:00Z","site":"cnh","drug":"anakinra","status":"shortage","unitsOnHand":3,"unitMg":100}"#
        _ = try await producer.send([
            Self.admissionRecord("PH-1", site: "cnh"), Self.admissionRecord("PH-2", site: "cnh"),
            Self.admissionRecord("PH-3", site: "chop"),
            Self.recommendationRecord("PH-1", "continue", hours: 0, due: 6),
            Self.recommendationRecord("PH-2", "start", hours: 0, due: nil),
            Self.recommendationRecord("PH-2", "continue", hours: 1, due: 2),
            Self.recommendationRecord("PH-3", "continue", hours: 0, due: 1),
            ProducerRecord(
                topic: ToxWatchTopics.inventory, key: Array("cnh/anakinra".utf8), value: Array(inventory.utf8)),
            ProducerRecord(
                topic: ToxWatchTopics.anakinraRecommendations, key: Array("PH-9".utf8),
                value: Array("not a record".utf8)),
        ])
        let at = CourseChartTests.iso(24 + 4)  // 2026-03-02T12:00:00Z
        let text = try await Ops.toxctl([
            "pharmacy", "--brokers", cluster.bootstrapServers, "--site", "cnh", "--at", at,
        ])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let ph2 = try #require(lines.firstIndex { $0.hasPrefix("PH-2") })
        let ph1 = try #require(lines.firstIndex { $0.hasPrefix("PH-1") })
        #expect(ph2 < ph1, "PH-2 is overdue, PH-1 upcoming:\n\(text.stdout)")
        #expect(
            lines[ph2].contains("CONTINUE") && lines[ph2].contains("overdue 2 h") && lines[ph2].contains("weight-stale")
        )
        #expect(
            lines[ph2].contains("56 mg (2 mg/kg)") && lines[ph2].contains("224 mg") && lines[ph2].contains("unverified")
        )
        #expect(!text.stdout.contains("PH-3"), "another site")
        let stock = try #require(lines.first { $0.hasPrefix("cnh") && $0.contains("anakinra") }, "\(text.stdout)")
        #expect(stock.contains("shortage") && stock.hasSuffix("0"), "no patient needs it: no shortfall")

        let json = try await Ops.toxctl(["pharmacy", "--brokers", cluster.bootstrapServers, "--json", "--at", at])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try Ops.json(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(
            (document["patients"] as? [[String: Any]])?.compactMap { $0["patientId"] as? String } == [
                "PH-3", "PH-2", "PH-1",
            ])

        // --watch: one JSON document per refresh, as many as --samples.
        let watched = try await Ops.toxctl(
            [
                "pharmacy", "--brokers", cluster.bootstrapServers, "--site", "cnh", "--json", "--watch", "0.2",
                "--samples", "3", "--at", at,
            ])
        #expect(watched.status == 0, "\(watched.stderr)")
        let documents = watched.stdout.split(separator: "\n")
        #expect(documents.count == 3)
        #expect(try documents.allSatisfy { try Ops.json($0)["site"] as? String == "cnh" })

        // Each refresh reads the topics again: a recommendation written while watching appears.
        let process = ManagedProcess(
            "toxctl", executable: try BuildProducts.url("toxctl"),
            arguments: [
                "pharmacy", "--brokers", cluster.bootstrapServers, "--site", "cnh", "--json", "--watch", "0.2",
                "--samples", "600",
            ],
            environment: ["NO_COLOR": "1"])
        try process.start()
        _ = try await process.waitForLine(startingWith: "{", timeout: .seconds(60))
        #expect(!process.standardOutput.contains("PH-4"))
        _ = try await producer.send([
            Self.admissionRecord("PH-4", site: "cnh"), Self.recommendationRecord("PH-4", "continue", hours: 2, due: 8),
        ])
        try await eventually(
            "a later refresh shows the new recommendation", timeout: .seconds(60), every: .milliseconds(100)
        ) {
            process.standardOutput.contains(#""patientId":"PH-4""#)
        }
        process.send(SIGTERM)
        try await process.waitForExit(timeout: .seconds(30))
        await producer.close()

        let help = try await Ops.toxctl(["pharmacy", "--help"])
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("--watch"))
        let badSamples = try await Ops.toxctl(["pharmacy", "--brokers", cluster.bootstrapServers, "--samples", "2"])
        #expect(badSamples.status == 2 && badSamples.stderr.contains("--samples needs --watch"))
        withExtendedLifetime(cluster) {}
    }
}
