import Foundation
import Testing
import ToxWatchContract
import ToxicityRules

@testable import ToxWorker

/// The published summary compares decisions, and the changelog keeps it in the text form it has
/// always had: records written before the typed summary restore, and are written back unchanged.
@Suite("Published summary: decisions, stored in their old text form")
struct PublishedSummaryFormTests {
    /// A `published` object as the worker wrote it (``PatientStateRecord/encoder``) when the summary
    /// was strings.
    static let written = #"""
        {"alternativeDrugs":["anakinra","tocilizumab"],\#
        "alternatives":"anakinra@main=unavailable[1:siltuximab,2:dexamethasone];tocilizumab@*=[]",\#
        "grades":"crs=null\/3;icans=1\/2;iechs=true\/2\/3",\#
        "recommendation":"taper|childrens-national|50|100|SC|Q12H",\#
        "shortageAdvice":{"anakinra":{"neededAt":794000000,"summary":"anakinra@main=unavailable[1:siltuximab,2:dexamethasone]"},\#
        "tocilizumab":{"neededAt":794003600.5,"summary":"tocilizumab@*=[]"}}}
        """#

    @Test("an old record restores to the decisions it summarised and is written back byte for byte")
    func oldRecordRoundTrips() throws {
        let summary = try JSONDecoder().decode(PublishedSummary.self, from: Data(Self.written.utf8))
        #expect(
            summary.grades
                == GradeDecisions(
                    crs: .init(grade: nil, maxGrade: 3), icans: .init(grade: 1, maxGrade: 2),
                    iecHs: .init(present: true, grade: 2, maxGrade: 3)))
        #expect(
            summary.recommendation
                == PublishedRecommendation(
                    action: .taper, protocolId: "childrens-national", mg: 50, dailyMg: 100, route: .sc, frequency: .q12h
                ))
        #expect(
            summary.shortageAdvice?["anakinra"]?.summary
                == PublishedShortageAdvice(
                    drug: "anakinra", site: "main", status: .unavailable,
                    alternatives: [.init(rank: 1, drug: "siltuximab"), .init(rank: 2, drug: "dexamethasone")]))
        #expect(
            summary.shortageAdvice?["tocilizumab"]?.summary
                == PublishedShortageAdvice(drug: "tocilizumab", site: nil, status: nil, alternatives: []))
        let rewritten = String(decoding: try PatientStateRecord.encoder.encode(summary), as: UTF8.self)
        #expect(rewritten == Self.written)
    }

    @Test("a recommendation with no protocol and no dose keeps its empty fields")
    func emptyFieldsRoundTrip() {
        let none = PublishedRecommendation(action: .none)
        #expect(none.description == "none|||||")
        #expect(PublishedRecommendation("none|||||") == none)
    }

    @Test("a stored summary this version cannot read matches no decision: the output is published again")
    func unreadableSummaryMatchesNothing() throws {
        let json =
            #"{"grades":"crs=1/1","recommendation":"resume|x|||","shortageAdvice":{"anakinra":{"neededAt":0,"summary":""}}}"#
        let summary = try JSONDecoder().decode(PublishedSummary.self, from: Data(json.utf8))
        #expect(summary.grades == nil && summary.recommendation == nil)
        #expect(summary.shortageAdvice?["anakinra"].map { $0.summary == nil } == true)
    }

    /// An earlier recommendation as the changelog has always stored it (action and route as strings).
    static let writtenPrior = #"""
        {"action":"taper","dailyMg":100,"doseMg":50,"drug":"anakinra","id":"anakinra-recommendation\/P1\/1","intervalHours":12,\#
        "issuedAt":794000000,"protocolId":"childrens-national","route":"SC"}
        """#

    @Test("an earlier recommendation restores typed (action, route) and is written back byte for byte")
    func priorRecommendationRoundTrips() throws {
        let prior = try JSONDecoder().decode(PriorRecommendationWire.self, from: Data(Self.writtenPrior.utf8)).prior
        #expect(prior.action == .taper && prior.route == .sc && prior.doseMg == 50 && prior.intervalHours == 12)
        let rewritten = String(
            decoding: try PatientStateRecord.encoder.encode(PriorRecommendationWire(prior)), as: UTF8.self)
        #expect(rewritten == Self.writtenPrior)
        let noDose = #"{"action":"hold","drug":"anakinra","id":"r","issuedAt":0}"#
        let hold = try JSONDecoder().decode(PriorRecommendationWire.self, from: Data(noDose.utf8)).prior
        #expect(hold.action == .hold && hold.route == nil)
        #expect(
            String(decoding: try PatientStateRecord.encoder.encode(PriorRecommendationWire(hold)), as: UTF8.self)
                == noDose)
    }
}
