import ArgumentParser
import Foundation
import KafkaClient
import ToxOps
import ToxWatchContract

/// `toxctl shortage --site S`: the site's next-24-hour need of short drugs against its inventory.
struct ShortageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shortage",
        abstract: "Total a site's next-24-hour need of short drugs against its latest inventory.",
        discussion: """
            Reads \(ToxWatchTopics.shortageAlternatives) (toxd's shortage advice: one record per patient and short \
            drug, with the patient's need for the next 24 hours) and \(ToxWatchTopics.inventory) (key site/drug). \
            For site S it keeps each patient's latest advice per drug (a later record without need means the \
            patient no longer needs it; advice caused by a contraindication or TNF blockade draws on no stock) \
            and the latest inventory record per drug, then prints per short drug: patients, doses, mg, stock \
            units needed (100 mg syringes for anakinra, whole syringes per dose; the inventory's unitMg \
            otherwise), units on hand and the shortfall. Drugs the inventory lists as short at the site appear \
            even without patients. Every figure is decision support for a pharmacist to verify.

            Exit status: 0 when stock covers the need; 1 when some drug has a shortfall; 2 for bad usage or \
            unreachable brokers.

            Examples:
              toxctl shortage --brokers kafka-1:9092 --site cnh
              toxctl shortage --brokers kafka-1:9092 --site cnh --json \\
                | jq '.drugs[] | select(.shortfall > 0)'
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The site, as in the patients' admission events and the inventory keys (site/drug).")
    var site: String

    @Flag(help: "Print the totals as one JSON document.")
    var json = false

    func validate() throws {
        if site.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--site must not be empty") }
    }

    func run() async throws {
        try await CLI.run("shortage") {
            let connection = try self.connection.connection()
            let logger = self.connection.logger("toxctl.shortage")
            let admin = try connection.makeAdmin(logger: logger)
            let metadata = try await connection.checkReachable(admin)
            await admin.close()
            let missing = [ToxWatchTopics.shortageAlternatives, ToxWatchTopics.inventory].filter {
                metadata.topic($0) == nil
            }
            if !missing.isEmpty {
                throw OpsError.usage(
                    "no topic \(missing.joined(separator: ", ")) (create them with `toxctl topics create`)")
            }
            let report = try await ShortageCollector(reader: TopicReader(connection: connection, logger: logger))
                .collect(site: site)
            if json {
                do {
                    CLI.out(try report.renderJSON())
                } catch {
                    throw OpsError.problems("cannot encode the totals: \(error)")
                }
            } else {
                CLI.out(report.render(palette: CLI.stdoutPalette))
            }
            if report.hasShortfall {
                let drugs = report.lines.filter { ($0.shortfall ?? 0) > 0 }.map {
                    "\($0.drug) (\($0.shortfall ?? 0) units)"
                }
                throw OpsError.problems("shortfall at \(site): \(drugs.joined(separator: ", "))")
            }
        }
    }
}
