import Foundation
import KafkaClient
import Testing
import ToxOps
import ToxWatchContract
import ToxicityRules

@Suite("toxctl shortage")
struct ShortageTests {
    static let t0 = Date(timeIntervalSince1970: 1_772_438_400)  // 2026-03-02T08:00:00Z

    static func need(mg: Double?, doses: Int?, units: Int?) throws -> ShortageNeed {
        var fields: [String] = []
        if let mg { fields.append("\"mg\":\(mg)") }
        if let doses { fields.append("\"doses\":\(doses)") }
        if let units { fields.append("\"units\":\(units)") }
        return try JSONDecoder().decode(ShortageNeedWire.self, from: Data("{\(fields.joined(separator: ","))}".utf8))
            .need
    }

    static func advice(
        _ patient: String, _ drug: String, site: String = "cnh", hours: Double, cause: String = "shortage",
        need: ShortageNeed?
    ) -> ShortageAdvice {
        ShortageAdvice(
            patientId: patient, assessedAt: t0.addingTimeInterval(hours * 3600), shortDrug: drug, site: site,
            status: .shortage,
            cause: cause, need: need)
    }

    static func stock(
        _ drug: Drug, _ status: StockStatus, units: Int?, unitMg: Double?, site: String = "cnh", hours: Double = 0
    )
        -> InventoryEvent
    {
        InventoryEvent(
            eventId: "inv-\(site)-\(drug.name)-\(hours)", occurredAt: t0.addingTimeInterval(hours * 3600), site: site,
            drug: drug,
            status: status, unitsOnHand: units, unitMg: unitMg)
    }

    @Test(
        "the latest advice per patient and drug, at the site, for shortages only; needs total against the latest stock")
    func totals() throws {
        let advice = [
            Self.advice("P1", "anakinra", hours: 0, need: try Self.need(mg: 400, doses: 4, units: 4)),
            Self.advice("P1", "anakinra", hours: 2, need: try Self.need(mg: 200, doses: 2, units: 2)),  // supersedes
            // 75 mg/dose → 2 syringes
            Self.advice("P2", "anakinra", hours: 1, need: try Self.need(mg: 150, doses: 2, units: nil)),
            Self.advice("P3", "anakinra", hours: 1, need: try Self.need(mg: 100, doses: 1, units: 1)),
            // no longer needs it
            Self.advice("P3", "anakinra", hours: 3, need: try Self.need(mg: 0, doses: 0, units: 0)),
            Self.advice("P4", "anakinra", site: "chop", hours: 1, need: try Self.need(mg: 900, doses: 9, units: 9)),
            Self.advice(
                "P5", "anakinra", hours: 1, cause: "contraindication", need: try Self.need(mg: 100, doses: 1, units: 1)),
            Self.advice("P6", "tocilizumab", hours: 1, need: try Self.need(mg: 336, doses: 1, units: nil)),
        ]
        let inventory = [
            Self.stock(.anakinra, .low, units: 10, unitMg: 100, hours: -5),
            Self.stock(.anakinra, .shortage, units: 3, unitMg: 100, hours: -1),  // latest
            Self.stock(.tocilizumab, .unavailable, units: 0, unitMg: 400),
            Self.stock(.siltuximab, .shortage, units: 2, unitMg: 100),
            Self.stock(.anakinra, .available, units: 500, unitMg: 100, site: "chop"),
        ]
        let report = ShortageTotals.compute(site: "cnh", advice: advice, inventory: inventory)
        #expect(report.lines.map(\.drug) == ["anakinra", "siltuximab", "tocilizumab"])
        let anakinra = report.lines[0]
        #expect(anakinra.status == "shortage")
        #expect(anakinra.patients == 2)
        #expect(anakinra.doses == 4)
        #expect(anakinra.mg == 350)
        #expect(anakinra.unitsNeeded == 4)
        #expect(anakinra.unitsOnHand == 3)
        #expect(anakinra.shortfall == 1)
        #expect(report.lines[1].patients == 0 && report.lines[1].shortfall == 0)
        let tocilizumab = report.lines[2]
        #expect(tocilizumab.unitsNeeded == 1)
        #expect(tocilizumab.shortfall == 1)
        #expect(report.superseded == 2)
        #expect(report.hasShortfall)
        let text = report.render()
        #expect(text.contains("Site cnh"))
        #expect(text.contains("2 earlier advice record(s) superseded"))
        let json = try Ops.json(try report.renderJSON())
        #expect((json["drugs"] as? [[String: Any]])?.first?["shortfall"] as? Int == 1)
    }

    @Test("units: whole syringes per dose; unknown unit size leaves units and shortfall unknown")
    func units() throws {
        let advice = [
            // 60 mg → 1 each
            Self.advice("P1", "anakinra", hours: 0, need: try Self.need(mg: 240, doses: 4, units: nil)),
            // 3 syringes
            Self.advice("P2", "anakinra", hours: 0, need: try Self.need(mg: 250, doses: nil, units: nil)),
            Self.advice("P3", "emapalumab", hours: 0, need: try Self.need(mg: 50, doses: 1, units: nil)),
        ]
        let report = ShortageTotals.compute(site: "cnh", advice: advice, inventory: [])
        #expect(report.lines[0].unitsNeeded == 7)
        #expect(report.lines[0].unitMg == 100)
        #expect(report.lines[0].unitsOnHand == nil && report.lines[0].shortfall == nil)
        #expect(report.lines[1].unitsNeeded == nil)
        #expect(!report.hasShortfall)
    }

    /// A record as toxd writes it: the engine's ShortageAlternative with the output envelope.
    static func record(_ patient: String, site: String, need: String, at date: Date, drug: String = "anakinra") throws
        -> [UInt8]
    {
        let alternative = ShortageAlternative(
            shortDrug: drug, site: site, status: .shortage, cause: "shortage", reasons: [], alternatives: [],
            excluded: [],
            need24h: try JSONDecoder().decode(ShortageNeedWire.self, from: Data(need.utf8)).need)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var object = try #require(
            try JSONSerialization.jsonObject(with: try encoder.encode(ShortageAlternativeWire(alternative)))
                as? [String: Any])
        object["type"] = "shortage-alternative"
        object["id"] = "\(patient)/test/\(date.timeIntervalSince1970)"
        object["patientId"] = patient
        object["assessedAt"] = ISO8601Timestamp.format(date)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    @Test("decodes what toxd writes; other documents are not advice")
    func decoding() throws {
        let advice = try #require(
            ShortageAdvice.decode(
                try Self.record("P9", site: "cnh", need: "{\"mg\":200,\"doses\":2,\"units\":2}", at: Self.t0)))
        #expect(
            advice.patientId == "P9" && advice.shortDrug == "anakinra" && advice.site == "cnh"
                && advice.status == .shortage)
        #expect(advice.need?.units == 2)
        #expect(advice.assessedAt == Self.t0)
        #expect(ShortageAdvice.decode(Array("{\"type\":\"toxicity-grades\"}".utf8)) == nil)
        #expect(ShortageAdvice.decode(Array("nonsense".utf8)) == nil)
        // Needs past any patient's 24 hours are not advice: two of them would overflow the totals.
        for need in ["{\"units\":9223372036854775807}", "{\"doses\":-1}", "{\"mg\":1e300}"] {
            #expect(
                ShortageAdvice.decode(try Self.record("P9", site: "cnh", need: need, at: Self.t0)) == nil, "\(need)")
        }
    }

    @Test("against the embedded cluster: totals, JSON, exit 1 on a shortfall")
    func command() async throws {
        let cluster = try Ops.cluster()
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServerList), logger: Ops.logger)
        func inventory(_ drug: String, _ status: String, _ units: Int, site: String = "cnh") -> ProducerRecord {
            let json = """
                {"type":"inventory","eventId":"inv-\(site)-\(drug)-\(status)","occurredAt":"2026-03-02T07:00:00Z","site":"\(site)",\
                "drug":"\(drug)","status":"\(status)","unitsOnHand":\(units),"unitMg":100}
                """
            return ProducerRecord(
                topic: ToxWatchTopics.inventory, key: Array("\(site)/\(drug)".utf8), value: Array(json.utf8))
        }
        let topic = ToxWatchTopics.shortageAlternatives
        _ = try await producer.send([
            inventory("anakinra", "available", 40),
            inventory("anakinra", "shortage", 3),  // same key, later: the latest
            inventory("anakinra", "available", 90, site: "chop"),
            ProducerRecord(
                topic: topic, key: Array("P1".utf8),
                value: try Self.record("P1", site: "cnh", need: "{\"mg\":200,\"doses\":2,\"units\":2}", at: Self.t0)),
            ProducerRecord(
                topic: topic, key: Array("P2".utf8),
                value: try Self.record("P2", site: "cnh", need: "{\"mg\":300,\"doses\":3}", at: Self.t0)),
            ProducerRecord(
                topic: topic, key: Array("P3".utf8),
                value: try Self.record("P3", site: "chop", need: "{\"mg\":100,\"doses\":1,\"units\":1}", at: Self.t0)),
            ProducerRecord(topic: topic, key: Array("P4".utf8), value: Array("not advice".utf8)),
            // Issue 18.5: inventory records that are not inventory events (no status; not JSON at all)
            // were skipped silently; they are counted (toxd dead-letters them). The second is the
            // latest record of cnh/anakinra: its line uses the one before, and says so.
            ProducerRecord(
                topic: ToxWatchTopics.inventory, key: Array("cnh/tocilizumab".utf8),
                value: Array(
                    #"{"type":"inventory","eventId":"x","occurredAt":"2026-03-02T07:00:00Z","site":"cnh","drug":"tocilizumab"}"#
                        .utf8)),
            ProducerRecord(
                topic: ToxWatchTopics.inventory, key: Array("cnh/anakinra".utf8), value: Array("anakinra: 1 box".utf8)),
        ])
        await producer.close()
        let json = try await Ops.toxctl(["shortage", "--brokers", cluster.bootstrapServers, "--site", "cnh", "--json"])
        #expect(json.status == 1, "a shortfall: \(json.stderr)")
        #expect(json.stderr.contains("shortfall at cnh: anakinra (2 units)"))
        let document = try Ops.json(json.stdout)
        let line = try #require((document["drugs"] as? [[String: Any]])?.first)
        #expect(line["drug"] as? String == "anakinra")
        #expect(line["patients"] as? Int == 2)
        #expect(line["doses"] as? Int == 5)
        #expect(line["mg"] as? Double == 500)
        #expect(line["unitsNeeded"] as? Int == 5)
        #expect(line["unitsOnHand"] as? Int == 3)
        #expect(line["shortfall"] as? Int == 2)
        #expect(document["unreadable"] as? Int == 1)
        #expect(document["unreadableInventory"] as? Int == 2)
        #expect(document["staleInventoryKeys"] as? [String] == ["cnh/anakinra"])
        let table = try await Ops.toxctl(["shortage", "--brokers", cluster.bootstrapServers, "--site", "cnh"])
        #expect(table.stdout.contains("2 inventory records could not be read"), "\(table.stdout)")
        #expect(table.stdout.contains("The latest inventory record of cnh/anakinra could not be read"))
        let chop = try await Ops.toxctl(["shortage", "--brokers", cluster.bootstrapServers, "--site", "chop"])
        #expect(chop.status == 0, "\(chop.stderr)")
        #expect(chop.stdout.contains("anakinra"))
        #expect(!chop.stdout.contains("The latest inventory record"))
        #expect(try await Ops.toxctl(["shortage", "--help"]).stdout.contains("Example"))
        withExtendedLifetime(cluster) {}
    }
}

@Suite("ApiVersions probe")
struct APIVersionsProbeTests {
    @Test("the 2.0.2 mock advertises metadata and offsets but neither DescribeGroups, DescribeConfigs nor CreateTopics")
    func mock() throws {
        let apis = try #require(
            KafkaAPIVersionsProbe.advertisedAPIs(servers: Ops.shared.bootstrapServerList, timeout: .seconds(10)))
        #expect(apis[.metadata] != nil)
        #expect(apis[.offsetFetch] != nil)
        #expect(apis[.apiVersions] != nil)
        #expect(apis[.describeGroups] == nil)
        #expect(apis[.describeConfigs] == nil)
        #expect(apis[.createTopics] == nil)
        #expect(apis[.listGroups] == nil)
    }

    @Test("nobody listening: nil, not a hang")
    func unreachable() {
        #expect(
            KafkaAPIVersionsProbe.advertisedAPIs(servers: ["127.0.0.1:1", "not-a-server"], timeout: .seconds(2)) == nil)
    }
}
