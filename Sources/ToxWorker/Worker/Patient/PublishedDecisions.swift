package import ToxicityRules

// What makes an output new for the pharmacy, as the decisions themselves: the worker publishes an
// output when its decision differs from the one it last published. The changelog keeps each in
// the text form it has always had (`crs=1/1;icans=0/0;iechs=false/0/0`,
// `start|childrens-national|100|400|IV|Q6H`, `anakinra@site-a=out[1:siltuximab]`), so records
// written before and after read alike.

extension GradeDecisions: LosslessStringConvertible {
    /// `crs=G/M;icans=G/M;iechs=PRESENT/G/M`, a grade that cannot be given (§A13.12) as `null`.
    package var description: String {
        "crs=\(crs.grade.map(String.init) ?? "null")/\(crs.maxGrade);"
            + "icans=\(icans.grade.map(String.init) ?? "null")/\(icans.maxGrade);"
            + "iechs=\(iecHs.present)/\(iecHs.grade)/\(iecHs.maxGrade)"
    }

    package init?(_ description: String) {
        let parts = description.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        func fields(_ part: Substring, _ name: String, count: Int) -> [Substring]? {
            guard part.hasPrefix(name + "=") else { return nil }
            let values = part.dropFirst(name.count + 1).split(separator: "/", omittingEmptySubsequences: false)
            return values.count == count ? values : nil
        }
        func grade(_ part: Substring, _ name: String) -> Grade? {
            guard let values = fields(part, name, count: 2), let max = Int(values[1]) else { return nil }
            if values[0] == "null" { return Grade(grade: nil, maxGrade: max) }
            guard let grade = Int(values[0]) else { return nil }
            return Grade(grade: grade, maxGrade: max)
        }
        guard let crs = grade(parts[0], "crs"), let icans = grade(parts[1], "icans"),
            let iecHs = fields(parts[2], "iechs", count: 3), let present = Bool(String(iecHs[0])),
            let iecGrade = Int(iecHs[1]), let iecMax = Int(iecHs[2])
        else { return nil }
        self.init(crs: crs, icans: icans, iecHs: IECHSGrade(present: present, grade: iecGrade, maxGrade: iecMax))
    }
}

/// What makes a recommendation new for the pharmacy: its action, protocol and dose (mg, daily mg,
/// route, frequency). Reasons and event ids change with every observation and do not count.
package struct PublishedRecommendation: Hashable, Sendable, LosslessStringConvertible {
    package var action: RecommendationAction
    package var protocolId: String?
    package var mg: Int?
    package var dailyMg: Int?
    package var route: Route?
    package var frequency: DoseFrequency?

    package init(
        action: RecommendationAction, protocolId: String? = nil, mg: Int? = nil, dailyMg: Int? = nil,
        route: Route? = nil,
        frequency: DoseFrequency? = nil
    ) {
        self.action = action
        self.protocolId = protocolId
        self.mg = mg
        self.dailyMg = dailyMg
        self.route = route
        self.frequency = frequency
    }

    /// The recommendation `assessment` decided.
    package init(_ assessment: Assessment) {
        let dose = assessment.decidedDose
        self.init(
            action: assessment.action, protocolId: assessment.protocolId, mg: dose?.mg, dailyMg: dose?.dailyMg,
            route: dose?.route, frequency: dose?.frequency)
    }

    /// `action|protocol|mg|dailyMg|route|frequency`, absent fields empty.
    package var description: String {
        [
            action.rawValue, protocolId ?? "", mg.map(String.init) ?? "", dailyMg.map(String.init) ?? "",
            route?.rawValue ?? "", frequency?.rawValue ?? "",
        ].joined(separator: "|")
    }

    package init?(_ description: String) {
        let parts = description.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, let action = RecommendationAction(rawValue: parts[0]) else { return nil }
        func optional<T>(_ text: String, _ parse: (String) -> T?) -> T?? {
            text.isEmpty ? .some(nil) : parse(text).map { .some($0) }
        }
        guard let mg = optional(parts[2], { Int($0) }), let dailyMg = optional(parts[3], { Int($0) }),
            let route = optional(parts[4], Route.init(rawValue:)),
            let frequency = optional(parts[5], DoseFrequency.init(rawValue:))
        else { return nil }
        self.init(
            action: action, protocolId: parts[1].isEmpty ? nil : parts[1], mg: mg, dailyMg: dailyMg, route: route,
            frequency: frequency)
    }
}

/// What makes shortage advice new: the short drug, the site, its stock status and the
/// alternatives offered, by rank.
package struct PublishedShortageAdvice: Hashable, Sendable, LosslessStringConvertible {
    /// One alternative offered: its rank and drug.
    package struct Option: Hashable, Sendable {
        package var rank: Int
        package var drug: String
    }

    package var drug: String
    package var site: String?
    package var status: StockStatus?
    package var alternatives: [Option]

    package init(drug: String, site: String?, status: StockStatus?, alternatives: [Option]) {
        self.drug = drug
        self.site = site
        self.status = status
        self.alternatives = alternatives
    }

    /// The advice `alternative` gives.
    package init(_ alternative: ShortageAlternative) {
        self.init(
            drug: alternative.shortDrug, site: alternative.site, status: alternative.status,
            alternatives: alternative.alternatives.map { Option(rank: $0.rank, drug: $0.drug) })
    }

    /// `drug@site=status[rank:drug,…]`, no site as `*`.
    package var description: String {
        let options = alternatives.map { "\($0.rank):\($0.drug)" }.joined(separator: ",")
        return "\(drug)@\(site ?? "*")=\(status?.rawValue ?? "")[\(options)]"
    }

    package init?(_ description: String) {
        guard let at = description.firstIndex(of: "@"), let open = description.lastIndex(of: "["),
            description.hasSuffix("]"), at < open
        else { return nil }
        let middle = description[description.index(after: at)..<open]
        guard let equals = middle.lastIndex(of: "=") else { return nil }
        let site = String(middle[..<equals])
        let statusText = String(middle[middle.index(after: equals)...])
        let status = StockStatus(rawValue: statusText)
        guard statusText.isEmpty || status != nil else { return nil }
        var options: [Option] = []
        let list = description[description.index(after: open)..<description.index(before: description.endIndex)]
        for item in list.split(separator: ",") {
            guard let colon = item.firstIndex(of: ":"), let rank = Int(item[..<colon]) else { return nil }
            options.append(Option(rank: rank, drug: String(item[item.index(after: colon)...])))
        }
        self.init(
            drug: String(description[..<at]), site: site == "*" ? nil : site, status: status, alternatives: options)
    }
}
