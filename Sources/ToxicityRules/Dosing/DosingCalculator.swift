// Anakinra dose arithmetic (clinical-spec.md Part A §A5, binding; Part B E-2, E-3, §1, §2).
//
// Order of operations, always:
//   mg/kg × weight (or the fixed amount) → ÷ doses per day for per-day doses
//   → per-dose cap → daily limit (the daily cap and the mg/kg/day ceiling × weight; when
//     doses/day × dose exceeds it, dose = floor(limit ÷ doses/day))
//   → rounding (nearest 1 mg half-up, or St. Jude's whole syringe)
//   → never above any cap (a rounded dose over a cap is brought back under it).
// Everything is exact (``ExactAmount``); no cap is ever compared through a `Double`.

/// Pure anakinra dose arithmetic over an ``AnakinraProtocol``.
package enum AnakinraDosing {
    /// Calculates a dose for a protocol.
    ///
    /// - Parameters:
    ///   - anakinraProtocol: The patient's protocol.
    ///   - request: Weight, dose level, frequency, route and regimen.
    /// - Returns: The dose with every cap applied, or `.noDose` with `weight-required`
    ///   (missing or outside 0.3–350 kg), `renal-override-required` (Q48H without a renal
    ///   override), `unknown-regimen`, or `dose-below-1-mg`.
    ///   - explain: `false` computes the same numbers without building the steps, the caps
    ///     applied or the flags' text (the assessment's decisions); `true` for anything shown.
    package static func calculate(
        _ anakinraProtocol: AnakinraProtocol,
        _ request: DoseRequest,
        explain: Bool = true
    ) -> DosingOutcome {
        let p = anakinraProtocol
        guard let regimen = p.regimen(id: request.regimenId) else {
            return .noDose([unknownRegimen(p, request.regimenId ?? "")])
        }
        guard let weight = validatedWeight(request.weightKg) else {
            return .noDose([weightRequired(request.weightKg)])
        }
        var flags: [DosingFlag] = []

        // Frequency.
        var frequency: DoseFrequency? = request.frequency
        var offProtocolFrequency = false
        if let requested = request.frequency {
            if requested == .q48h {
                guard request.renalOverride else { return .noDose([renalOverrideRequired()]) }
                if explain {
                    flags.append(
                        DosingFlag(
                            .renalFrequencyOverride,
                            .reason,
                            values: [DosingValue("frequency", "Q48H")],
                            source: "clinician override",
                            message:
                                "Q48H by a clinician's renal override (label: consider every other day when CrCl < 30 mL/min)."
                        )
                    )
                }
            } else if !regimen.frequency.allowed.contains(requested) {
                offProtocolFrequency = true
                if explain {
                    flags.append(
                        DosingFlag(
                            .frequencyOutsideProtocol,
                            .warning,
                            values: [
                                DosingValue("frequency", requested.rawValue),
                                DosingValue(
                                    "protocolFrequencies",
                                    regimen.frequency.allowed.map(\.rawValue).joined(separator: ",")
                                ),
                            ],
                            source: p.sourceTag(regimen.frequency.status, evidence: regimen.frequency.evidence),
                            message:
                                "\(requested.rawValue) is not a frequency of \(p.shortName) (\(regimen.frequency.allowed.map(\.rawValue).joined(separator: ", ")))."
                        )
                    )
                }
            }
        } else if let protocolDefault = regimen.frequency.default {
            frequency = protocolDefault
            if explain, regimen.frequency.status == .policy {
                flags.append(
                    DosingFlag(
                        .policyDefault,
                        .reason,
                        values: [DosingValue("frequency", protocolDefault.rawValue)],
                        source: "policy",
                        message: "Frequency \(protocolDefault.rawValue) is a ToxWatch default for \(p.shortName)"
                            + (regimen.frequency.note.map { ": \($0)" } ?? ".")
                    )
                )
            }
        }

        // Route.
        let route = request.route ?? p.routes.preferred
        if explain, !p.routes.allowed.contains(route) {
            flags.append(
                DosingFlag(
                    .routeOutsideProtocol,
                    .warning,
                    values: [
                        DosingValue("route", route.rawValue),
                        DosingValue("protocolRoutes", p.routes.allowed.map(\.rawValue).joined(separator: ",")),
                    ],
                    source: p.sourceTag(p.routes.status, evidence: p.routes.evidence),
                    message:
                        "\(route.rawValue) is not a route of \(p.shortName) (\(p.routes.allowed.map(\.rawValue).joined(separator: ", ")))."
                )
            )
        }

        // Amount.
        let amount = amount(for: request.level, in: regimen.dose)
        if case .prescribed(let value) = request.level,
            value <= 0 || value > regimen.dose.basis.plausibleMaximum * maximumPrescribedFactor
        {
            return .noDose(flags + [invalidPrescribed(p, value: value, basis: regimen.dose.basis)])
        }
        if explain { flags += levelFlags(p, regimen: regimen, level: request.level, amount: amount) }

        guard let frequency else {
            return .dose(
                frequencyRequired(
                    p,
                    regimen: regimen,
                    weight: weight,
                    amount: amount,
                    level: request.level,
                    route: route,
                    flags: flags,
                    explain: explain
                )
            )
        }

        let core = compute(p, regimen: regimen, weight: weight, amount: amount, frequency: frequency, explain: explain)
        guard core.mg >= 1 else { return .noDose(flags + [doseBelowOneMg(core)]) }
        var calculation = makeCalculation(
            p,
            regimen: regimen,
            weight: weight,
            amount: amount,
            level: request.level,
            route: route,
            core: core,
            flags: flags,
            explain: explain
        )
        if offProtocolFrequency, let protocolDefault = regimen.frequency.default {
            let option = compute(
                p,
                regimen: regimen,
                weight: weight,
                amount: amount,
                frequency: protocolDefault,
                explain: explain
            )
            calculation.options.append(option.option)
        }
        return .dose(calculation)
    }
}
