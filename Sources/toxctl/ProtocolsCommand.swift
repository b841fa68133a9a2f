import ArgumentParser
import Foundation
import ProtocolCatalog
import ToxicityRules

/// `toxctl protocols`: list and show the anakinra protocols the engine knows.
struct ProtocolsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocols",
        abstract: "List and show the anakinra protocols (shipped, plus a site directory's own files).",
        discussion: """
            Protocols are data: one JSON file per protocol. A site adds or replaces protocols by id \
            with a directory of extra JSON files (--protocols-dir, or the TOXWATCH_PROTOCOLS_DIR \
            environment variable); a malformed file is rejected with its name and field.

            Examples:
              toxctl protocols list
              toxctl protocols show chop
              toxctl protocols show st-jude --json
              toxctl protocols list --protocols-dir /etc/toxwatch/protocols
            """,
        subcommands: [List.self, Show.self]
    )

    /// Options shared by the subcommands.
    struct CatalogOptions: ParsableArguments {
        @Option(
            name: .customLong("protocols-dir"),
            help: ArgumentHelp(
                "A directory of extra protocol JSON files that add or replace protocols by id.",
                discussion: "Defaults to $TOXWATCH_PROTOCOLS_DIR when set.",
                valueName: "dir"
            )
        )
        var protocolsDirectory: String?

        /// Loads the catalog, or prints the load error and exits with status 2.
        func loadCatalog() throws -> AnakinraProtocolCatalog {
            do {
                return try AnakinraProtocolCatalog.load(protocolsDirectory: protocolsDirectory)
            } catch {
                printError("invalid protocol file: \(error)")
                throw ExitCode(2)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Table of protocols: id, name, indications, dose, route, caps.",
            discussion: """
                Examples:
                  toxctl protocols list
                  toxctl protocols list --json
                """
        )

        @OptionGroup var catalog: CatalogOptions

        @Flag(help: "Print every protocol as a JSON array (the file format).")
        var json = false

        func run() throws {
            let loaded = try catalog.loadCatalog()
            if json {
                try printJSON(AnakinraProtocolCatalog.encode(loaded.protocols))
            } else {
                print(ProtocolText.table(loaded.entries))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every field of one protocol, with its status (V/C/U/IMPL) and source.",
            discussion: """
                An unknown id exits with status 2 and lists the known ids.

                Examples:
                  toxctl protocols show childrens-national
                  toxctl protocols show musc --json
                """
        )

        @OptionGroup var catalog: CatalogOptions

        @Argument(help: "The protocol id (see `toxctl protocols list`).")
        var id: String

        @Flag(help: "Print the protocol as JSON (the file format).")
        var json = false

        func run() throws {
            let loaded = try catalog.loadCatalog()
            guard let entry = loaded.entry(id: id) else {
                printError("unknown protocol \"\(id)\"; known protocols: \(loaded.ids.joined(separator: ", "))")
                throw ExitCode(2)
            }
            if json {
                try printJSON(AnakinraProtocolCatalog.encode(entry.anakinraProtocol))
            } else {
                print(ProtocolText.details(entry))
            }
        }
    }
}

private func printJSON(_ data: Data) {
    print(String(decoding: data, as: UTF8.self))
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data(("toxctl: " + message + "\n").utf8))
}
