// What the dose arithmetic said, as reasons and alerts (clinical-spec A5, A11): flags, caps, stock,
// and the merging of alerts and evidence.

extension AssessmentContext {
    // MARK: Flags, caps, alerts

    func reason(_ flag: DosingFlag) -> Reason {
        var observed = CompactList<ObservedValue>()
        if let weight = observedWeight() { observed.append(weight) }
        return Reason(
            code: flag.reasonCode,
            rule: .doseArithmetic,
            source: EvidenceSource(rawValue: flag.source),
            observed: observed
        )
    }

    func alert(_ flag: DosingFlag) -> Alert {
        var ids = CompactList<String>()
        var fields = CompactList<FieldName>()
        switch flag.code {
        case .weightRequired, .lowVolumeMeasurement, .doseBelowOneMg:
            fields.append(.weightKg)
            if let weight = observedWeight() { ids.append(weight.eventId) }
        case .frequencyRequired:
            fields.append("frequency")
        case .roundingConfirmationRequired:
            fields.append(.doseMg)
        default:
            break
        }
        return Alert(code: flag.alertCode, fields: fields, eventIds: ids)
    }

    func capReason(_ cap: AppliedCap) -> Reason {
        var observed = CompactList<ObservedValue>()
        if let weight = observedWeight() {
            observed.append(
                ObservedValue(
                    field: cap.kind == .perDoseCap ? "computedMg" : "computedDailyMg",
                    value: cap.beforeMg.approximateDouble,
                    unit: "mg",
                    eventId: weight.eventId,
                    observedAt: weight.observedAt
                )
            )
        }
        return Reason(
            code: ReasonCode(rawValue: cap.kind.rawValue),
            rule: .doseArithmetic,
            source: EvidenceSource(rawValue: cap.source),
            observed: observed,
            thresholds: [
                Threshold(
                    field: cap.kind == .perDoseCap ? .doseMg : .dailyMg,
                    comparator: .lessThanOrEqual,
                    value: cap.limitMg.approximateDouble,
                    unit: "mg"
                )
            ]
        )
    }

    func stockObserved(_ drug: Drug) -> CompactList<ObservedValue> {
        guard let entry = inventory.entry(drug, site: profile.site) else { return [] }
        return [
            ObservedValue(
                field: .site,
                category: "\(entry.site)/\(drug.name): \(entry.status.rawValue)",
                eventId: entry.eventId,
                observedAt: entry.occurredAt
            )
        ]
    }

    func merged(_ alerts: [Alert]) -> [Alert] {
        var result: [Alert] = []
        for alert in alerts {
            if let i = result.firstIndex(where: { $0.code == alert.code }) {
                for field in alert.fields where !result[i].fields.contains(field) { result[i].fields.append(field) }
                for id in alert.eventIds where !result[i].eventIds.contains(id) { result[i].eventIds.append(id) }
            } else {
                result.append(alert)
            }
        }
        return result
    }

    func unique(_ items: [EvidenceItem]) -> [EvidenceItem] {
        var seen = Set<EvidenceItem>()
        return items.filter { seen.insert($0).inserted }
    }
}
