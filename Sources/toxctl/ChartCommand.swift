import ArgumentParser
import Foundation
import KafkaClient
import ProtocolCatalog
import ToxOps
import ToxWatchContract
import ToxicityRules

/// `toxctl chart`: one patient's course as an SVG for the clinician who verifies ToxWatch's outputs.
struct ChartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chart",
        abstract: "Draw one patient's course and ToxWatch's outputs as a self-contained SVG (A4 landscape).",
        discussion: """
            Two sources:
              FILE (the `toxctl evaluate` input): the course in the file, and the outputs the worker would publish \
            for it (the worker's processing run in this process: grades when they change, each recommendation and \
            shortage advice, time-driven decisions due by --at).
              --brokers B --patient ID: a live patient: its course from the worker's changelog \
            (\(ToxWatchTopics.patientStateChangelog)), every output published for it on \
            \(ToxWatchTopics.toxicityGrades), \(ToxWatchTopics.anakinraRecommendations) and \
            \(ToxWatchTopics.shortageAlternatives), and the stock records of its site (\(ToxWatchTopics.inventory)).

            The chart has one time axis (hours since the infusion and UTC clock time) shared by: temperature with the \
            38.0 °C fever line; systolic blood pressure with the hypotension threshold for the patient's age (and the \
            MAP threshold for adults); oxygen support as tiers with the flow; vasopressor infusions as bars; ICE or \
            CAPD scores with the scores where the ICANS grade changes; labs and findings; CRS, ICANS and IEC-HS grades \
            as bands (incomplete data hatched as a lower bound, a period that cannot be graded cross-hatched, never \
            drawn as 0); tocilizumab, corticosteroids, anakinra and other agents as marks; each anakinra \
            recommendation with its action, dose and the reason that decided it; shortage advice and stock records; \
            a legend and the line "requires clinician verification". No script, no external font: it opens in any \
            browser, prints on A4 landscape, and reads in greyscale (shapes and patterns carry every meaning). Each \
            drawn event and output carries data-event-id / data-output-id and data-time attributes.

            The SVG holds patient data (the patient id and the course): store and share it as such.

            Exit status: 0 when the chart was written; 2 for bad usage, an invalid input file, a patient the \
            changelog does not hold, or unreachable brokers.

            Examples:
              toxctl chart --protocol childrens-national Scripts/demo-data/course.json -o course.svg
              toxctl chart --at 2026-03-04T00:00:00Z Scripts/demo-data/course.json -o day3.svg
              toxctl chart --brokers 127.0.0.1:40155 --patient DEMO-0001 -o course.svg
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "A live patient's id (with --brokers): chart what the worker holds and published for it.")
    var patient: String?

    @Option(name: .customLong("protocol"), help: "FILE form: the protocol id (default: the admission's `protocol`).")
    var protocolId: String?

    @Option(
        help: "Chart the course up to this instant (ISO-8601 with a UTC offset); default: the latest event or output.")
    var at: String?

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Where to write the SVG (default: standard output).", valueName: "file"))
    var output: String?

    @OptionGroup var catalog: ProtocolsCommand.CatalogOptions

    @Argument(help: "The course (the `toxctl evaluate` input), or - for standard input.")
    var file: String?

    func validate() throws {
        switch (file, patient) {
        case (nil, nil): throw ValidationError("give a course FILE, or --brokers B --patient ID for a live patient")
        case (.some, .some): throw ValidationError("give either a course FILE or --patient ID, not both")
        case (nil, .some(let id)):
            if id.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--patient must not be empty") }
            if protocolId != nil {
                throw ValidationError("--protocol applies to a course FILE; a live patient's protocol is the worker's")
            }
        case (.some, nil): break
        }
        if let at, EvaluateCommand.parseInstant(at) == nil {
            throw ValidationError("--at must be an ISO-8601 date-time with a UTC offset (e.g. 2026-03-03T18:00:00Z)")
        }
        if output?.isEmpty == true { throw ValidationError("-o needs a file name") }
    }

    func run() async throws {
        try await CLI.run("chart") {
            let instant = at.flatMap(EvaluateCommand.parseInstant)
            let course = try await file != nil ? courseFromFile(through: instant) : liveCourse(through: instant)
            let svg = CourseChart(course: course).render()
            guard let output, output != "-" else {
                FileHandle.standardOutput.write(Data(svg.utf8))
                return
            }
            do {
                try Data(svg.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw OpsError.usage("cannot write \(output): \(error.localizedDescription)")
            }
            CLI.out(
                "wrote \(output): \(course.events.count) events and \(course.outputs.count) outputs, through \(ISO8601Timestamp.format(course.through))"
            )
        }
    }

    /// The file form: the course and the outputs the worker would publish for it (``CourseTimeline``).
    private func courseFromFile(through instant: Date?) throws -> ChartCourse {
        let name = file == "-" ? "standard input" : file ?? "-"
        let data: Data
        do {
            data =
                try file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : Data(contentsOf: URL(fileURLWithPath: name))
        } catch {
            throw OpsError.usage("cannot read \(name): \(error.localizedDescription)")
        }
        let input: EvaluationInput
        do {
            input = try EvaluationInput.decode(data)
        } catch {
            throw OpsError.usage("invalid input (\(name)): \(error)")
        }
        let loaded: AnakinraProtocolCatalog
        do {
            loaded = try AnakinraProtocolCatalog.load(protocolsDirectory: catalog.protocolsDirectory)
        } catch {
            throw OpsError.usage("invalid protocol file: \(error)")
        }
        guard let id = protocolId ?? input.patient.protocolId else {
            throw OpsError.usage(
                "no protocol: give --protocol ID or set patient.protocol (known: \(loaded.ids.joined(separator: ", ")))"
            )
        }
        guard loaded[id] != nil else {
            let field = protocolId == nil ? "patient.protocol" : "--protocol"
            throw OpsError.usage(
                "\(field): unknown protocol \"\(id)\"; known protocols: \(loaded.ids.joined(separator: ", "))")
        }
        let end =
            instant ?? (input.timeline.map(\.occurredAt) + input.inventory.map(\.occurredAt)).max()
            ?? input.patient.occurredAt
        let values = CourseTimeline.outputs(for: input, protocolId: id, protocols: loaded.protocols, through: end)
        var patient = input.patient
        patient.protocolId = id
        return ChartCourse(
            patientId: input.patient.patientId,
            events: ([.patient(patient)] + input.events).filter { $0.occurredAt <= end },
            inventory: input.inventory.filter { $0.occurredAt <= end },
            outputs: values.compactMap(CourseOutput.decode), through: end, protocolId: id,
            origin: file == "-" ? "standard input" : URL(fileURLWithPath: name).lastPathComponent)
    }

    /// The live form: what the worker holds and published for the patient.
    private func liveCourse(through instant: Date?) async throws(OpsError) -> ChartCourse {
        let connection = try self.connection.connection()
        let logger = self.connection.logger("toxctl.chart")
        let admin = try connection.makeAdmin(logger: logger)
        let metadata = try await connection.checkReachable(admin)
        await admin.close()
        let missing = LiveCourseCollector.topics.filter { metadata.topic($0) == nil }
        if !missing.isEmpty {
            throw OpsError.usage(
                "no topic \(missing.joined(separator: ", ")) (create them with `toxctl topics create`)")
        }
        var course = try await LiveCourseCollector(reader: TopicReader(connection: connection, logger: logger))
            .collect(patientId: patient ?? "")
        if let instant {
            course = ChartCourse(
                patientId: course.patientId, events: course.events.filter { $0.occurredAt <= instant },
                inventory: course.inventory.filter { $0.occurredAt <= instant },
                outputs: course.outputs.filter { $0.assessedAt <= instant }, through: instant,
                protocolId: course.protocolId,
                origin: course.origin)
        }
        return course
    }
}
