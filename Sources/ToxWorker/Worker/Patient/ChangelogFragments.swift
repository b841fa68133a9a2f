import Foundation
package import KafkaClient
import ToxWatchContract

/// Keeps every changelog record bounded, whatever a patient's course holds: a patient-state value
/// larger than ``maxRecordBytes`` is written as content-addressed fragments and a manifest.
///
/// Generic over the bytes: the value is cut where its content says (a rolling hash, so an
/// insertion or a removal moves only the cuts near it), each fragment is keyed by the patient and
/// the SHA-256 of its bytes, and the manifest (keyed by the patient id, like a whole record) lists
/// the fragments in order with their lengths. Writing:
/// 1. fragments the log does not hold yet (a fragment already referenced by the patient's last
///    durable manifest is not written again: a long course costs its new tail, not its whole);
/// 2. the manifest (or the whole record, once the value fits again);
/// 3. tombstones for the fragments the previous manifest referenced and the new one does not, so
///    compaction removes them.
/// All go to the same changelog partition in this order, in one produce call. A crash at any point
/// leaves the previous manifest and all its fragments intact; a fragment key names one content, so
/// a restore can never assemble fragments of two versions. Restore assembles a manifest from the
/// fragments read before it (a fragment is always written before the manifests that name it).
package struct ChangelogFragments: Sendable {
    /// The largest changelog value written as one record (well below the brokers' 1 MB default).
    package static let maxRecordBytes = 256 * 1024
    static let minimumFragment = 16 * 1024
    /// Cut where the rolling hash's low 16 bits are zero: 64 KiB fragments on average.
    static let cutMask: UInt64 = 0xFFFF

    package static let fragmentKind = "patient-state-fragment"
    package static let manifestKind = "patient-state-manifest"

    /// One fragment as a manifest names it.
    package struct Fragment: Codable, Sendable, Hashable {
        package var sha256: String
        package var length: Int
        /// A fast hash of the bytes, so that an unchanged fragment is recognised without SHA-256.
        var quickHash: UInt64 = 0

        enum CodingKeys: String, CodingKey { case sha256, length }
    }

    /// The manifest's value.
    package struct Manifest: Codable, Sendable {
        package var formatVersion = 1
        package var length: Int
        package var fragments: [Fragment]
    }

    /// Per patient, the fragments its last durable manifest references (empty: a whole record).
    private var live: [String: [Fragment]] = [:]
    /// Restore: fragment bytes by key, and the highest writer epoch seen (older writers are fenced).
    private var restoredBytes: [String: [UInt8]] = [:]
    private var highestEpoch = 0

    package init() {}

    /// The key of a patient's fragment.
    package static func fragmentKey(patientId: String, sha256: String) -> String {
        "\u{2}toxd-fragment/\(patientId)/\(sha256)"
    }

    // MARK: Writing

    /// What writing `records` (a batch's changelog, in order) takes, and the live fragments once it
    /// is durable (hand them to ``commit(_:)`` after every record was acknowledged).
    package func expand(_ records: [OutputRecord]) -> (records: [ProducerRecord], live: [String: [Fragment]]) {
        var expanded: [ProducerRecord] = []
        var pending: [String: [Fragment]] = [:]
        for record in records {
            guard record.kind == .patientState else {
                expanded.append(record.producerRecord)
                continue
            }
            let patientId = String(decoding: record.key, as: UTF8.self)
            let previous = pending[patientId] ?? live[patientId] ?? []
            var current: [Fragment] = []
            if record.value.count <= Self.maxRecordBytes {
                expanded.append(record.producerRecord)
            } else {
                var known: [Int: [Fragment]] = [:]
                for fragment in previous { known[fragment.length, default: []].append(fragment) }
                var written: Set<String> = Set(previous.map(\.sha256))
                for range in Self.cuts(record.value) {
                    let bytes = Array(record.value[range])
                    let quick = Self.quickHash(bytes)
                    let fragment =
                        known[bytes.count]?.first { $0.quickHash == quick }
                        ?? Fragment(sha256: RecordDigest(bytes).sha256, length: bytes.count, quickHash: quick)
                    current.append(fragment)
                    if written.insert(fragment.sha256).inserted {
                        expanded.append(
                            Self.record(
                                like: record, key: Self.fragmentKey(patientId: patientId, sha256: fragment.sha256),
                                kind: Self.fragmentKind, value: bytes))
                    }
                }
                let manifest = Manifest(length: record.value.count, fragments: current)
                let value = (try? JSONEncoder().encode(manifest)).map { Array($0) } ?? []
                expanded.append(Self.record(like: record, key: patientId, kind: Self.manifestKind, value: value))
            }
            let kept = Set(current.map(\.sha256))
            for fragment in previous where !kept.contains(fragment.sha256) {
                expanded.append(
                    Self.record(
                        like: record, key: Self.fragmentKey(patientId: patientId, sha256: fragment.sha256),
                        kind: Self.fragmentKind, value: nil))
            }
            pending[patientId] = current
        }
        return (expanded, pending)
    }

    /// Records what the log holds after a durable write.
    package mutating func commit(_ pending: [String: [Fragment]]) {
        for (patientId, fragments) in pending { live[patientId] = fragments.isEmpty ? nil : fragments }
    }

    private static func record(like original: OutputRecord, key: String, kind: String, value: [UInt8]?)
        -> ProducerRecord
    {
        ProducerRecord(
            topic: original.topic, partition: original.partition, key: Array(key.utf8), value: value,
            headers: original.headers.map {
                $0.name == OutputHeader.kind ? KafkaHeader(name: OutputHeader.kind, string: kind) : $0
            })
    }

    // MARK: Restore

    /// Takes one changelog record read during restore. Keeps fragments; turns a manifest into the
    /// whole patient-state record it stands for; hands everything else back unchanged.
    /// - Returns: the record to restore, or nil when the record was a fragment.
    /// - Throws: ``ChangelogFragmentError`` when a manifest names a fragment that was not read.
    package mutating func restore(_ message: KafkaMessage) throws(ChangelogFragmentError) -> KafkaMessage? {
        let epoch = Self.header(OutputHeader.epoch, message).flatMap { Int($0) } ?? 0
        let kind = Self.header(OutputHeader.kind, message)
        let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if kind == Self.fragmentKind {
            guard epoch >= highestEpoch else { return nil }
            restoredBytes[key] = message.value
            return nil
        }
        // A record of a fenced (older) owner goes to the processor as it is, which ignores it.
        guard epoch >= highestEpoch else { return message }
        highestEpoch = epoch
        if kind == OutputRecord.Kind.patientState.rawValue {
            live[key] = nil
            return message
        }
        guard kind == Self.manifestKind, let value = message.value else { return message }
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(value)) else {
            throw ChangelogFragmentError(patientKey: key, problem: "the manifest cannot be read")
        }
        var assembled: [UInt8] = []
        assembled.reserveCapacity(manifest.length)
        var fragments: [Fragment] = []
        for var fragment in manifest.fragments {
            guard let bytes = restoredBytes[Self.fragmentKey(patientId: key, sha256: fragment.sha256)],
                bytes.count == fragment.length
            else {
                throw ChangelogFragmentError(patientKey: key, problem: "fragment \(fragment.sha256) is missing")
            }
            fragment.quickHash = Self.quickHash(bytes)
            fragments.append(fragment)
            assembled += bytes
        }
        guard assembled.count == manifest.length else {
            throw ChangelogFragmentError(
                patientKey: key, problem: "the fragments do not add up to the manifest's length")
        }
        live[key] = fragments
        var whole = message
        whole.value = assembled
        whole.headers = message.headers.map {
            $0.name == OutputHeader.kind
                ? KafkaHeader(name: OutputHeader.kind, string: OutputRecord.Kind.patientState.rawValue) : $0
        }
        return whole
    }

    /// Restore is over: drops the fragment bytes read (the live fragments stay known by digest).
    package mutating func finishRestore() {
        restoredBytes.removeAll()
    }

    private static func header(_ name: String, _ message: KafkaMessage) -> String? {
        message.headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Content-defined cuts

    /// A gear table for the rolling hash (fixed: cuts must be the same in every process).
    private static let gear: [UInt64] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<256).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }()

    /// Where to cut `bytes`: after at least ``minimumFragment`` bytes, where the rolling hash says,
    /// and never more than ``maxRecordBytes`` in one fragment.
    static func cuts(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { buffer in
            gear.withUnsafeBufferPointer { gear in
                var start = 0
                var hash: UInt64 = 0
                var index = 0
                while index < buffer.count {
                    hash = (hash << 1) &+ gear[Int(buffer[index])]
                    index += 1
                    let length = index - start
                    if (length >= minimumFragment && hash & cutMask == 0) || length >= maxRecordBytes {
                        ranges.append(start..<index)
                        start = index
                        hash = 0
                    }
                }
                if start < buffer.count { ranges.append(start..<buffer.count) }
            }
        }
        return ranges
    }

    /// FNV-1a over the bytes (recognises an unchanged fragment; its key is its SHA-256).
    static func quickHash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in buffer {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            return hash
        }
    }
}

/// A manifest that cannot be assembled: the patient's previous state stays.
package struct ChangelogFragmentError: Error, CustomStringConvertible {
    package var patientKey: String
    package var problem: String
    package var description: String { "changelog manifest: \(problem)" }
}
