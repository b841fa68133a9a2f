internal import CRdKafka

/// An error from Kafka or from librdkafka, with librdkafka's own code, name and message.
///
/// Sort a failure by its flags first (see the HandlingErrors article):
/// - ``isFatal``: the client instance is unusable; close it and create a new one.
/// - ``isTransactionAbortable``: abort the current transaction, rewind, retry the batch.
/// - ``isRetriable``: the same call may succeed if repeated after a back-off.
/// Otherwise switch over ``code``.
package struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, independent of librdkafka's numbering. Extensible: new codes may be added,
    /// so `switch` over it with a `default:` branch.
    package struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// A librdkafka property was unknown or had an invalid value.
        package static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// An argument was invalid (empty topic name, negative partition count …).
        package static let invalidArgument = Code(rawValue: "invalidArgument")
        /// The operation did not complete in time.
        package static let timedOut = Code(rawValue: "timedOut")
        /// The brokers could not be reached (connection refused, resolution failed, all brokers down).
        package static let transport = Code(rawValue: "transport")
        /// The broker does not implement the request (API key or version missing from ApiVersions).
        package static let unsupportedByBroker = Code(rawValue: "unsupportedByBroker")
        /// librdkafka could not parse the broker's ApiVersion response (librdkafka 2.0.2 against a broker
        /// that sends non-default tagged fields, e.g. Tansu; fixed in librdkafka 2.2.0).
        package static let brokerProtocolIncompatible = Code(rawValue: "brokerProtocolIncompatible")
        /// The topic or partition does not exist.
        package static let unknownTopicOrPartition = Code(rawValue: "unknownTopicOrPartition")
        /// The topic already exists (topic creation).
        package static let topicAlreadyExists = Code(rawValue: "topicAlreadyExists")
        /// The local producer queue is full; wait for delivery reports and retry.
        package static let queueFull = Code(rawValue: "queueFull")
        /// The message is larger than the broker or client allows.
        package static let messageTooLarge = Code(rawValue: "messageTooLarge")
        /// The message was not delivered within `message.timeout.ms`.
        package static let messageTimedOut = Code(rawValue: "messageTimedOut")
        /// The message was purged from the producer queue before it was sent (shutdown or fatal error).
        package static let purged = Code(rawValue: "purged")
        /// The client is closed or being closed.
        package static let shutdown = Code(rawValue: "shutdown")
        /// The call is not valid in the client's current state (e.g. commit without an assignment).
        package static let invalidState = Code(rawValue: "invalidState")
        /// The group is rebalancing or this member's generation is stale; the commit was rejected.
        package static let rebalanceInProgress = Code(rawValue: "rebalanceInProgress")
        /// The partitions were lost (session timeout or fencing) rather than revoked.
        package static let assignmentLost = Code(rawValue: "assignmentLost")
        /// The producer was fenced by a newer instance with the same transactional id.
        package static let fenced = Code(rawValue: "fenced")
        /// A transaction-state error (invalid transition, concurrent transactions …).
        package static let transactionState = Code(rawValue: "transactionState")
        /// Idempotence guarantees could not be kept (sequence gap, unknown producer id …).
        package static let idempotenceViolation = Code(rawValue: "idempotenceViolation")
        /// Authentication or authorization failed (SASL, SSL, ACL).
        package static let authentication = Code(rawValue: "authentication")
        /// The requested offset is outside the partition's log.
        package static let offsetOutOfRange = Code(rawValue: "offsetOutOfRange")
        /// No offset is stored or committed for the partition.
        package static let noOffset = Code(rawValue: "noOffset")
        /// The group coordinator is loading, moving or unavailable.
        package static let coordinatorUnavailable = Code(rawValue: "coordinatorUnavailable")
        /// The partition has no leader right now.
        package static let leaderNotAvailable = Code(rawValue: "leaderNotAvailable")
        /// A message could not be converted (e.g. a header name that is not UTF-8).
        package static let malformedMessage = Code(rawValue: "malformedMessage")
        /// The broker refused the record itself (`INVALID_RECORD`, `INVALID_TIMESTAMP`): sending the
        /// same bytes again is refused again.
        package static let invalidRecord = Code(rawValue: "invalidRecord")
        /// Any other librdkafka or broker error; see ``KafkaError/rdKafkaCode`` and ``KafkaError/name``.
        package static let other = Code(rawValue: "other")
    }

    package var code: Code
    /// librdkafka's numeric `rd_kafka_resp_err_t`, when the error came from librdkafka or the broker.
    package var rdKafkaCode: Int32?
    /// librdkafka's symbolic name of ``rdKafkaCode`` (e.g. `_TIMED_OUT`, `UNKNOWN_TOPIC_OR_PART`).
    package var name: String?
    /// A human-readable message (librdkafka's error string, or our own).
    package var message: String
    /// The client instance is unusable; it must be closed and recreated.
    package var isFatal: Bool
    /// Retrying the same operation may succeed.
    package var isRetriable: Bool
    /// The current transaction must be aborted (then the batch may be retried).
    package var isTransactionAbortable: Bool
    package var file: String
    package var line: Int

    package init(
        code: Code, message: String, rdKafkaCode: Int32? = nil, name: String? = nil, isFatal: Bool = false,
        isRetriable: Bool = false, isTransactionAbortable: Bool = false, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
        self.name = name
        self.isFatal = isFatal
        self.isRetriable = isRetriable
        self.isTransactionAbortable = isTransactionAbortable
        self.file = file
        self.line = line
    }

    /// The broker or the client refused this record for what it is (too large, invalid): no retry
    /// of the same bytes can succeed, so a caller must change the record or give it up, never loop.
    package var rejectsRecord: Bool {
        code == .messageTooLarge || code == .invalidRecord
    }

    package var description: String {
        var text = "KafkaError(\(code)"
        if let name { text += ", \(name)" }
        text += "): \(message)"
        if isFatal { text += " [fatal]" }
        if isTransactionAbortable { text += " [abort transaction]" }
        if isRetriable { text += " [retriable]" }
        return text
    }
}

extension KafkaError {
    /// Builds an error from a bare `rd_kafka_resp_err_t`.
    init(rdKafkaError err: rd_kafka_resp_err_t, context: String? = nil, file: String = #fileID, line: Int = #line) {
        let raw = err.rawValue
        let name = rd_kafka_err2name(err).map { String(cString: $0) }
        let text = rd_kafka_err2str(err).map { String(cString: $0) } ?? "unknown error \(raw)"
        self.init(
            code: Code(rdKafkaCode: raw), message: context.map { "\($0): \(text)" } ?? text, rdKafkaCode: raw,
            name: name, isFatal: raw == RD_KAFKA_RESP_ERR__FATAL.rawValue,
            isRetriable: Self.retriableCodes.contains(raw), file: file, line: line)
    }

    /// Builds an error from an `rd_kafka_error_t` (which carries fatal/retriable/abortable flags) and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil, file: String = #fileID, line: Int = #line) {
        let err = rd_kafka_error_code(error)
        let raw = err.rawValue
        let name = rd_kafka_error_name(error).map { String(cString: $0) }
        let text = rd_kafka_error_string(error).map { String(cString: $0) } ?? "unknown error \(raw)"
        self.init(
            code: Code(rdKafkaCode: raw), message: context.map { "\($0): \(text)" } ?? text, rdKafkaCode: raw,
            name: name, isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isTransactionAbortable: rd_kafka_error_txn_requires_abort(error) != 0, file: file, line: line)
        rd_kafka_error_destroy(error)
    }

    /// librdkafka codes that a repeated call can get past.
    static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR__TRANSPORT.rawValue,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue, RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue,
        RD_KAFKA_RESP_ERR__WAIT_COORD.rawValue, RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE.rawValue,
        RD_KAFKA_RESP_ERR__RESOLVE.rawValue, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION.rawValue,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND.rawValue, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue,
        RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS.rawValue, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR.rawValue,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED.rawValue,
    ]
}

extension KafkaError.Code {
    /// Maps librdkafka's numeric code to our code.
    package init(rdKafkaCode raw: Int32) {
        self = Self.byRdKafkaCode[raw] ?? .other
    }

    private static let byRdKafkaCode: [Int32: KafkaError.Code] = {
        var map: [Int32: KafkaError.Code] = [:]
        func put(_ code: KafkaError.Code, _ errs: rd_kafka_resp_err_t...) {
            for err in errs { map[err.rawValue] = code }
        }
        put(
            .invalidArgument, RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
            RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR_INVALID_CONFIG,
            RD_KAFKA_RESP_ERR_INVALID_REQUEST, RD_KAFKA_RESP_ERR__INVALID_TYPE)
        put(
            .timedOut, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE)
        put(
            .transport, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
            RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE)
        put(
            .unsupportedByBroker, RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION, RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE,
            RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED, RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT)
        put(
            .unknownTopicOrPartition, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        put(.topicAlreadyExists, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        put(.queueFull, RD_KAFKA_RESP_ERR__QUEUE_FULL)
        put(
            .messageTooLarge, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
            RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE)
        put(.messageTimedOut, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        put(.purged, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
        put(.shutdown, RD_KAFKA_RESP_ERR__DESTROY)
        put(
            .invalidState, RD_KAFKA_RESP_ERR__STATE, RD_KAFKA_RESP_ERR__UNKNOWN_GROUP,
            RD_KAFKA_RESP_ERR__NOT_CONFIGURED, RD_KAFKA_RESP_ERR__CONFLICT)
        put(
            .rebalanceInProgress, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
            RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
        put(.assignmentLost, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST, RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED)
        put(
            .fenced, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
            RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_TRANSACTION_COORDINATOR_FENCED,
            RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)
        put(
            .transactionState, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS,
            RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING, RD_KAFKA_RESP_ERR_INVALID_TRANSACTION_TIMEOUT)
        put(
            .idempotenceViolation, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
            RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID, RD_KAFKA_RESP_ERR__GAPLESS_GUARANTEE,
            RD_KAFKA_RESP_ERR__INCONSISTENT)
        put(
            .authentication, RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL,
            RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM)
        put(.offsetOutOfRange, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
        put(.noOffset, RD_KAFKA_RESP_ERR__NO_OFFSET)
        put(
            .coordinatorUnavailable, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR__WAIT_COORD)
        put(.leaderNotAvailable, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
        put(
            .malformedMessage, RD_KAFKA_RESP_ERR__BAD_MSG, RD_KAFKA_RESP_ERR_INVALID_MSG,
            RD_KAFKA_RESP_ERR__BAD_COMPRESSION)
        put(.brokerProtocolIncompatible, RD_KAFKA_RESP_ERR__UNDERFLOW)
        put(.invalidRecord, RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP)
        return map
    }()
}

/// Recognises librdkafka 2.0.2's failure to parse a broker's ApiVersion response.
///
/// librdkafka before 2.2.0 cannot parse ApiVersion responses whose tagged fields carry non-default
/// values (Tansu 0.6 sends them; Apache Kafka omits default-valued tagged fields). The broker
/// connection then fails with `ApiVersionRequest failed: Local: Read underflow` and librdkafka
/// reconnects forever. Our clients watch their log and error lines with this detector and fail
/// with ``KafkaError/Code/brokerProtocolIncompatible`` instead.
package enum ApiVersionIncompatibility {
    /// The message our clients report.
    package static let explanation =
        "the broker's ApiVersion response could not be parsed (librdkafka read underflow). librdkafka "
        + "before 2.2.0 (this machine has the Debian 2.0.2 build) cannot parse ApiVersion responses with "
        + "non-default tagged fields, which some brokers (e.g. Tansu) send. Use Apache Kafka, Redpanda or "
        + "the embedded mock cluster, or a librdkafka >= 2.2.0."

    /// Whether a librdkafka log or error line shows the ApiVersion parse failure.
    ///
    /// librdkafka 2.0.2 reports it in two places: a `PROTOUFLOW` log line "Protocol read buffer underflow
    /// for ApiVersion v3 at …", and the broker failure "ApiVersionRequest failed: Local: Read underflow:
    /// probably due to broker version < 0.10 …" (log facility `FAIL`, and the error callback).
    package static func matches(_ line: String) -> Bool {
        let lowered = line.lowercased()
        guard lowered.contains("apiversion") else { return false }
        return lowered.contains("read underflow") || lowered.contains("read buffer underflow")
    }

    package static func error(detail: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(
            code: .brokerProtocolIncompatible, message: "\(explanation) (librdkafka: \(detail))",
            rdKafkaCode: RD_KAFKA_RESP_ERR__UNDERFLOW.rawValue, name: "_UNDERFLOW", isFatal: true, file: file,
            line: line)
    }
}
