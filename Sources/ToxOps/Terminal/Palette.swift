/// ANSI styles for terminal output, or none at all.
///
/// Colour is used only when standard output is a terminal, `NO_COLOR` is unset or empty
/// (https://no-color.org) and `TERM` is not `dumb`; `FORCE_COLOR` (non-empty, not `0`) turns it on
/// for a pipe, but `NO_COLOR` always wins.
package struct Palette: Sendable, Hashable {
    package enum Style: Sendable, Hashable {
        case bold, dim, red, yellow, green, cyan

        var code: String {
            switch self {
            case .bold: "1"
            case .dim: "2"
            case .red: "31"
            case .yellow: "33"
            case .green: "32"
            case .cyan: "36"
            }
        }
    }

    package var isEnabled: Bool

    package init(isEnabled: Bool) {
        self.isEnabled = isEnabled
    }

    /// No styling at all.
    package static let plain = Palette(isEnabled: false)

    /// Whether to colour a stream that is (or is not) a terminal, given the environment.
    package static func colorEnabled(isTerminal: Bool, environment: [String: String]) -> Bool {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if let force = environment["FORCE_COLOR"], !force.isEmpty, force != "0" { return true }
        guard isTerminal else { return false }
        return environment["TERM"] != "dumb"
    }

    /// `text` in `style`, or `text` unchanged when colour is off.
    package func apply(_ style: Style?, _ text: String) -> String {
        guard isEnabled, let style, !text.isEmpty else { return text }
        return "\u{1B}[\(style.code)m\(text)\u{1B}[0m"
    }
}
