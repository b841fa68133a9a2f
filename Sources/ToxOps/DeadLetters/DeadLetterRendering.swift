import Foundation
import KafkaClient
import ToxWatchContract

/// Tables for `toxctl dlq list` and `toxctl dlq redrive`. Keys are shown as digests unless asked
/// (they are patient identifiers); payloads are never printed; control characters in anything a
/// record holds are printed as escapes (``escapingControlCharacters(_:)``), never raw.
package enum DeadLetterRendering {
    /// The dead letters, each id once (copies of one dead letter, written again by another worker
    /// or after a restart, share its id and are counted instead), in DLQ order.
    package static func list(
        _ letters: [StoredDeadLetter], scanned: Int, showKeys: Bool = false, palette: Palette = .plain,
        messageWidth: Int = 60
    ) -> String {
        var seen = Set<String>()
        let unique = letters.filter { letter in letter.record.map { seen.insert($0.id).inserted } ?? true }
        let copies = letters.count - unique.count
        var table = TextTable(columns: [
            .init("DLQ"), .init("DEAD-LETTERED AT"), .init("REASON"), .init("FIELD"), .init("SOURCE"), .init("KEY"),
            .init("ERROR"),
        ])
        for letter in unique {
            guard let record = letter.record else {
                table.append([
                    .init("\(letter.partition)/\(letter.offset)"),
                    .init(letter.timestamp.map { ISO8601Timestamp.format($0.roundedToSeconds) } ?? "-"),
                    .init("unreadable", style: .red), "-", "-", "-",
                    .init(truncate(letter.problem ?? "", messageWidth)),
                ])
                continue
            }
            table.append([
                .init("\(letter.partition)/\(letter.offset)"),
                .init(ISO8601Timestamp.format(record.deadLetteredAt.roundedToSeconds)),
                .init(record.reason.rawValue, style: .yellow),
                .init(escapingControlCharacters(record.error.field ?? "-")),
                .init(
                    escapingControlCharacters(
                        "\(record.source.topic)[\(record.source.partition)]@\(record.source.offset)")),
                .init(
                    showKeys
                        ? escapingControlCharacters(
                            record.originalKey.map { String(decoding: $0, as: UTF8.self) } ?? "-")
                        : keyDigest(record.originalKey)),
                .init(truncate(record.error.message, messageWidth)),
            ])
        }
        var lines: [String] = []
        if letters.isEmpty {
            lines.append(
                scanned == 0 ? "\(DeadLetterRecord.topic) is empty." : "No dead letter matches (\(scanned) scanned).")
            return lines.joined(separator: "\n")
        }
        lines.append(table.render(palette: palette))
        var counts: [String: Int] = [:]
        for letter in unique { counts[letter.record?.reason.rawValue ?? "unreadable", default: 0] += 1 }
        let byReason = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("\(unique.count) of \(scanned) dead letter(s) shown; by reason: \(byReason).")
        if copies > 0 {
            lines.append(
                "\(copies) more record(s) are copies of a dead letter shown (same id: written again by another worker "
                    + "or after a restart).")
        }
        return lines.joined(separator: "\n")
    }

    /// What a re-drive sends (or would send): target, key digest, size, and the headers added.
    package static func redrivePlan(
        _ items: [RedriveItem], skipped: [RedriveSkip], results: [RedriveResult]?, palette: Palette = .plain
    ) -> String {
        var lines: [String] = []
        if !items.isEmpty {
            var table = TextTable(columns: [
                .init("DLQ"), .init("DEAD LETTER"), .init("REASON"), .init("TO"), .init("KEY"), .init("BYTES", .right),
                .init("RESULT"),
            ])
            for (index, item) in items.enumerated() {
                let record = item.deadLetter.record
                let target: String
                switch item.record.partitioning {
                case .partition(let p): target = "\(item.record.topic)[\(p)]"
                case .byKey: target = "\(item.record.topic)[by key]"
                }
                let result: TextTable.Cell
                if let results, index < results.count {
                    let sent = results[index]
                    if let error = sent.error {
                        result = .init("failed: \(error)", style: .red)
                    } else {
                        result = .init("sent @\(sent.partition)/\(sent.offset.map(String.init) ?? "?")", style: .green)
                    }
                } else {
                    result = .init("would send", style: .cyan)
                }
                table.append([
                    .init("\(item.deadLetter.partition)/\(item.deadLetter.offset)"),
                    .init(escapingControlCharacters(record?.id ?? "-")),
                    .init(record?.reason.rawValue ?? "-"), .init(target),
                    .init(keyDigest(item.record.key.map { Data($0) })),
                    .init(String(item.record.value?.count ?? 0)), result,
                ])
            }
            lines.append(table.render(palette: palette))
            lines.append(
                "Headers added: \(Redrive.fromHeader) (DLQ coordinates), \(Redrive.originalHeader) (the original "
                    + "topic/partition/offset), \(Redrive.atHeader); the original key, value and headers are kept.")
        }
        for skip in skipped {
            lines.append(
                palette.apply(
                    .yellow, "skipped \(skip.deadLetter.coordinates): \(escapingControlCharacters(skip.reason))"))
        }
        if let results {
            let failed = results.filter { $0.error != nil }.count
            lines.append(
                "Re-drove \(results.count - failed) of \(items.count) dead letter(s)"
                    + (failed > 0 ? palette.apply(.red, "; \(failed) failed") : "")
                    + (skipped.isEmpty ? "" : "; \(skipped.count) skipped") + ". The DLQ records are kept.")
        } else {
            lines.append(
                "Dry run: \(items.count) record(s) would be sent"
                    + (skipped.isEmpty ? "" : ", \(skipped.count) skipped")
                    + "; nothing was sent.")
        }
        return lines.joined(separator: "\n")
    }

    /// One line of at most `width` characters, control characters escaped.
    static func truncate(_ text: String, _ width: Int) -> String {
        let single = escapingControlCharacters(text.replacingOccurrences(of: "\n", with: " "))
        return single.count <= width ? single : String(single.prefix(max(1, width - 1))) + "…"
    }
}
