import Foundation

/// Any JSON value, for documents whose shape is open (FHIR resources).
enum JSONValue: Decodable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON value with its path in the document, with typed accessors that throw
/// ``EventDecodingError`` naming the path (`entry[2].resource.valueQuantity.value`).
struct JSONNode {
    let value: JSONValue
    let path: String

    func child(_ key: String) -> JSONNode? {
        guard case .object(let object) = value, let child = object[key], child != .null else { return nil }
        return JSONNode(value: child, path: path.isEmpty ? key : path + "." + key)
    }

    func has(_ key: String) -> Bool { child(key) != nil }

    /// The elements of an array field (an absent field is empty; a single object is taken as one element).
    func array(_ key: String) throws(EventDecodingError) -> [JSONNode] {
        guard let node = child(key) else { return [] }
        guard case .array(let elements) = node.value else {
            throw .wrongType(path: node.path, expected: "an array", found: node.value.typeName)
        }
        return elements.enumerated().map { JSONNode(value: $1, path: node.path + "[\($0)]") }
    }

    func string(_ key: String) throws(EventDecodingError) -> String? {
        guard let node = child(key) else { return nil }
        guard case .string(let text) = node.value else {
            throw .wrongType(path: node.path, expected: "a string", found: node.value.typeName)
        }
        // A blank string is as good as an absent one (FHIR forbids both).
        return text.allSatisfy(\.isWhitespace) ? nil : text
    }

    /// The first of `keys` holding a string.
    func firstString(_ keys: String...) throws(EventDecodingError) -> String? {
        for key in keys {
            if let text = try string(key) { return text }
        }
        return nil
    }

    func number(_ key: String) throws(EventDecodingError) -> Double? {
        guard let node = child(key) else { return nil }
        guard case .number(let number) = node.value else {
            throw .wrongType(path: node.path, expected: "a number", found: node.value.typeName)
        }
        return number
    }

    func bool(_ key: String) throws(EventDecodingError) -> Bool? {
        guard let node = child(key) else { return nil }
        guard case .bool(let flag) = node.value else {
            throw .wrongType(path: node.path, expected: "true or false", found: node.value.typeName)
        }
        return flag
    }

    func object(_ key: String) throws(EventDecodingError) -> JSONNode? {
        guard let node = child(key) else { return nil }
        guard case .object = node.value else {
            throw .wrongType(path: node.path, expected: "an object", found: node.value.typeName)
        }
        return node
    }

    func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
}
