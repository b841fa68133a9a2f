package import ToxicityRules

// Readable renderings of protocols for `toxctl protocols list|show` (kept here, beside the
// catalog, so they are tested without running the executable).

/// Text renderings of protocols.
package enum ProtocolText {
    /// One-line dose summary: `2 mg/kg/dose Q6H`, `2–10 mg/kg/day (frequency required)`.
    package static func doseSummary(_ dose: ProtocolDose, frequency: ProtocolFrequency) -> String {
        let amount =
            "\(dose.amount.isRange ? "\(dose.amount.low)–\(dose.amount.high)" : "\(dose.amount.low)") \(dose.basis.unit)"
        guard let value = frequency.default else { return "\(amount) (frequency required)" }
        return "\(amount) \(value.rawValue)"
    }

    /// Caps summary: `100 mg/dose, 400 mg/day`, or `none stated`.
    package static func capsSummary(_ caps: ProtocolCaps) -> String {
        var parts: [String] = []
        if let perDose = caps.perDoseMg { parts.append("\(perDose) mg/dose") }
        if let daily = caps.dailyMg { parts.append("\(daily) mg/day") }
        if let ceiling = caps.mgPerKgPerDay { parts.append("\(ceiling) mg/kg/day") }
        return parts.isEmpty ? "none stated" : parts.joined(separator: ", ")
    }

    /// Indications summary: `icans≥3, crs≥2`.
    package static func indicationsSummary(_ indications: [ProtocolIndication]) -> String {
        var seen: [String] = []
        for indication in indications {
            let text = indication.toxicity.rawValue + (indication.minimumGrade.map { "≥\($0)" } ?? "")
            if !seen.contains(text) { seen.append(text) }
        }
        return seen.joined(separator: ", ")
    }

    /// The `protocols list` table: id, name, indications, dose, route, caps.
    package static func table(_ entries: [AnakinraProtocolCatalog.Entry]) -> String {
        let header = ["ID", "NAME", "INDICATIONS", "DOSE", "ROUTE", "CAPS"]
        let rows = entries.map { entry -> [String] in
            let p = entry.anakinraProtocol
            let site = if case .site = entry.origin { " *" } else { "" }
            return [
                p.id + site, p.shortName, indicationsSummary(p.indications),
                doseSummary(p.dose, frequency: p.frequency),
                p.routes.allowed.map(\.rawValue).joined(separator: "/"), capsSummary(p.caps),
            ]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                text +=
                    index == cells.count - 1
                    ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            return text
        }
        var lines = [line(header)] + rows.map(line)
        if entries.contains(where: { if case .site = $0.origin { true } else { false } }) {
            lines.append("* from the site protocol directory")
        }
        return lines.joined(separator: "\n")
    }

    /// Every field of a protocol, readable, for `protocols show ID`.
    package static func details(_ entry: AnakinraProtocolCatalog.Entry) -> String {
        let p = entry.anakinraProtocol
        var out: [String] = []
        func add(_ label: String, _ value: String) {
            out.append(label.padding(toLength: 20) + value)
        }
        func tagged(_ value: String, _ status: EvidenceStatus, _ evidence: String?, _ note: String?) -> String {
            var text = "\(value)  [\(status.rawValue); \(evidence ?? p.evidence)]"
            if let note { text += "\n" + String(repeating: " ", count: 20) + note }
            return text
        }

        out.append("\(p.name) (\(p.shortName))")
        add("id", p.id)
        add("kind", "\(p.kind.rawValue), \(p.population.rawValue)")
        add("source", p.evidence)
        add("loaded from", entry.origin.description)
        out.append("")
        out.append("Indications")
        for indication in p.indications {
            var conditions: [String] = [indication.line.rawValue]
            if let grade = indication.minimumGrade { conditions.append("grade ≥ \(grade)") }
            if !indication.antigenTargets.isEmpty {
                conditions.append(indication.antigenTargets.joined(separator: "/"))
            }
            if let steroid = indication.corticosteroid { conditions.append("corticosteroid \(steroid.rawValue)") }
            if let hours = indication.persistingHoursAfterFirstTocilizumab {
                conditions.append("persisting ≥ \(hours) h after first tocilizumab")
            }
            if indication.beforeSecondTocilizumab { conditions.append("before a second tocilizumab dose") }
            if indication.withoutIcans { conditions.append("without ICANS") }
            if indication.isolatedLateOnset { conditions.append("isolated late onset (no fever, no hypotension)") }
            if let day = indication.fromDayAfterInfusion { conditions.append("from day +\(day)") }
            if let fevers = indication.orAfterFeverCount { conditions.append("or after \(fevers) fevers") }
            if !indication.doseSpecified { conditions.append("no dose published for this indication") }
            add(
                "  " + indication.toxicity.rawValue,
                tagged(conditions.joined(separator: "; "), indication.status, indication.evidence, indication.note)
            )
        }
        out.append("")
        out.append("Dosing")
        add("  dose", tagged(doseText(p.dose), p.dose.status, p.dose.evidence, p.dose.note))
        add(
            "  frequency",
            tagged(frequencyText(p.frequency), p.frequency.status, p.frequency.evidence, p.frequency.note)
        )
        add(
            "  routes",
            tagged(
                "\(p.routes.allowed.map(\.rawValue).joined(separator: ", ")) (preferred \(p.routes.preferred.rawValue))",
                p.routes.status,
                p.routes.evidence,
                p.routes.note
            )
        )
        add("  caps", tagged(capsSummary(p.caps), p.caps.status, p.caps.evidence, p.caps.note))
        var rounding = p.rounding.rule.rawValue
        if let syringe = p.rounding.syringeMg, let tolerance = p.rounding.tolerancePercent {
            rounding += " (\(syringe) mg syringes within \(tolerance) %)"
        }
        add("  rounding", tagged(rounding, p.rounding.status, p.rounding.evidence, p.rounding.note))
        add(
            "  escalation",
            tagged(
                p.escalation.rule.rawValue
                    + (p.escalation.maxMgPerKgPerDay.map { ", at most \($0) mg/kg/day" } ?? ""),
                p.escalation.status,
                p.escalation.evidence,
                p.escalation.note
            )
        )
        add(
            "  reassessment",
            tagged(
                p.reassessment.hours.description,
                p.reassessment.status,
                p.reassessment.evidence,
                p.reassessment.note
            )
        )
        out.append("")
        out.append("Course")
        add(
            "  taper trigger",
            tagged(triggerText(p.taper.trigger), p.taper.trigger.status, p.taper.trigger.evidence, p.taper.trigger.note)
        )
        add("  taper", tagged(taperText(p.taper), p.taper.status, p.taper.evidence, p.taper.note))
        add("  duration", tagged(durationText(p.duration), p.duration.status, p.duration.evidence, nil))
        add("  last agent weaned", "\(p.lastAgentWeaned.value ? "yes" : "no")  [\(p.lastAgentWeaned.status.rawValue)]")
        add("  IEC-HS criteria", p.iecHsCriteria.rawValue)
        if !p.alternativeRegimens.isEmpty {
            out.append("")
            out.append("Alternative regimens")
            for regimen in p.alternativeRegimens {
                add(
                    "  " + regimen.id,
                    tagged(
                        "\(regimen.name): \(doseText(regimen.dose)), \(frequencyText(regimen.frequency))",
                        regimen.status,
                        regimen.evidence,
                        regimen.selection
                    )
                )
                if let taper = regimen.taper { add("", "taper: " + taperText(taper)) }
            }
        }
        if !p.notes.isEmpty {
            out.append("")
            out.append("Notes")
            out += p.notes.map { "  - " + $0 }
        }
        if !p.choices.isEmpty {
            out.append("")
            out.append("Ambiguities and choices")
            for choice in p.choices {
                out.append("  - \(choice.ambiguity)")
                out.append("    → \(choice.choice) [\(choice.status.rawValue)]")
            }
        }
        return out.joined(separator: "\n")
    }

    static func doseText(_ dose: ProtocolDose) -> String {
        let amount = dose.amount
        if !amount.isRange { return "\(amount.low) \(dose.basis.unit)" }
        return
            "\(amount.low)–\(amount.high) \(dose.basis.unit) (less ill \(amount.low), grade ≥ 3 \(amount.severe), ceiling \(amount.high))"
    }

    static func frequencyText(_ frequency: ProtocolFrequency) -> String {
        let allowed = frequency.allowed.map(\.rawValue).joined(separator: ", ")
        guard let value = frequency.default else {
            return
                "none stated: prescriber chooses (options \(frequency.options.map(\.rawValue).joined(separator: ", ")); allowed \(allowed))"
        }
        return "\(value.rawValue) (allowed \(allowed))"
    }

    static func triggerText(_ trigger: TaperTrigger) -> String {
        var text: String
        switch trigger.kind {
        case .gradeAtMost: text = "\(trigger.scope?.rawValue ?? "?") ≤ grade \(trigger.grade ?? 0)"
        case .improving: text = "improving after \(trigger.afterHours?.description ?? "?")"
        case .improvingOrStable: text = "clinically stable or improving"
        case .notStated: text = "not stated (prescriber-defined)"
        }
        if let hold = trigger.holdHours { text += ", held \(hold) h" }
        return text
    }

    static func taperText(_ taper: ProtocolTaper) -> String {
        var text: String
        switch taper.method {
        case .lengthenInterval:
            text =
                "same mg per dose, intervals " + taper.intervals.map(\.rawValue).joined(separator: " → ")
                + " → stop, \(taper.stepHours) per step"
        case .doseSteps:
            text =
                taper.steps.map {
                    "\($0.amount) \($0.basis.unit) \($0.frequency.rawValue) for \(($0.hours ?? taper.stepHours).description)"
                }
                .joined(separator: " → ") + " → stop"
        case .stopWithoutTaper:
            text = "stop without taper"
        }
        if let length = taper.lengthDays { text += "; taper length \(length)" }
        return text
    }

    static func durationText(_ duration: ProtocolDuration) -> String {
        var parts: [String] = []
        if let total = duration.totalDays { parts.append("total \(total)") }
        if let initial = duration.initialHours { parts.append("initial dosing \(initial)") }
        parts.append(duration.text)
        return parts.joined(separator: "; ")
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
