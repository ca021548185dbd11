import Foundation
/// Just enough XML reading for libvirt's `<cpu>` element: start tags, attributes, text.
struct XMLTag {
    var name: String
    var attributes: [String: String]
    var selfClosing: Bool
    /// The text up to the matching end tag (no nested elements), if any.
    var text: String?

    /// Every start tag named `name` in `xml`, in order.
    static func all(_ name: String, in xml: String) -> [XMLTag] {
        var result: [XMLTag] = []
        var rest = xml[...]
        while let open = rest.range(of: "<" + name) {
            let after = rest[open.upperBound...]
            guard let next = after.first, next == ">" || next == "/" || next.isWhitespace,
                  let close = after.firstIndex(of: ">") else {
                rest = after
                continue
            }
            let inside = after[..<close]
            let selfClosing = inside.hasSuffix("/")
            var tag = XMLTag(name: name, attributes: attributes(String(selfClosing ? inside.dropLast() : inside)),
                             selfClosing: selfClosing, text: nil)
            let body = after[after.index(after: close)...]
            if !selfClosing, let end = body.range(of: "</" + name + ">"), !body[..<end.lowerBound].contains("<") {
                tag.text = String(body[..<end.lowerBound])
            }
            result.append(tag)
            rest = body
        }
        return result
    }

    /// The first start tag named `name`.
    static func first(_ name: String, in xml: String) -> XMLTag? { all(name, in: xml).first }

    /// `a='x' b="y"` → ["a": "x", "b": "y"].
    static func attributes(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var chars = text[...]
        while let eq = chars.firstIndex(of: "=") {
            let key = chars[..<eq].trimmingCharacters(in: .whitespaces)
            var value = chars[chars.index(after: eq)...].drop { $0.isWhitespace }
            guard let quote = value.first, quote == "'" || quote == "\"" else { break }
            value = value.dropFirst()
            guard let end = value.firstIndex(of: quote) else { break }
            result[key] = String(value[..<end])
            chars = value[value.index(after: end)...]
        }
        return result
    }
}
