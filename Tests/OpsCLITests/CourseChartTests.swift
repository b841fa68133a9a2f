import Foundation
import Testing
import ToxOps
import ToxTestSupport
import ToxWatchContract
import ToxicityRules

/// Hand-made courses and outputs (as the worker writes them, plus the `"grade": null` the contract
/// is gaining), drawn in process and read back as XML.
@Suite("toxctl chart: drawing")
struct CourseChartTests {
    static let t0 = Date(timeIntervalSince1970: 1_772_352_000)  // 2026-03-01T08:00:00Z

    static func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }
    static func iso(_ hours: Double) -> String { ISO8601Timestamp.format(at(hours)) }

    /// An output record value as the worker writes it (only the fields the chart reads, plus the envelope).
    static func output(_ type: String, _ id: String, patient: String, hours: Double, _ body: String) -> [UInt8] {
        Array(
            #"{"type":"\#(type)","id":"\#(id)","patientId":"\#(patient)","assessedAt":"\#(iso(hours))",\#(body)}"#.utf8)
    }

    static func grade(_ grade: String, flags: [String] = [], reason: String = "fever", extra: String = "") -> String {
        let flagList = flags.map { "\"\($0)\"" }.joined(separator: ",")
        return
            #"{"grade":\#(grade),"maxGrade":2,"flags":[\#(flagList)],"reasons":[{"code":"\#(reason)","decisive":true}],"requiresClinicianVerification":true\#(extra)}"#
    }

    static func grades(_ id: String, patient: String, hours: Double, crs: String, icans: String = grade("0")) -> [UInt8]
    {
        output(
            "toxicity-grades", id, patient: patient, hours: hours,
            #""crs":\#(crs),"icans":\#(icans),"iecHs":{"grade":0,"maxGrade":0,"present":false,"provisional":true,"criteria":"astct-2023","flags":[],"reasons":[]},"inputEventIds":[],"alerts":[]"#
        )
    }

    /// An adult's course with every kind of event the chart draws, and every kind of output.
    static func adultCourse(patient: String = "P-ADULT") -> (ChartCourse, outputs: [(String, String)]) {
        let p = patient
        let events: [ClinicalEvent] = [
            .patient(
                PatientEvent(
                    eventId: "adm", patientId: p, occurredAt: at(-2), ageYears: 40, weightKg: 70,
                    infusion: Infusion(product: "axi-cel", target: "CD19", infusedAt: at(0)), protocolId: "nih-cc",
                    site: "north")),
            .vitals(
                VitalsEvent(
                    eventId: "v1", patientId: p, occurredAt: at(10), temperatureC: 38.6, systolicBP: 85,
                    meanArterialPressure: 60,
                    oxygen: OxygenSupport(device: .lowFlowNasalCannula, flowLPerMin: 3))),
            .vitals(
                VitalsEvent(
                    eventId: "v2", patientId: p, occurredAt: at(20), temperatureC: 37.1, systolicBP: 118,
                    oxygen: OxygenSupport(device: .cpap))),
            .vitals(VitalsEvent(eventId: "v3", patientId: p, occurredAt: at(22), heartRate: 120, spo2: 93)),
            .neuro(
                NeuroEvent(eventId: "n1", patientId: p, occurredAt: at(12), iceScore: 6, consciousness: .awakensToVoice)
            ),
            .neuro(NeuroEvent(eventId: "n2", patientId: p, occurredAt: at(24), consciousness: .awake)),
            .lab(
                LabEvent(
                    eventId: "l1", patientId: p, occurredAt: at(11), test: .ferritin, value: 2400,
                    upperLimitOfNormal: 300)),
            .finding(FindingEvent(eventId: "f1", patientId: p, occurredAt: at(30), finding: .splenomegaly)),
            .medication(
                MedicationEvent(
                    eventId: "m-toci", patientId: p, occurredAt: at(11), drug: .tocilizumab, action: .administered,
                    doseMg: 560, route: .iv)),
            .medication(
                MedicationEvent(
                    eventId: "m-dex-o", patientId: p, occurredAt: at(13), drug: .dexamethasone, action: .ordered,
                    doseMg: 10, route: .iv)),
            .medication(
                MedicationEvent(
                    eventId: "m-mp", patientId: p, occurredAt: at(14), drug: .methylprednisolone, action: .administered,
                    doseMg: 1000, route: .iv)),
            .medication(
                MedicationEvent(
                    eventId: "m-ana", patientId: p, occurredAt: at(16), drug: .anakinra, action: .administered,
                    doseMg: 100, route: .iv)),
            .medication(
                MedicationEvent(
                    eventId: "m-silt", patientId: p, occurredAt: at(18), drug: .siltuximab, action: .discontinued)),
            .medication(
                MedicationEvent(
                    eventId: "m-ne-on", patientId: p, occurredAt: at(12), drug: .norepinephrine,
                    action: .infusionStarted, route: .iv)),
            .medication(
                MedicationEvent(
                    eventId: "m-ne-rate", patientId: p, occurredAt: at(15), drug: .norepinephrine,
                    action: .infusionRateChanged, rate: 0.1)),
            .medication(
                MedicationEvent(
                    eventId: "m-ne-off", patientId: p, occurredAt: at(19), drug: .norepinephrine,
                    action: .infusionStopped)),
            .medication(
                MedicationEvent(
                    eventId: "m-vaso-on", patientId: p, occurredAt: at(26), drug: .vasopressin, action: .infusionStarted
                )),
        ]
        let values: [(String, Double, [UInt8])] = [
            ("g1", 10, grades("g1", patient: p, hours: 10, crs: grade("2"), icans: grade("2", reason: "ice-score"))),
            (
                "g2", 20,
                grades(
                    "g2", patient: p, hours: 20,
                    crs: grade("null", reason: "cannot-grade", extra: #","lastGraded":{"grade":2,"at":"\#(iso(10))"}"#))
            ),
            ("g3", 30, grades("g3", patient: p, hours: 30, crs: grade("1", flags: ["incomplete-data"]))),
            (
                "r1", 12,
                output(
                    "anakinra-recommendation", "r1", patient: p, hours: 12,
                    #""action":"start","dose":{"mg":100,"mgPerKg":1.43,"route":"IV","frequency":"Q6H","dailyMg":400},"nextDoseDueAt":null,"reasons":[{"code":"protocol-route","decisive":false},{"code":"refractory-grade-rose","decisive":true}],"warnings":[{"code":"infection-risk"}],"alerts":[],"protocol":"nih-cc""#
                )
            ),
            (
                "r2", 28,
                output(
                    "anakinra-recommendation", "r2", patient: p, hours: 28,
                    #""action":"hold","dose":null,"reasons":[{"code":"tnf-blockade"}],"warnings":[],"alerts":[]"#)
            ),
            (
                "s1", 12,
                output(
                    "shortage-alternative", "s1", patient: p, hours: 12,
                    #""shortDrug":"tocilizumab","site":"north","status":"shortage","cause":"shortage","alternatives":[{"rank":1,"drug":"anakinra","dose":{"mg":100}}],"need24h":{"mg":560,"doses":1}"#
                )
            ),
            (
                "s2", 29,
                output(
                    "shortage-alternative", "s2", patient: p, hours: 29,
                    #""shortDrug":"tocilizumab","site":"north","cause":"no-longer-needed","alternatives":[],"need24h":{"mg":0}"#
                )
            ),
        ]
        let inventory = [
            InventoryEvent(
                eventId: "inv-north", occurredAt: at(9), site: "north", drug: .tocilizumab, status: .shortage,
                unitsOnHand: 0),
            InventoryEvent(
                eventId: "inv-south", occurredAt: at(9), site: "south", drug: .tocilizumab, status: .available),
        ]
        let course = ChartCourse(
            patientId: p, events: events, inventory: inventory,
            outputs: values.compactMap { CourseOutput.decode($0.2) },
            through: at(36), origin: "test")
        return (course, values.map { ($0.0, iso($0.1)) })
    }

    static func render(_ course: ChartCourse) throws -> DrawnChart {
        try DrawnChart(Data(CourseChart(course: course).render().utf8))
    }

    @Test("every event, stock record of the site and output is drawn at its time; another site's stock is not")
    func everythingAtItsTime() throws {
        let (course, outputs) = Self.adultCourse()
        #expect(course.outputs.count == outputs.count, "every hand-written output decodes")
        let chart = try Self.render(course)
        let events =
            course.events.map { ($0.eventId, ISO8601Timestamp.format($0.occurredAt)) } + [("inv-north", Self.iso(9))]
        #expect(chart.problems(events: events).isEmpty, "\(chart.problems(events: events))")
        #expect(chart.problems(outputs: outputs).isEmpty, "\(chart.problems(outputs: outputs))")
        #expect(chart.drawn(event: "inv-south").isEmpty)
        // Vasopressors: norepinephrine as a bar from start to stop, vasopressin still running at the end.
        let norepinephrine = try #require(chart.drawn(event: "m-ne-on").first)
        #expect(norepinephrine.name == "rect" && norepinephrine["data-running"] == nil)
        let width = try #require(norepinephrine["width"].flatMap(Double.init))
        #expect(abs(width - (chart.x(of: Self.at(19)) - chart.x(of: Self.at(12)))) < 0.05)
        #expect(chart.drawn(event: "m-vaso-on").first?["data-running"] == "true")
        // Values: the temperature point sits at its value on the panel's scale.
        let fever = try #require(chart.drawn(event: "v1").first { $0["data-series"] == "temperature" })
        #expect(fever["data-value"] == "38.6")
        let panel = try #require(
            chart.elements.first { $0["data-series"] == "temperature" && $0["data-value-min"] != nil })
        let (low, high) = (Double(panel["data-value-min"]!)!, Double(panel["data-value-max"]!)!)
        let (top, bottom) = (Double(panel["data-y-top"]!)!, Double(panel["data-y-bottom"]!)!)
        let y = try #require(fever["transform"]?.split(separator: ",").last?.dropLast().description).flatMap(
            Double.init)
        #expect(abs(try #require(y) - (bottom - (38.6 - low) / (high - low) * (bottom - top))) < 0.05)
        // The recommendation: its action, dose and the decisive reason (not the first one listed).
        let start = try #require(chart.drawn(output: "r1").first)
        #expect(
            start["data-series"] == "start" && start["data-value"] == "100 mg IV Q6H"
                && start["data-reason"] == "refractory-grade-rose")
        #expect(
            chart.root.allText.contains("START 100 mg IV Q6H · 400 mg/day")
                && chart.root.allText.contains("why: refractory-grade-rose"))
    }

    @Test("a grade the engine cannot give is drawn as 'cannot grade', never as 0; incomplete data as a lower bound")
    func ungradable() throws {
        let chart = try Self.render(Self.adultCourse().0)
        let band = try #require(chart.drawn(output: "g2").first { $0["data-series"] == "crs" })
        #expect(
            band["data-state"] == "cannot-grade" && band["data-value"] == "null" && band["fill"] == "url(#cannot-grade)"
        )
        #expect(!chart.drawn(output: "g2").contains { $0["data-series"] == "crs" && $0["data-value"] == "0" })
        let texts = chart.elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("cannot grade (last 2)"))
        let incomplete = try #require(chart.drawn(output: "g3").first { $0["data-series"] == "crs" })
        #expect(incomplete["data-state"] == "incomplete" && incomplete["data-value"] == "1")
        #expect(texts.contains("≥1"))
        let decoded = Self.adultCourse().0.outputs.compactMap { output -> GradesRecord? in
            if case .grades(let g) = output, g.id == "g2" { return g }
            return nil
        }.first
        #expect(
            decoded?.crs.grade == nil && decoded?.crs.lastGraded == GradeState.LastGraded(grade: 2, at: Self.at(10)))
        #expect(decoded?.crs.decidingReason == "cannot-grade")
    }

    @Test("thresholds are the engine's: adult systolic 90 and MAP 65; ICE grade boundaries; fever 38.0")
    func adultThresholds() throws {
        let chart = try Self.render(Self.adultCourse().0)
        let thresholds = chart.elements.filter { $0["data-threshold"] != nil }
        #expect(thresholds.filter { $0["data-threshold"] == "systolic" }.compactMap { $0["data-value"] } == ["90"])
        #expect(
            thresholds.filter { $0["data-threshold"] == "mean-arterial-pressure" }.compactMap { $0["data-value"] } == [
                "65"
            ])
        #expect(
            thresholds.filter { $0["data-threshold"] == "ice" }.compactMap { $0["data-value"] } == [
                "2.5", "6.5", "9.5",
            ])
        #expect(thresholds.contains { $0["data-threshold"] == "38.0 °C fever (ASTCT)" })
    }

    @Test("a child: CAPD boundaries, no MAP line, and the systolic threshold steps on the tenth birthday")
    func childThresholds() throws {
        let p = "P-CHILD"
        let birth = try #require(ISO8601Date.parse("2016-03-02"))  // turns 10 on 2026-03-02, a day after the infusion
        let events: [ClinicalEvent] = [
            .patient(
                PatientEvent(
                    eventId: "adm", patientId: p, occurredAt: Self.at(-2), birthDate: birth, weightKg: 30,
                    infusion: Infusion(product: "tisa-cel", target: "CD19", infusedAt: Self.at(0)))),
            .vitals(
                VitalsEvent(
                    eventId: "v1", patientId: p, occurredAt: Self.at(6), systolicBP: 86, meanArterialPressure: 58)),
            .neuro(NeuroEvent(eventId: "n1", patientId: p, occurredAt: Self.at(8), capdScore: 10)),
            .vitals(VitalsEvent(eventId: "v2", patientId: p, occurredAt: Self.at(40), systolicBP: 100)),
        ]
        let chart = try Self.render(ChartCourse(patientId: p, events: events, outputs: [], origin: "test"))
        let systolic = chart.elements.filter { $0["data-threshold"] == "systolic" }
        #expect(systolic.compactMap { $0["data-value"] } == ["88", "90"])
        let step = try #require(systolic.last?["d"]?.dropFirst().split(separator: ",").first.flatMap { Double($0) })
        #expect(
            abs(step - chart.x(of: try #require(DrawnChart.date("2026-03-02T00:00:00Z")))) < 0.05,
            "the step is on the birthday")
        #expect(!chart.elements.contains { $0["data-threshold"] == "mean-arterial-pressure" })
        #expect(
            chart.elements.filter { $0["data-threshold"] == "capd" }.compactMap { $0["data-value"] } == ["0.5", "8.5"])
        #expect(chart.root.allText.contains("no grade published"))
        #expect(chart.problems(events: events.map { ($0.eventId, ISO8601Timestamp.format($0.occurredAt)) }).isEmpty)
    }

    @Test("text is escaped: a patient id with XML characters still gives well-formed XML")
    func escaping() throws {
        let p = #"P<1>&"2'"#
        let events: [ClinicalEvent] = [
            .vitals(VitalsEvent(eventId: "e&<1>", patientId: p, occurredAt: Self.t0, temperatureC: 37))
        ]
        let chart = try Self.render(ChartCourse(patientId: p, events: events, outputs: [], origin: "a & b"))
        #expect(chart.root["data-patient-id"] == p)
        #expect(chart.drawn(event: "e&<1>").count == 1)
        #expect(chart.root.allText.contains("ToxWatch course: patient \(p)"))
    }

    @Test("outputs are read tolerantly: unknown fields ignored, another document or broken JSON is not an output")
    func outputDecoding() {
        let unknown = Self.output(
            "anakinra-recommendation", "r9", patient: "P", hours: 1, #""action":"continue","futureField":{"x":1}"#)
        guard case .recommendation(let record)? = CourseOutput.decode(unknown) else {
            Issue.record("a recommendation with an unknown field must decode")
            return
        }
        #expect(record.action == "continue" && record.doseText == nil && record.decidingReason == nil)
        #expect(
            CourseOutput.decode(
                Array(#"{"type":"vitals","id":"x","patientId":"P","assessedAt":"2026-03-01T00:00:00Z"}"#.utf8)) == nil)
        #expect(CourseOutput.decode(Array("{not json".utf8)) == nil)
        #expect(CourseOutput.decode(Self.output("toxicity-grades", "g", patient: "P", hours: 1, #""crs":{}"#)) == nil)
    }
}
