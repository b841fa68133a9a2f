import Foundation
import Testing

@testable import ProtocolCatalog
@testable import ToxicityRules

/// The renderings behind `toxctl protocols list` and `toxctl protocols show`.
@Suite struct ProtocolTextTests {
    @Test func listTableHasOneRowPerProtocolWithDoseRouteAndCaps() throws {
        let catalog = try Shipped.catalog.get()
        let lines = ProtocolText.table(catalog.entries).split(separator: "\n").map(String.init)
        #expect(lines.count == 1 + catalog.entries.count)
        #expect(lines[0].hasPrefix("ID") && lines[0].contains("INDICATIONS") && lines[0].hasSuffix("CAPS"))
        let cnh = try #require(lines.first { $0.hasPrefix("childrens-national ") })
        for text in ["CNH", "crs, icans, iec-hs", "2 mg/kg/dose Q6H", "IV", "100 mg/dose, 400 mg/day"] {
            #expect(cnh.contains(text), "\(text) in \(cnh)")
        }
        let chop = try #require(lines.first { $0.hasPrefix("chop ") })
        #expect(chop.contains("2–10 mg/kg/day (frequency required)") && chop.contains("400 mg/day, 10 mg/kg/day"))
        let stJude = try #require(lines.first { $0.hasPrefix("st-jude ") })
        #expect(stJude.contains("SC/IV") && stJude.hasSuffix("none stated"))
        // Columns line up: every row has the DOSE column at the header's offset.
        let doseColumn = try #require(lines[0].range(of: "DOSE")).lowerBound.utf16Offset(in: lines[0])
        #expect(cnh.dropFirst(doseColumn).hasPrefix("2 mg/kg/dose"))
    }

    @Test func siteProtocolsAreMarkedInTheList() throws {
        let shipped = try Shipped.catalog.get()
        let cnh = try #require(shipped.entry(id: "childrens-national"))
        var site = cnh
        site.origin = .site(path: "/etc/toxwatch/protocols/cnh.json", replacesBundled: true)
        let table = ProtocolText.table([site])
        #expect(table.contains("childrens-national *"))
        #expect(table.hasSuffix("* from the site protocol directory"))
    }

    @Test func showListsEveryFieldWithStatusAndSource() throws {
        let entry = try #require(try Shipped.catalog.get().entry(id: "childrens-national"))
        let text = ProtocolText.details(entry)
        for expected in [
            "Children's National Hospital (Washington, DC) (CNH)",
            "loaded from         bundled childrens-national.json",
            "refractory-to-tocilizumab-and-corticosteroid; CD19; corticosteroid given  [V; seed Table 1 row CNH]",
            "2 mg/kg/dose  [V; seed Table 1 row CNH]",
            "Q6H (allowed Q6H)",
            "IV (preferred IV)",
            "100 mg/dose, 400 mg/day  [V; seed Table 1 row CNH]",
            "nearest-mg  [IMPL; clinical-spec A5]",
            "to-per-dose-cap, at most 10 mg/kg/day  [IMPL; clinical-spec A7]",
            "crs-and-icans ≤ grade 2, held 24 h",
            "same mg per dose, intervals Q6H → Q8H → Q12H → Q24H → stop, 24 h per step; taper length 3–7 d",
            "total up to 14 d",
            "last agent weaned yes  [V]",
            "IEC-HS criteria   astct-2023",
            "Ambiguities and choices",
        ] {
            #expect(text.contains(expected), "missing: \(expected)")
        }
    }

    @Test func showIncludesAlternativeRegimensAndDoseSteps() throws {
        let entry = try #require(try Shipped.catalog.get().entry(id: "musc"))
        let text = ProtocolText.details(entry)
        #expect(text.contains("2 mg/kg/dose Q12H for 48–72 h → stop"))
        #expect(text.contains("fixed-100mg-daily"))
        #expect(text.contains("taper: 50 mg/dose Q24H for 48–72 h → stop"))
        #expect(text.contains("no dose published for this indication"))
    }

    @Test func summaries() throws {
        let catalog = try Shipped.catalog.get()
        let nih = try #require(catalog["nih-cc"])
        #expect(ProtocolText.doseSummary(nih.dose, frequency: nih.frequency) == "8–10 mg/kg/day Q12H")
        #expect(ProtocolText.capsSummary(nih.caps) == "none stated")
        let seattle = try #require(catalog["seattle-childrens"])
        #expect(ProtocolText.indicationsSummary(seattle.indications) == "icans≥3, crs≥2")
    }
}
