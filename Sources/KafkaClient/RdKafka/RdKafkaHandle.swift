internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// State that librdkafka's C callbacks reach through the `opaque` pointer of an `rd_kafka_t`.
///
/// - Important: Lifetime. ``RdKafkaHandle`` retains this object with `Unmanaged.passRetained` before
///   `rd_kafka_new` and releases it only after `rd_kafka_destroy` has returned, when librdkafka has joined
///   all its threads and can no longer call back. Nothing else may release it.
///
/// `@unchecked Sendable`: `logger` is immutable; `incompatibility` and `fatal` are behind mutexes; the
/// two hook slots are written once by the owner before the handle is first polled and then read only
/// by the owner's poll thread, the only thread on which librdkafka invokes the rebalance and delivery
/// callbacks (they are served from `rd_kafka_poll`/`rd_kafka_consumer_poll`/`rd_kafka_consumer_close`,
/// which only the poll thread calls).
final class RdKafkaCallbacks: @unchecked Sendable {
    let logger: Logger
    /// Set when a log or error line shows librdkafka failing to parse the broker's ApiVersion response.
    let incompatibility = Mutex<KafkaError?>(nil)
    /// Set when librdkafka raises a fatal error (idempotence or transaction guarantees lost).
    let fatal = Mutex<KafkaError?>(nil)
    /// Called (from any thread) when incompatibility or a fatal error is detected, to wake the owner.
    let onFailure: @Sendable () -> Void

    nonisolated(unsafe) var rebalanceHook:
        ((rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?
    nonisolated(unsafe) var deliveryHook: ((UnsafePointer<rd_kafka_message_t>) -> Void)?

    init(logger: Logger, onFailure: @escaping @Sendable () -> Void = {}) {
        self.logger = logger
        self.onFailure = onFailure
    }

    /// The first failure that makes the client unusable, if any.
    var failure: KafkaError? {
        if let error = incompatibility.withLock({ $0 }) { return error }
        return fatal.withLock { $0 }
    }

    func inspect(line: String) {
        guard ApiVersionIncompatibility.matches(line) else { return }
        let isNew = incompatibility.withLock { current -> Bool in
            guard current == nil else { return false }
            current = ApiVersionIncompatibility.error(detail: line)
            return true
        }
        if isNew {
            logger.error(
                "kafka.broker.incompatible",
                metadata: ["kafka.reason": "\(ApiVersionIncompatibility.explanation)"])
            onFailure()
        }
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RdKafkaCallbacks? {
        guard let opaque else { return nil }
        return Unmanaged<RdKafkaCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Owns one `rd_kafka_t`.
///
/// `@unchecked Sendable`: librdkafka documents `rd_kafka_t` as thread-safe for all public API calls;
/// the pointer itself is immutable. ``destroy()`` must be called exactly once, by the owner, after every
/// other use (it is guarded so a second call does nothing).
final class RdKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let callbacks: RdKafkaCallbacks
    private let callbacksReference: Unmanaged<RdKafkaCallbacks>
    private let destroyed = Atomic<Bool>(false)

    /// Creates the handle. `configure` may set further callbacks on the `rd_kafka_conf_t`.
    init(
        type: rd_kafka_type_t, properties: [String: String], callbacks: RdKafkaCallbacks,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = try RdKafkaConfig.make(properties: properties)
        let reference = Unmanaged.passRetained(callbacks)
        rd_kafka_conf_set_opaque(conf, reference.toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buffer in
            guard let rk, let callbacks = RdKafkaCallbacks.from(rd_kafka_opaque(rk)) else { return }
            let line = buffer.map { String(cString: $0) } ?? ""
            let facilityName = facility.map { String(cString: $0) } ?? ""
            callbacks.inspect(line: line)
            let logLevel: Logger.Level =
                switch level {
                case ...2: .critical
                case 3: .error
                case 4: .warning
                case 5: .notice
                case 6: .info
                default: .debug
                }
            callbacks.logger.log(
                level: logLevel, "\(line)",
                metadata: [
                    "rdkafka.facility": "\(facilityName)", "rdkafka.client": "\(String(cString: rd_kafka_name(rk)))",
                ])
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let callbacks = RdKafkaCallbacks.from(opaque) else { return }
            let text = reason.map { String(cString: $0) } ?? ""
            callbacks.inspect(line: text)
            let code = rd_kafka_resp_err_t(rawValue: err)
            if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
                var buffer = [CChar](repeating: 0, count: 512)
                let underlying = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                var error = KafkaError(rdKafkaError: underlying, context: "fatal error: \(message)")
                error.isFatal = true
                let isNew = callbacks.fatal.withLock { current -> Bool in
                    guard current == nil else { return false }
                    current = error
                    return true
                }
                callbacks.logger.error("kafka.client.fatal", metadata: ["kafka.error": "\(error)"])
                if isNew { callbacks.onFailure() }
            } else {
                callbacks.logger.warning(
                    "kafka.client.error",
                    metadata: [
                        "kafka.error.name": "\(rd_kafka_err2name(code).map { String(cString: $0) } ?? "\(err)")",
                        "kafka.error.reason": "\(text)",
                    ])
            }
        }
        configure(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            reference.release()
            let message = errorText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError(code: .invalidConfiguration, message: "rd_kafka_new failed: \(message)")
        }
        self.pointer = rk
        self.callbacks = callbacks
        self.callbacksReference = reference
    }

    var name: String { String(cString: rd_kafka_name(pointer)) }

    /// Destroys the `rd_kafka_t` (blocking until librdkafka's threads have stopped), then releases the
    /// callback context. Call off the cooperative pool.
    func destroy() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_destroy(pointer)
        callbacksReference.release()
    }
}

/// Building an `rd_kafka_conf_t` from properties.
enum RdKafkaConfig {
    static func make(properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .invalidConfiguration, message: "rd_kafka_conf_new failed")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                var message = errorText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                if KafkaSecretProperties.isSecret(name) {
                    message = message.replacingOccurrences(of: value, with: "***")
                }
                throw KafkaError(
                    code: .invalidConfiguration, message: "librdkafka property \"\(name)\": \(message)")
            }
        }
        return conf
    }
}

/// Conversions between `rd_kafka_topic_partition_list_t` and Swift values.
enum PartitionList {
    static func make(_ items: [TopicPartitionOffset]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(items.count))!
        for item in items {
            let element = rd_kafka_topic_partition_list_add(list, item.topic, Int32(item.partition))!
            element.pointee.offset = item.offset.rawValue
        }
        return list
    }

    static func make(_ partitions: [TopicPartition]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        make(partitions.map { TopicPartitionOffset($0, .invalid) })
    }

    struct Entry {
        var topicPartition: TopicPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
    }

    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elements[index]
            return Entry(
                topicPartition: TopicPartition(String(cString: element.topic), Int(element.partition)),
                offset: element.offset, error: element.err)
        }
    }
}

/// Reads a C string buffer filled by librdkafka.
extension Array where Element == CChar {
    var cStringValue: String { withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }
}
