import Foundation
import Testing
import ToxOps

@Suite("Terminal output")
struct TerminalTests {
    @Test(
        "colour only on a terminal; NO_COLOR always wins; FORCE_COLOR for pipes; TERM=dumb",
        arguments: [
            (true, [String: String](), true),
            (false, [:], false),
            (true, ["NO_COLOR": "1"], false),
            (true, ["NO_COLOR": ""], true),
            (false, ["FORCE_COLOR": "1"], true),
            (false, ["FORCE_COLOR": "0"], false),
            (true, ["FORCE_COLOR": "1", "NO_COLOR": "1"], false),
            (true, ["TERM": "dumb"], false),
        ])
    func colourDecision(_ isTerminal: Bool, _ environment: [String: String], _ expected: Bool) {
        #expect(Palette.colorEnabled(isTerminal: isTerminal, environment: environment) == expected)
    }

    @Test("tables align on the visible text, with or without colour")
    func alignment() {
        var table = TextTable(columns: [.init("NAME"), .init("COUNT", .right), .init("STATUS")])
        table.append(["alpha", "7", .init("OK", style: .green)])
        table.append(["b", "1234", .init("STOP", style: .red)])
        table.appendSeparator()
        table.append(["total", "1241", ""])
        let plain = table.render()
        #expect(
            plain == """
                NAME   COUNT  STATUS
                alpha      7  OK
                b       1234  STOP
                --------------------
                total   1241
                """)
        let coloured = table.render(palette: Palette(isEnabled: true))
        #expect(coloured.contains("\u{1B}[31mSTOP\u{1B}[0m"))
        let stripped = coloured.replacingOccurrences(of: "\u{1B}[", with: "").split(separator: "\n").count
        #expect(stripped == 5)
        #expect(!plain.contains("\u{1B}"))
    }
}
