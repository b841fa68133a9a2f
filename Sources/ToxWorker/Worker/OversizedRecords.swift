import Foundation
package import KafkaClient
import ToxWatchContract

/// What the worker and `toxd ingest` write instead of a record the broker refuses for what it is
/// (``KafkaError/rejectsRecord``: larger than the message size limit, or invalid), so that such a
/// record never makes a batch retry forever.
///
/// A dead letter is replaced by a bounded one: the same source coordinates and reason, the first
/// ``keptBytes`` of the original value, no original headers, and an error message naming the
/// broker's error, the size of the dead letter that was refused and the original value's size and
/// SHA-256. Any other record (a grade, a recommendation, an event) cannot be cut without changing
/// its meaning: the caller gives it up, counts it and names the error in its log.
package enum OversizedRecords {
    /// How many bytes of the original value a reduced dead letter keeps.
    package static let keptBytes = 1024

    /// The bounded replacement of a dead letter the broker refused, or nil when `value` is not one.
    package static func reducedDeadLetter(_ value: [UInt8], refusedWith error: KafkaError) -> [UInt8]? {
        guard let letter = try? DeadLetterRecord.decode(Data(value)) else { return nil }
        let original = letter.originalValue.map { Array($0) } ?? []
        var reduced = letter
        reduced.originalValue = original.isEmpty ? letter.originalValue : Data(original.prefix(keptBytes))
        reduced.originalHeaders = []
        if let key = letter.originalKey, key.count > keptBytes { reduced.originalKey = nil }
        reduced.error.message =
            String(letter.error.message.prefix(2048))
            + " [this dead letter was reduced: the full one (\(value.count) bytes) was refused by the broker "
            + "(\(error.name ?? error.code.rawValue)); original value \(RecordDigest(original)), "
            + "first \(min(keptBytes, original.count)) bytes kept, original headers left out]"
        return (try? reduced.encoded()).map { Array($0) }
    }

    /// The digest a log line gives for a record that was given up.
    package static func describe(_ record: ProducerRecord) -> String {
        "\(record.topic) value \(RecordDigest(record.value ?? []))"
    }
}
