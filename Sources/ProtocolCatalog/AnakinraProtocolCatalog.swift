package import Foundation
package import ToxicityRules

// Loads the anakinra protocols: the files shipped in this module's `Protocols` resource
// directory, plus an optional site directory of extra JSON files that add protocols or
// replace shipped ones by id, without recompiling. Every file is decoded strictly and
// validated (``AnakinraProtocol``); the first bad file stops the load with its name and field.

/// A protocol file that cannot be used: unreadable, not JSON, or invalid.
package struct ProtocolLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file: its name for shipped files, its path for site files.
    package var file: String
    /// The field's path (`dose.perDayMgPerKg`), when the problem is inside the document.
    package var field: String?
    package var message: String

    package init(file: String, field: String? = nil, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    /// `chop.json: dose.perDayMgPerKg: -2 must be > 0`.
    package var description: String {
        if let field, !field.isEmpty { return "\(file): \(field): \(message)" }
        return "\(file): \(message)"
    }
}

/// The protocols available to the engine, by id.
package struct AnakinraProtocolCatalog: Sendable {
    /// Where a protocol was loaded from.
    package enum Origin: Sendable, Hashable, CustomStringConvertible {
        /// Shipped with ToxWatch (file name).
        case bundled(file: String)
        /// From the site directory (path); `replacesBundled` when it overrides a shipped id.
        case site(path: String, replacesBundled: Bool)

        package var description: String {
            switch self {
            case .bundled(let file): "bundled \(file)"
            case .site(let path, let replaces): replaces ? "site \(path) (replaces bundled)" : "site \(path)"
            }
        }
    }

    /// A protocol and where it came from.
    package struct Entry: Sendable, Hashable {
        package var anakinraProtocol: AnakinraProtocol
        package var origin: Origin
    }

    /// Environment variable naming the site directory (`--protocols-dir` wins over it).
    package static let siteDirectoryEnvironmentVariable = "TOXWATCH_PROTOCOLS_DIR"

    /// Entries in display order: institutional protocols, then published regimens, each by id.
    package let entries: [Entry]

    /// Builds a catalog from entries (ids must be unique; later entries replace earlier ones).
    package init(entries: [Entry]) {
        var byId: [String: Entry] = [:]
        for entry in entries { byId[entry.anakinraProtocol.id] = entry }
        self.entries = byId.values.sorted { a, b in
            let ka = a.anakinraProtocol.kind == .institutional ? 0 : 1
            let kb = b.anakinraProtocol.kind == .institutional ? 0 : 1
            return ka != kb ? ka < kb : a.anakinraProtocol.id < b.anakinraProtocol.id
        }
    }

    /// The protocols in display order.
    package var protocols: [AnakinraProtocol] { entries.map(\.anakinraProtocol) }

    /// The known ids in display order.
    package var ids: [String] { entries.map(\.anakinraProtocol.id) }

    /// The protocol with `id`, if any.
    package subscript(id: String) -> AnakinraProtocol? { entry(id: id)?.anakinraProtocol }

    /// The entry with `id`, if any.
    package func entry(id: String) -> Entry? { entries.first { $0.anakinraProtocol.id == id } }

    // MARK: Loading

    /// Loads the shipped protocols and, if given, the site directory's.
    ///
    /// - Parameter siteDirectory: A directory of `*.json` protocol files (other files and
    ///   hidden files are ignored). A site file with a shipped id replaces it; a new id adds one.
    /// - Throws: ``ProtocolLoadError`` naming the first file that cannot be read or validated,
    ///   a missing site directory, or two site files with the same id.
    package static func load(siteDirectory: URL? = nil) throws(ProtocolLoadError) -> AnakinraProtocolCatalog {
        var entries: [String: Entry] = [:]
        for file in try bundledProtocolFiles() {
            let p = try decodeFile(at: file, displayName: file.lastPathComponent)
            if let existing = entries[p.id] {
                throw ProtocolLoadError(
                    file: file.lastPathComponent,
                    field: "id",
                    message: "\"\(p.id)\" is also used by \(existing.origin)"
                )
            }
            entries[p.id] = Entry(anakinraProtocol: p, origin: .bundled(file: file.lastPathComponent))
        }
        if let siteDirectory {
            var siteIds: [String: String] = [:]
            for file in try jsonFiles(in: siteDirectory, displayName: siteDirectory.path) {
                let p = try decodeFile(at: file, displayName: file.path)
                if let other = siteIds[p.id] {
                    throw ProtocolLoadError(
                        file: file.path,
                        field: "id",
                        message: "\"\(p.id)\" is also used by \(other)"
                    )
                }
                siteIds[p.id] = file.path
                let replaces = entries[p.id] != nil
                entries[p.id] = Entry(anakinraProtocol: p, origin: .site(path: file.path, replacesBundled: replaces))
            }
        }
        return AnakinraProtocolCatalog(entries: Array(entries.values))
    }

    /// Loads with the site directory from `--protocols-dir` (if given) or else the
    /// `TOXWATCH_PROTOCOLS_DIR` environment variable (if set and not empty).
    package static func load(
        protocolsDirectory: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ProtocolLoadError) -> AnakinraProtocolCatalog {
        let path = protocolsDirectory ?? environment[siteDirectoryEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        return try load(siteDirectory: path.map { URL(fileURLWithPath: $0, isDirectory: true) })
    }

    /// The shipped protocol files, sorted by name.
    package static func bundledProtocolFiles() throws(ProtocolLoadError) -> [URL] {
        guard let directory = Bundle.module.url(forResource: "Protocols", withExtension: nil) else {
            throw ProtocolLoadError(
                file: "Protocols",
                message: "the shipped protocol directory is missing from the ProtocolCatalog bundle"
            )
        }
        return try jsonFiles(in: directory, displayName: "Protocols")
    }

    /// Decodes and validates one protocol document.
    /// - Parameter file: The name used in errors (`chop.json`).
    /// - Throws: ``ProtocolLoadError`` with the field's path.
    package static func decode(_ data: Data, file: String) throws(ProtocolLoadError) -> AnakinraProtocol {
        do {
            return try JSONDecoder().decode(ProtocolFile<AnakinraProtocol>.self, from: data).value
        } catch let error as ProtocolValidationError {
            throw ProtocolLoadError(file: file, field: error.field, message: error.message)
        } catch let error as DecodingError {
            let converted = ProtocolValidationError(error)
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw ProtocolLoadError(file: file, message: "is not valid JSON (\(Self.underlyingReason(context)))")
            }
            throw ProtocolLoadError(file: file, field: converted.field, message: converted.message)
        } catch {
            throw ProtocolLoadError(file: file, message: String(describing: error))
        }
    }

    /// Encodes a protocol in the file format (pretty-printed, keys sorted).
    package static func encode(_ anakinraProtocol: AnakinraProtocol) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(ProtocolFile(anakinraProtocol))
    }

    /// Encodes several protocols as a JSON array.
    package static func encode(_ protocols: [AnakinraProtocol]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(protocols.map { ProtocolFile($0) })
    }

    // MARK: Private

    private static func decodeFile(at url: URL, displayName: String) throws(ProtocolLoadError) -> AnakinraProtocol {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ProtocolLoadError(file: displayName, message: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, file: displayName)
    }

    private static func jsonFiles(in directory: URL, displayName: String) throws(ProtocolLoadError) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw ProtocolLoadError(file: displayName, message: "protocol directory not found")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ProtocolLoadError(
                file: displayName,
                message: "cannot list the directory (\(error.localizedDescription))"
            )
        }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map {
            directory.appendingPathComponent($0, isDirectory: false)
        }
    }

    private static func underlyingReason(_ context: DecodingError.Context) -> String {
        if let underlying = context.underlyingError { return String(describing: underlying) }
        return context.debugDescription
    }
}
