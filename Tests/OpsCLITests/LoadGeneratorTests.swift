import Foundation
import PropertyBased
import ProtocolCatalog
import Testing
import ToxOps
import ToxWatchContract
import ToxicityRules

@Suite("Load generator")
struct LoadGeneratorTests {
    static let start = Date(timeIntervalSince1970: 1_772_323_200)  // 2026-03-01T00:00:00Z
    static let protocolIds =
        (try? AnakinraProtocolCatalog.load().protocols.filter { $0.kind == .institutional }.map(\.id)) ?? []

    static func generate(_ profile: LoadProfile) -> [GeneratedMessage] {
        var generator = LoadGenerator(profile: profile, now: start)
        var messages: [GeneratedMessage] = []
        while let message = generator.next() { messages.append(message) }
        return messages
    }

    @Test(
        "every valid event passes the strict decoder and decodes to the event generated, on its topic, keyed by patient"
    )
    func validEventsDecode() async {
        #expect(!Self.protocolIds.isEmpty)
        await propertyCheck(count: 12, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 1...40)) { seed, patients in
            let messages = Self.generate(
                LoadProfile(
                    patients: patients, totalEvents: 400, seed: seed, start: Self.start, protocolIds: Self.protocolIds))
            #expect(messages.count == 400)
            for message in messages {
                guard let event = message.event else {
                    Issue.record("no malformed message was asked for")
                    continue
                }
                do {
                    let decoded = try decodeEvent(message.value)
                    #expect(decoded == .clinical(event))
                    #expect(message.topic == decoded.type.topic)
                    #expect(message.key == event.patientId)
                } catch {
                    Issue.record("\(error) in \(String(decoding: message.value, as: UTF8.self))")
                }
            }
        }
    }

    @Test("the fast encoder's JSON means exactly what the contract encoder's does")
    func fastEncoderMatchesContract() throws {
        for message in Self.generate(
            LoadProfile(patients: 10, totalEvents: 300, seed: 9, start: Self.start, protocolIds: Self.protocolIds))
        {
            let event = try #require(message.event)
            let canonical = try encodeEvent(.clinical(event))
            let fast = try JSONSerialization.jsonObject(with: Data(message.value)) as? NSDictionary
            let reference = try JSONSerialization.jsonObject(with: canonical) as? NSDictionary
            #expect(fast == reference)
        }
    }

    @Test("courses: an admission first for each patient, event times increasing, CRS and ICANS in some patients")
    func courses() throws {
        let messages = Self.generate(
            LoadProfile(patients: 60, totalEvents: 6000, seed: 42, start: Self.start, protocolIds: Self.protocolIds))
        var seen: [String: Date] = [:]
        var admissions = 0
        var fevers = Set<String>()
        var lowICE = Set<String>()
        var drugs = Set<String>()
        for message in messages {
            let event = try #require(message.event)
            if case .patient(let admission) = event {
                #expect(seen[admission.patientId] == nil, "admission is the first event")
                admissions += 1
                #expect(admission.weightKg != nil && admission.infusion != nil && admission.site != nil)
                #expect(admission.protocolId.map(Self.protocolIds.contains) == true)
                #expect(admission.ageYears != nil || admission.birthDate != nil)
            } else {
                let previous = try #require(seen[event.patientId], "an event before the admission")
                #expect(event.occurredAt >= previous)
            }
            seen[event.patientId] = event.occurredAt
            if case .vitals(let vitals) = event, let temperature = vitals.temperatureC, temperature >= 38 {
                fevers.insert(event.patientId)
            }
            if case .neuro(let neuro) = event, (neuro.iceScore ?? 10) <= 6 || (neuro.capdScore ?? 0) >= 9 {
                lowICE.insert(event.patientId)
            }
            if case .medication(let medication) = event { drugs.insert(medication.drug.name) }
        }
        #expect(admissions == 60)
        #expect(fevers.count >= 15 && fevers.count < 60)
        #expect(lowICE.count >= 2)
        #expect(drugs.isSuperset(of: ["tocilizumab", "acetaminophen"]))
        #expect(Set(messages.map(\.topic)) == Set(EventType.allCases.filter { $0 != .inventory }.map(\.topic)))
    }

    @Test("courses that end at now never date an event after now, however unevenly patients are drawn")
    func noEventAfterNow() throws {
        // Few events per patient on average, so the most-drawn patients run far ahead of the mean.
        var generator = LoadGenerator(
            profile: LoadProfile(patients: 500, totalEvents: 5000, seed: 7, protocolIds: Self.protocolIds),
            now: Self.start)
        var latest = Date.distantPast
        while let message = generator.next() {
            let event = try #require(message.event)
            latest = max(latest, event.occurredAt)
        }
        #expect(latest <= Self.start)
        #expect(latest > Self.start.addingTimeInterval(-86_400), "the courses still end near now")
    }

    @Test(
        "the malformed fraction is honoured, every malformed message fails decoding with the reason it is built for",
        arguments: [0.0, 0.013, 0.1, 0.5, 1.0])
    func malformed(_ fraction: Double) {
        let total = 3000
        let messages = Self.generate(
            LoadProfile(patients: 25, totalEvents: total, malformedFraction: fraction, seed: 5, start: Self.start))
        let bad = messages.filter { $0.malformation != nil }
        // Admissions are never replaced, so up to one per patient may be carried over.
        #expect(abs(Double(bad.count) - fraction * Double(total)) <= 1 + (fraction == 1 ? 25 : 0))
        var reasons = Set<DeadLetterReason>()
        for message in bad {
            #expect(message.event == nil)
            #expect(message.key.hasPrefix("LD"))
            do {
                _ = try decodeEvent(message.value)
                Issue.record(
                    "malformed \(message.malformation!) decoded: \(String(decoding: message.value, as: UTF8.self))")
            } catch {
                #expect(error.reason == message.malformation?.expectedReason)
                reasons.insert(error.reason)
            }
        }
        if fraction >= 0.1 { #expect(reasons.count == Malformation.allCases.count) }
        #expect(messages.filter { if case .patient = $0.event { true } else { false } }.count == 25)
    }

    @Test("same seed, same start: same messages; another seed: others")
    func deterministic() {
        let profile = LoadProfile(patients: 7, totalEvents: 200, malformedFraction: 0.05, seed: 11, start: Self.start)
        let first = Self.generate(profile).map(\.value)
        #expect(first == Self.generate(profile).map(\.value))
        var other = profile
        other.seed = 12
        #expect(first != Self.generate(other).map(\.value))
    }

    @Test("JSON lines output: topic, key and the exact message text")
    func jsonLines() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "load-\(UInt64.random(in: 0...UInt64.max)).jsonl"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = LoadGenerator(
            profile: LoadProfile(patients: 4, totalEvents: 300, malformedFraction: 0.2, seed: 3, start: Self.start),
            now: Self.start)
        let reference = Self.generate(generator.profile)
        let summary = try await LoadRunner(rate: nil).run(&generator, into: try JSONLinesLoadSink(path: path)) { _ in }
        #expect(summary.generated == 300 && summary.sent == 300 && summary.failed == 0)
        #expect(summary.malformed == reference.filter { $0.malformation != nil }.count)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 300)
        for (line, message) in zip(lines, reference) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            #expect(object["topic"] == message.topic)
            #expect(object["key"] == message.key)
            #expect(object["value"].map { Array($0.utf8) } == message.value)
        }
        #expect(summary.render().contains("malformed \(summary.malformed)"))
    }

    @Test("JSON lines escape any bytes: quotes, backslashes, control characters, non-ASCII")
    func escaping() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(Ops.unique("escape") + ".jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values = ["plain", "{\"a\":\"b\\c\"}", "line\nbreak\ttab\u{01}\u{1F}end", "Zürich \u{1F489}", ""]
        let sink = try JSONLinesLoadSink(path: path)
        _ = try await sink.send(values.map { GeneratedMessage(topic: "t", key: "k\"1", value: Array($0.utf8)) })
        try await sink.finish()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == values.count + 1 && lines.last == "")
        for (line, value) in zip(lines, values) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            #expect(object == ["topic": "t", "key": "k\"1", "value": value])
        }
    }
}
