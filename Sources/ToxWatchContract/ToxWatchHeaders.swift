// The `toxwatch-*` Kafka header names of every record ToxWatch writes: the worker's outputs and
// changelog, `toxd ingest`'s events and dead letters, and `toxctl dlq redrive`. Consumers compare
// outputs after removing these headers (DESIGN.md §2).

/// Header names every output carries (DESIGN.md §2: source coordinates in headers).
package enum OutputHeader {
    package static let outputID = "toxwatch-output-id"
    package static let kind = "toxwatch-record"
    package static let sourceTopic = "toxwatch-source-topic"
    package static let sourcePartition = "toxwatch-source-partition"
    package static let sourceOffset = "toxwatch-source-offset"
    /// The writer epoch of a changelog record (the worker's `PartitionProcessor.epoch`).
    package static let epoch = "toxwatch-epoch"
}

/// Header names of the records `toxd ingest` writes.
package enum IngestHeader {
    /// The source message's id: MSH-10 for HL7 v2; `Bundle.identifier.value`, else `Bundle/<id>` or
    /// `<ResourceType>/<id>`, else the record key (UTF-8) for FHIR. Absent when there is none.
    package static let sourceMessageID = "toxwatch-source-message-id"
    /// `hl7` or `fhir`.
    package static let sourceFormat = "toxwatch-source-format"
    /// On a dead letter: `failed` (nothing of the record was published) or `partial` (the events that
    /// decoded were published; the dead letter keeps the whole record and the first problem).
    package static let outcome = "toxwatch-ingest-outcome"
}

/// Header names `toxctl dlq redrive` adds to a re-driven record.
package enum RedriveHeader {
    /// `cart.dlq.v1/PARTITION/OFFSET` of the DLQ record re-driven.
    package static let from = "toxwatch-redrive-from"
    /// The dead letter's id: the original record's `topic/partition/offset`.
    package static let original = "toxwatch-redrive-of"
    /// When the re-drive happened (ISO-8601).
    package static let at = "toxwatch-redriven-at"
}
