/// A failure of an operations command, sorted by the exit status it maps to.
///
/// `toxctl` exits 0 when all is well, 1 when the command ran but found problems (limits exceeded,
/// topics missing, records not delivered), and 2 for bad usage or brokers it cannot talk to.
package struct OpsError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// Bad arguments or input: exit status 2.
        case usage
        /// The brokers could not be reached or answered with an error: exit status 2.
        case connection
        /// The command ran and found problems: exit status 1.
        case problems
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package static func usage(_ message: String) -> OpsError { OpsError(.usage, message) }
    package static func connection(_ message: String) -> OpsError { OpsError(.connection, message) }
    package static func problems(_ message: String) -> OpsError { OpsError(.problems, message) }

    /// The process exit status for this failure.
    package var exitStatus: Int32 {
        switch kind {
        case .usage, .connection: 2
        case .problems: 1
        }
    }

    package var description: String { message }
}
