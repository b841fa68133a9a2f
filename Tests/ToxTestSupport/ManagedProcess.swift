public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process for end-to-end tests: started with its output captured, signalled, killed, and
/// never left behind (deinit kills it).
public final class ManagedProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched through Foundation's thread-safe Process API, and the
    // captured output lives behind a Mutex.
    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let output = CapturedOutput()
    public let name: String

    /// - Parameters:
    ///   - executable: a built product, e.g. `BuildProducts.url("toxd")`.
    ///   - arguments: command-line arguments.
    ///   - environment: extra environment variables on top of the test's own.
    public init(_ name: String, executable: URL, arguments: [String], environment: [String: String] = [:]) {
        self.name = name
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Starts the process with stdout and stderr captured by one reader thread per pipe. Blocking
    /// reads, not `readabilityHandler`: corelibs Foundation's handler is a dispatch source, and
    /// closing its descriptor while the source's cancellation is pending crashed the test process in
    /// libdispatch's event loop (`_dispatch_event_loop_drain`) once many processes had come and gone.
    public func start() throws {
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        // Foundation closed the parent's write ends in run(): each read ends at the child's exit.
        for (pipe, isStdout) in [(stdoutPipe, true), (stderrPipe, false)] {
            let output = output
            let reader = Thread {
                let handle = pipe.fileHandleForReading
                // A read can end inside a character ("°" is two bytes): its first bytes wait for
                // the rest, or the text would hold two replacement characters instead.
                var partial: [UInt8] = []
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    let bytes = partial + data
                    let complete = CapturedOutput.completeCharacters(bytes)
                    partial = Array(bytes[complete...])
                    let text = String(decoding: bytes[..<complete], as: UTF8.self)
                    output.text.withLock { if isStdout { $0.stdout += text } else { $0.stderr += text } }
                }
                let rest = String(decoding: partial, as: UTF8.self)
                output.text.withLock { if isStdout { $0.stdout += rest } else { $0.stderr += rest } }
                output.readersAtEnd.withLock { $0 += 1 }
            }
            reader.name = "\(name) \(isStdout ? "stdout" : "stderr")"
            reader.start()
        }
    }

    /// After exit: waits (at most 5 s) until both readers have read to the end of their pipes.
    private func drain() {
        let deadline = ContinuousClock.now + .seconds(5)
        while output.readersAtEnd.withLock({ $0 }) < 2, ContinuousClock.now < deadline {
            usleep(10_000)
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var standardOutput: String { output.text.withLock { $0.stdout } }
    public var standardError: String { output.text.withLock { $0.stderr } }

    /// Waits until a line of stdout starts with `prefix` and returns the rest of that line.
    public func waitForLine(startingWith prefix: String, timeout: Duration) async throws -> String {
        try await wait(for: "\(name) prints '\(prefix)'", timeout: timeout) {
            if let line = standardOutput.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count))
            }
            try failIfExited("before printing '\(prefix)'")
            return nil
        }
    }

    /// Waits until `condition` holds for stderr (the log), e.g. a worker reporting its partitions.
    public func waitForLog(timeout: Duration, _ condition: (String) -> Bool) async throws {
        try await wait(for: "\(name) logs the expected line", timeout: timeout) {
            if condition(standardError) { return () }
            try failIfExited("")
            return nil
        }
    }

    /// ``eventually(_:timeout:every:_:)`` whose timeout error carries the process's log.
    private func wait<Value>(for what: String, timeout: Duration, _ probe: () async throws -> Value?) async throws
        -> Value
    {
        do {
            return try await eventually(what, timeout: timeout, probe)
        } catch let timeout as ConditionTimeout {
            throw ProcessError("\(timeout); stderr:\n\(standardError.suffix(2000))")
        }
    }

    private func failIfExited(_ context: String) throws {
        if !process.isRunning {
            throw ProcessError(
                "\(name) exited with status \(process.terminationStatus) \(context); stderr:\n\(standardError.suffix(2000))"
            )
        }
    }

    /// Sends a signal (SIGTERM for a graceful stop, SIGKILL for a crash).
    public func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit and returns its status, or throws after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        try await wait(for: "\(name) exits", timeout: timeout) { process.isRunning ? nil : () }
        drain()
        return process.terminationStatus
    }
}

/// What a child process printed so far, shared with the pipes' reader threads.
private final class CapturedOutput: Sendable {
    let text = Mutex((stdout: "", stderr: ""))
    /// How many of the two reader threads have reached the end of their pipe.
    let readersAtEnd = Mutex(0)

    /// How many of `bytes` end on a character boundary: all of them, unless they end with the
    /// first bytes of a UTF-8 sequence whose last bytes are still to come.
    static func completeCharacters(_ bytes: [UInt8]) -> Int {
        for index in bytes.indices.reversed().prefix(4) {
            let byte = bytes[index]
            if byte & 0xC0 == 0x80 { continue }  // a continuation byte: look further back
            guard byte >= 0xC0 else { return bytes.count }  // ASCII
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            return bytes.count - index < length ? index : bytes.count
        }
        return bytes.count
    }
}

/// A failure of a child process, with its output for the test report.
public struct ProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The directory of the built executables (`toxd`, `toxctl`) and test resources next to them.
public enum BuildProducts {
    /// `TOXWATCH_BIN_DIR` if set, else the build directory holding the test executable (`.build/debug`).
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["TOXWATCH_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        // On Linux the bundle URL is the directory of the test executable; on macOS it is the
        // `.xctest` bundle inside that directory.
        let bundle = Bundle.main.bundleURL
        return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
    }

    /// A built executable; throws with a hint when it has not been built.
    public static func url(_ executable: String) throws -> URL {
        let url = directory.appendingPathComponent(executable)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ProcessError("\(url.path) is missing: run `swift build` before `swift test` (Scripts/test does)")
        }
        return url
    }

    /// The repository root (for scripts and fixtures), from this file's location.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// Runs a short-lived command (a Python driver, `toxctl …`) and returns its status and output.
public func runCommand(
    _ executable: String, _ arguments: [String], timeout: Duration = .seconds(120)
) async throws -> (status: Int32, stdout: String, stderr: String) {
    let process = ManagedProcess(
        URL(fileURLWithPath: executable).lastPathComponent,
        executable: executable.hasPrefix("/") ? URL(fileURLWithPath: executable) : URL(fileURLWithPath: "/usr/bin/env"),
        arguments: executable.hasPrefix("/") ? arguments : [executable] + arguments)
    try process.start()
    let status = try await process.waitForExit(timeout: timeout)
    return (status, process.standardOutput, process.standardError)
}
