public import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML element read with Foundation's `XMLParser`: for tests that check what an SVG draws.
public struct XMLElementNode: Sendable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLElementNode]
    /// The element's own character data (not its children's).
    public var text: String

    /// This element and every descendant, depth first.
    public var all: [XMLElementNode] { [self] + children.flatMap(\.all) }

    public subscript(_ attribute: String) -> String? { attributes[attribute] }

    /// The text of this element and its descendants, joined.
    public var allText: String { all.map(\.text).joined(separator: " ") }

    /// Parses a whole document; throws with the parser's error when it is not well-formed XML.
    public static func parse(_ data: Data) throws -> XMLElementNode {
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw ProcessError("not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root element")")
        }
        return root
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLElementNode] = []
    var root: XMLElementNode?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        stack.append(XMLElementNode(name: elementName, attributes: attributes, children: [], text: ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard var element = stack.popLast() else { return }
        element.text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }
}
