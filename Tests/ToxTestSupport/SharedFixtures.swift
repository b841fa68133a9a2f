public import Foundation

/// Fixture files more than one test target reads, kept once (`Tests/ToxTestSupport/Fixtures/`):
/// HL7 v2 messages (`hl7/`), FHIR R4 resources and bundles (`fhir/`) and `toxctl evaluate`
/// inputs with their expected outputs (`evaluate/`).
public enum SharedFixtures {
    /// The directories kept here.
    public static let directories: Set<String> = ["hl7", "fhir", "evaluate"]

    /// Whether `path` (relative, e.g. `hl7/adt-a01.hl7`) lies in one of ``directories``.
    public static func holds(_ path: String) -> Bool {
        path.split(separator: "/").first.map { directories.contains(String($0)) } ?? false
    }

    public static var root: URL {
        get throws {
            guard let resources = Bundle.module.resourceURL else { throw FixtureMissing(path: "Fixtures") }
            return resources.appendingPathComponent("Fixtures")
        }
    }

    public static func url(_ path: String) throws -> URL {
        let url = try root.appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw FixtureMissing(path: path) }
        return url
    }

    public static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    public static func bytes(_ path: String) throws -> [UInt8] { Array(try data(path)) }

    /// A fixture that is not where the test expects it.
    public struct FixtureMissing: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "no shared fixture \(path)" }
    }
}
