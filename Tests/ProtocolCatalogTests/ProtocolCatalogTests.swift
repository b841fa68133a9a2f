import Foundation
import Testing

@testable import ProtocolCatalog
@testable import ToxicityRules

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "toxwatch-protocols-\(UUID().uuidString)",
            isDirectory: true
        )
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ data: Data) throws {
        try data.write(to: url.appendingPathComponent(name))
    }
}

/// Shipped files as JSON objects, for building malformed variants.
enum ShippedDocument {
    static func object(_ id: String) throws -> [String: Any] {
        let url = try #require(
            try AnakinraProtocolCatalog.bundledProtocolFiles().first { $0.lastPathComponent == "\(id).json" }
        )
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func data(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}

@Suite struct ProtocolCatalogTests {
    static let table1 = ["childrens-national", "seattle-childrens", "chop", "nih-cc", "musc", "st-jude"]
    static let table2 = [
        "park-prophylaxis", "oliai", "gazeau", "strati", "lichtenstein", "dreyzin", "jatiani", "wehrli",
    ]

    @Test func everyShippedFileLoads() throws {
        let catalog = try AnakinraProtocolCatalog.load()
        #expect(Set(catalog.ids) == Set(Self.table1 + Self.table2))
        #expect(try AnakinraProtocolCatalog.bundledProtocolFiles().count == Self.table1.count + Self.table2.count)
        // Institutional protocols are listed first.
        #expect(Array(catalog.ids.prefix(6)).sorted() == Self.table1.sorted())
        for entry in catalog.entries {
            let p = entry.anakinraProtocol
            #expect(entry.origin == .bundled(file: "\(p.id).json"), "file name matches id")
        }
    }

    @Test(arguments: table1)
    func tableOneProtocolsCiteTheirRow(_ id: String) throws {
        let p = try #require(try AnakinraProtocolCatalog.load()[id])
        #expect(p.evidence.hasPrefix("seed Table 1 row "))
        #expect(p.kind == .institutional)
        #expect(!p.choices.isEmpty, "each Table 1 protocol records its ambiguities")
        #expect(p.iecHsCriteria == .astct2023)
    }

    @Test(arguments: table2)
    func tableTwoRegimensCiteTheirRow(_ id: String) throws {
        let p = try #require(try AnakinraProtocolCatalog.load()[id])
        #expect(p.evidence.hasPrefix("seed Table 2 row "))
        #expect(p.kind == .publishedRegimen)
    }

    @Test func shippedValuesMatchTheSeedTables() throws {
        let catalog = try AnakinraProtocolCatalog.load()
        let cnh = try #require(catalog["childrens-national"])
        #expect(
            cnh.caps.perDoseMg == 100 && cnh.caps.dailyMg == 400 && cnh.routes.allowed == [.iv]
                && cnh.lastAgentWeaned.value
        )
        let chop = try #require(catalog["chop"])
        #expect(
            chop.dose.basis == .perDayMgPerKg && chop.frequency.default == nil
                && chop.caps.mgPerKgPerDay == ExactAmount(10)
        )
        #expect(chop.caps.perDoseMg == nil && chop.escalation.rule == .doubleDailyDose)
        let nih = try #require(catalog["nih-cc"])
        #expect(!nih.caps.statesAnyCap && nih.frequency.default == .q12h && nih.frequency.status == .policy)
        let musc = try #require(catalog["musc"])
        #expect(musc.taper.method == .doseSteps && musc.reassessment.hours == HoursRange(min: 48, max: 72))
        #expect(musc.indications.filter { !$0.doseSpecified }.map(\.toxicity) == [.icans, .iecHs])
        let stJude = try #require(catalog["st-jude"])
        #expect(stJude.rounding.rule == .wholeSyringe && stJude.indications.first?.line == .firstLine)
        let seattle = try #require(catalog["seattle-childrens"])
        #expect(seattle.frequency.default == .q6h && seattle.frequency.status == .policy)
        let park = try #require(catalog["park-prophylaxis"])
        #expect(park.indications.first?.fromDayAfterInfusion == 2)
    }

    @Test func shippedProtocolsRoundTripThroughTheEncoder() throws {
        for p in try AnakinraProtocolCatalog.load().protocols {
            let again = try AnakinraProtocolCatalog.decode(try AnakinraProtocolCatalog.encode(p), file: "\(p.id).json")
            #expect(again == p, "\(p.id)")
        }
    }

    // MARK: Malformed files

    @Test func negativeDoseIsRejectedNamingFileAndField() throws {
        var chop = try ShippedDocument.object("chop")
        chop["dose"] = ["perDayMgPerKg": -2, "status": "V"]
        #expect(throws: ProtocolLoadError(file: "chop.json", field: "dose.perDayMgPerKg", message: "-2 must be > 0")) {
            try AnakinraProtocolCatalog.decode(try ShippedDocument.data(chop), file: "chop.json")
        }
        let error = ProtocolLoadError(file: "chop.json", field: "dose.perDayMgPerKg", message: "-2 must be > 0")
        #expect(error.description == "chop.json: dose.perDayMgPerKg: -2 must be > 0")
    }

    @Test func missingFieldIsRejected() throws {
        var musc = try ShippedDocument.object("musc")
        musc.removeValue(forKey: "caps")
        #expect(throws: ProtocolLoadError(file: "musc.json", field: "caps", message: "is required")) {
            try AnakinraProtocolCatalog.decode(try ShippedDocument.data(musc), file: "musc.json")
        }
    }

    @Test func unknownFrequencyIsRejected() throws {
        var cnh = try ShippedDocument.object("childrens-national")
        cnh["frequency"] = ["default": "Q5H", "allowed": ["Q5H"], "status": "V"]
        let data = try ShippedDocument.data(cnh)
        do {
            _ = try AnakinraProtocolCatalog.decode(data, file: "cnh.json")
            Issue.record("accepted an unknown frequency")
        } catch {
            #expect(error.file == "cnh.json")
            #expect(error.field == "frequency.default")
            #expect(error.message.hasPrefix("unknown value \"Q5H\""))
        }
    }

    @Test func wrongTypeAndInvalidJSONAreRejected() throws {
        var stJude = try ShippedDocument.object("st-jude")
        stJude["lastAgentWeaned"] = ["value": "yes", "status": "V"]
        #expect(
            throws: ProtocolLoadError(
                file: "st-jude.json",
                field: "lastAgentWeaned.value",
                message: "must be true or false"
            )
        ) {
            try AnakinraProtocolCatalog.decode(try ShippedDocument.data(stJude), file: "st-jude.json")
        }
        do {
            _ = try AnakinraProtocolCatalog.decode(Data("{ \"id\": ".utf8), file: "broken.json")
            Issue.record("accepted broken JSON")
        } catch {
            #expect(error.file == "broken.json" && error.field == nil)
            #expect(error.message.hasPrefix("is not valid JSON"))
        }
    }

    // MARK: Site directory

    @Test func siteDirectoryOverridesAndAdds() throws {
        let directory = try TemporaryDirectory()
        var chop = try ShippedDocument.object("chop")
        chop["name"] = "CHOP (site copy)"
        chop["caps"] = ["dailyMg": 300, "mgPerKgPerDay": 10, "status": "IMPL"]
        try directory.write("our-chop.json", try ShippedDocument.data(chop))
        var local = try ShippedDocument.object("childrens-national")
        local["id"] = "our-hospital"
        local["shortName"] = "OURS"
        try directory.write("our-hospital.json", try ShippedDocument.data(local))
        try directory.write("README.txt", Data("not a protocol".utf8))
        try directory.write(".hidden.json", Data("not json".utf8))

        let catalog = try AnakinraProtocolCatalog.load(siteDirectory: directory.url)
        #expect(catalog.ids.count == 15)
        let replaced = try #require(catalog.entry(id: "chop"))
        #expect(replaced.anakinraProtocol.name == "CHOP (site copy)")
        #expect(replaced.anakinraProtocol.caps.dailyMg == 300)
        guard case .site(let path, let replacesBundled) = replaced.origin else {
            Issue.record("chop should come from the site directory")
            return
        }
        #expect(path.hasSuffix("our-chop.json") && replacesBundled)
        let added = try #require(catalog.entry(id: "our-hospital"))
        #expect(
            added.origin
                == .site(path: directory.url.appendingPathComponent("our-hospital.json").path, replacesBundled: false)
        )
        // The override changes the arithmetic: 10 mg/kg/day × 50 kg capped at the site's 300 mg/day.
        let dose = try #require(
            AnakinraDosing.calculate(
                replaced.anakinraProtocol,
                DoseRequest(weightKg: 50, level: .ceiling, frequency: .q6h)
            ).calculation
        )
        #expect(dose.mg == 75 && dose.dailyMg == 300)
    }

    @Test func malformedSiteFileStopsTheLoad() throws {
        let directory = try TemporaryDirectory()
        var musc = try ShippedDocument.object("musc")
        musc["dose"] = ["perDoseMgPerKg": 4, "status": "V", "perDoseCapMg": 100]
        try directory.write("musc.json", try ShippedDocument.data(musc))
        do {
            _ = try AnakinraProtocolCatalog.load(siteDirectory: directory.url)
            Issue.record("accepted a misspelt field")
        } catch {
            #expect(error.file.hasSuffix("musc.json"))
            #expect(error.field == "dose.perDoseCapMg")
            #expect(error.message.hasPrefix("unknown field"))
        }
    }

    @Test func duplicateIdsInTheSiteDirectoryAreRejected() throws {
        let directory = try TemporaryDirectory()
        let chop = try ShippedDocument.data(try ShippedDocument.object("chop"))
        try directory.write("a.json", chop)
        try directory.write("b.json", chop)
        do {
            _ = try AnakinraProtocolCatalog.load(siteDirectory: directory.url)
            Issue.record("accepted two files with the same id")
        } catch {
            #expect(error.file.hasSuffix("b.json") && error.field == "id")
            #expect(error.message.contains("a.json"))
        }
    }

    @Test func missingSiteDirectoryIsAnError() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent(
            "toxwatch-missing-\(UUID().uuidString)"
        )
        #expect(throws: ProtocolLoadError(file: missing.path, message: "protocol directory not found")) {
            try AnakinraProtocolCatalog.load(siteDirectory: missing)
        }
    }

    @Test func flagWinsOverTheEnvironment() throws {
        let fromEnvironment = try TemporaryDirectory()
        var extra = try ShippedDocument.object("st-jude")
        extra["id"] = "from-environment"
        try fromEnvironment.write("x.json", try ShippedDocument.data(extra))
        let fromFlag = try TemporaryDirectory()
        extra["id"] = "from-flag"
        try fromFlag.write("x.json", try ShippedDocument.data(extra))
        let environment = [AnakinraProtocolCatalog.siteDirectoryEnvironmentVariable: fromEnvironment.url.path]

        let byEnvironment = try AnakinraProtocolCatalog.load(protocolsDirectory: nil, environment: environment)
        #expect(byEnvironment["from-environment"] != nil && byEnvironment["from-flag"] == nil)
        let byFlag = try AnakinraProtocolCatalog.load(protocolsDirectory: fromFlag.url.path, environment: environment)
        #expect(byFlag["from-flag"] != nil && byFlag["from-environment"] == nil)
        let neither = try AnakinraProtocolCatalog.load(
            protocolsDirectory: nil,
            environment: [AnakinraProtocolCatalog.siteDirectoryEnvironmentVariable: ""]
        )
        #expect(neither.ids.count == 14)
    }
}
