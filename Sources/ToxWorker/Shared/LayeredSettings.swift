import Foundation
import Yams

/// A configuration value that cannot be used, naming where it came from.
package struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// The settings of `toxd` and `toxd ingest` from their sources, later ones winning: a YAML file,
/// the environment, flags. Every value remembers where it came from, so that an error names it
/// (`toxd.yaml: httpPort: …`, `environment TOXD_HTTP_PORT: …`, `flag --http-port: …`).
///
/// Keys are the YAML names (`httpPort`); librdkafka properties are kept apart under `kafka`
/// (a YAML mapping, `TOXD_KAFKA_<PROPERTY>` variables, `--kafka key=value` flags) and passed through.
///
/// (apple/swift-configuration was measured for this and not used: its providers look keys up one
/// by one and cannot list them, which the pass-through `kafka` properties and the rejection of
/// unknown keys need, and its errors do not say which source a bad value came from.)
package struct LayeredSettings: Sendable {
    /// A value as text and where it came from.
    package struct Entry: Sendable, Equatable {
        package var value: String
        package var origin: String
    }

    private var values: [String: Entry] = [:]
    private var kafkaValues: [String: Entry] = [:]

    package init() {}

    /// Adds the keys of a YAML document: scalars, and a `kafka` mapping of librdkafka properties.
    package mutating func addYAML(_ text: String, origin: String) throws(ConfigurationError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(origin): not valid YAML: \(error)")
        }
        guard let node else { return }
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(origin): the top level must be a mapping of keys to values")
        }
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { continue }
            if key == "kafka" {
                guard let kafkaMapping = valueNode.mapping else {
                    throw ConfigurationError("\(origin): kafka: must be a mapping of librdkafka properties")
                }
                for (propertyNode, propertyValue) in kafkaMapping {
                    guard let property = propertyNode.string, let value = propertyValue.scalar?.string else {
                        throw ConfigurationError("\(origin): kafka: every property needs a scalar value")
                    }
                    kafkaValues[property] = Entry(value: value, origin: "\(origin): kafka.\(property)")
                }
            } else {
                guard let scalar = valueNode.scalar?.string else {
                    throw ConfigurationError("\(origin): \(key): expected a single value")
                }
                values[key] = Entry(value: scalar, origin: "\(origin): \(key)")
            }
        }
    }

    /// Reads a YAML file (`--config`) and adds its keys.
    package mutating func addYAMLFile(_ path: String) throws(ConfigurationError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("--config: cannot read \(path): \(error.localizedDescription)")
        }
        try addYAML(text, origin: path)
    }

    /// Adds environment variables: `TOXD_KAFKA_SASL_USERNAME` → the librdkafka property
    /// `sasl.username`; any other variable `key(for:)` names a key for.
    package mutating func addEnvironment(_ environment: [String: String], key: (String) -> String?) {
        for (name, value) in environment {
            if name.hasPrefix(Self.kafkaPrefix) {
                let property = name.dropFirst(Self.kafkaPrefix.count).lowercased().replacingOccurrences(
                    of: "_", with: ".")
                kafkaValues[property] = Entry(value: value, origin: "environment \(name)")
            } else if let key = key(name) {
                values[key] = Entry(value: value, origin: "environment \(name)")
            }
        }
    }

    static let kafkaPrefix = "TOXD_KAFKA_"

    /// The key of a `TOXD_*` variable named after it: `TOXD_HTTP_PORT` → `httpPort` (`prefix` `TOXD_`).
    package static func camelCaseKey(_ name: String, prefix: String) -> String? {
        guard name.hasPrefix(prefix) else { return nil }
        let words = name.dropFirst(prefix.count).lowercased().split(separator: "_")
        guard let first = words.first else { return nil }
        return words.dropFirst().reduce(String(first)) { $0 + $1.prefix(1).uppercased() + $1.dropFirst() }
    }

    /// Adds one value given on the command line (nil: the flag was not given).
    package mutating func add(_ key: String, _ value: String?, flag: String) {
        guard let value else { return }
        values[key] = Entry(value: value, origin: "flag \(flag)")
    }

    /// Adds `--kafka key=value` pairs.
    package mutating func addKafkaProperties(_ pairs: [String]) throws(ConfigurationError) {
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ConfigurationError("flag --kafka: '\(pair)' is not key=value")
            }
            let key = String(pair[..<equals])
            kafkaValues[key] = Entry(value: String(pair[pair.index(after: equals)...]), origin: "flag --kafka \(key)")
        }
    }

    /// The librdkafka properties, passed through unchanged.
    package var kafka: [String: String] { kafkaValues.mapValues(\.value) }

    /// Throws for the first key that is not one of `known`, listing them.
    package func rejectUnknownKeys(_ known: Set<String>) throws(ConfigurationError) {
        for (key, entry) in values.sorted(by: { $0.key < $1.key }) where !known.contains(key) {
            throw ConfigurationError(
                "\(entry.origin): unknown key '\(key)'; known keys: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The value of `key` as given, if any.
    package subscript(key: String) -> Entry? { values[key] }

    /// The value of `key`, which must not be empty when given.
    package func nonEmpty(_ key: String) throws(ConfigurationError) -> String? {
        guard let entry = values[key] else { return nil }
        guard !entry.value.isEmpty else {
            throw ConfigurationError("\(entry.origin): must not be empty")
        }
        return entry.value
    }

    /// The value of `key` as a whole number in `range`.
    package func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let entry = values[key] else { return nil }
        guard let value = Int(entry.value), range.contains(value) else {
            throw ConfigurationError(
                "\(entry.origin): '\(entry.value)' must be a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    /// The value of `key` as a number in `range`.
    package func number(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let entry = values[key] else { return nil }
        guard let value = Double(entry.value), range.contains(value) else {
            throw ConfigurationError(
                "\(entry.origin): '\(entry.value)' must be a number in \(range.lowerBound.formatted())…\(range.upperBound.formatted())"
            )
        }
        return value
    }

    /// The value of `key` as one of `Value`'s raw values.
    package func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String, of type: Value.Type
    ) throws(ConfigurationError) -> Value? where Value.RawValue == String {
        guard let entry = values[key] else { return nil }
        guard let value = Value(rawValue: entry.value) else {
            throw ConfigurationError(
                "\(entry.origin): '\(entry.value)' is not one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return value
    }
}
