import QMP

/// A strict XML reader for the files libvirt writes: one pass over the bytes, every size bounded.
///
/// It reads elements, attributes, text, comments, the XML declaration and the five predefined
/// entities plus character references; that is all libvirt's `virBuffer` output uses. A
/// `DOCTYPE` (and so every user-defined entity: no "billion laughs", no external entities),
/// `CDATA`, invalid UTF-8, NUL bytes, mismatched or unclosed tags and content after the root
/// element are refused with the line, the reason and a short excerpt of the input.
public struct BoundedXML: Sendable {
    /// `s` as XML text or attribute value: the five markup characters and the whitespace that
    /// attribute normalization would change written as references (what the reader decodes back).
    public static func escaped(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "'": out += "&apos;"
            case "\"": out += "&quot;"
            case "\n", "\r", "\t": out += "&#\(c.value);"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// One element: its name, attributes in document order, child elements and direct text.
    public struct Element: Sendable, Equatable {
        /// The tag name.
        public var name: String
        /// The attributes, in document order.
        public var attributes: [(name: String, value: String)]
        /// Child elements, in document order.
        public var children: [Element] = []
        /// The element's own text (entities decoded), children's text excluded.
        public var text: String = ""
        /// The line of the start tag (1-based).
        public var line: Int

        /// The value of attribute `name`, if present.
        public subscript(attribute: String) -> String? { attributes.first { $0.name == attribute }?.value }

        /// The child elements named `name`.
        public func children(_ name: String) -> [Element] { children.filter { $0.name == name } }

        /// The first child element named `name`.
        public func child(_ name: String) -> Element? { children.first { $0.name == name } }

        /// Equal when names, attributes, children and text are equal.
        public static func == (a: Element, b: Element) -> Bool {
            a.name == b.name && a.text == b.text && a.children == b.children
                && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
        }
    }

    /// The bounds the reader enforces.
    public struct Limits: Sendable {
        /// Largest input, bytes (a libvirt capabilities cache is about 200 KB).
        public var maxBytes = 32 << 20
        /// Deepest nesting of elements.
        public var maxDepth = 32
        /// Most elements in the document.
        public var maxElements = 1_000_000
        /// Most attributes on one element.
        public var maxAttributes = 64
        /// Longest tag or attribute name, bytes.
        public var maxNameLength = 256
        /// Longest attribute value or text of one element, bytes.
        public var maxValueLength = 1 << 20
        /// The default bounds.
        public init() {}
    }

    /// Why a document was refused.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// The line (1-based) where it was found.
        public var line: Int
        /// Up to 40 characters of the input there, escaped as ``InputExcerpt`` does.
        public var excerpt: String
        /// `line N: message (at "excerpt")`.
        public var description: String {
            excerpt.isEmpty ? "line \(line): \(message)" : "line \(line): \(message) (at \"\(excerpt)\")"
        }
    }

    /// The bounds in force.
    public var limits: Limits

    /// Creates a reader.
    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Parses a whole document and returns its root element.
    public func parse(_ bytes: [UInt8]) throws(Error) -> Element {
        var parser = Parser(bytes: bytes, limits: limits)
        return try parser.document()
    }
}

private struct Parser {
    let bytes: [UInt8]
    let limits: BoundedXML.Limits
    var i = 0
    var elements = 0
    var line = 1, counted = 0

    init(bytes: [UInt8], limits: BoundedXML.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    func fail(_ message: String, at position: Int? = nil) -> BoundedXML.Error {
        let at = min(position ?? i, bytes.count)
        var line = 1
        for b in bytes[..<at] where b == 0x0A { line += 1 }
        var start = max(0, at - 10)
        while start < at, bytes[start] & 0xC0 == 0x80 { start += 1 }  // not inside a UTF-8 sequence
        let excerpt = InputExcerpt.of(bytes: bytes[start..<min(bytes.count, at + 30)], limit: 40)
        return BoundedXML.Error(message: message, line: line, excerpt: excerpt)
    }

    /// A name as messages quote it.
    func short(_ name: String) -> String { InputExcerpt.of(name, limit: 40) }

    /// Whether the input at the cursor starts with `s` (ASCII; no allocation).
    func peek(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        let p = s.utf8Start
        for k in 0..<n where bytes[i + k] != p[k] { return false }
        return true
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
    }

    mutating func document() throws(BoundedXML.Error) -> BoundedXML.Element {
        guard bytes.count <= limits.maxBytes else {
            throw fail("\(bytes.count) bytes: larger than \(limits.maxBytes), not a libvirt file", at: 0)
        }
        if let nul = bytes.firstIndex(of: 0) { throw fail("a NUL byte: binary data, not XML", at: nul) }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw fail("not UTF-8 text", at: 0) }
        if peek("\u{FEFF}") { i += 3 }
        try misc()
        guard i < bytes.count else { throw fail(bytes.isEmpty ? "empty file" : "no root element") }
        guard bytes[i] == UInt8(ascii: "<") else { throw fail("text before the root element") }
        let root = try element()
        try misc()
        guard i == bytes.count else { throw fail("content after the root element </\(short(root.name))>") }
        return root
    }

    /// Whitespace, comments and processing instructions (outside the root element).
    mutating func misc() throws(BoundedXML.Error) {
        while true {
            skipSpace()
            if peek("<!--") { try comment() } else if peek("<?") { try instruction() } else if peek("<!") {
                throw fail(peek("<!DOCTYPE") ? "a DOCTYPE is not accepted (libvirt writes none; its entities could expand without bound)"
                                              : "markup declaration not accepted")
            } else { return }
        }
    }

    mutating func comment() throws(BoundedXML.Error) {
        let start = i
        i += 4
        while i + 2 < bytes.count, !(bytes[i] == 0x2D && bytes[i + 1] == 0x2D && bytes[i + 2] == 0x3E) { i += 1 }
        guard i + 2 < bytes.count else { throw fail("truncated: a comment is not closed", at: start) }
        i += 3
    }

    mutating func instruction() throws(BoundedXML.Error) {
        let start = i
        i += 2
        while i + 1 < bytes.count, !(bytes[i] == 0x3F && bytes[i + 1] == 0x3E) { i += 1 }
        guard i + 1 < bytes.count else { throw fail("truncated: a processing instruction is not closed", at: start) }
        i += 2
    }

    static func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), UInt8(ascii: ":"):
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return !first
        default: return false
        }
    }

    mutating func name() throws(BoundedXML.Error) -> String {
        let start = i
        guard i < bytes.count else { throw fail("truncated inside a tag") }
        guard Self.isNameByte(bytes[i], first: true) else { throw fail("expected a name") }
        while i < bytes.count, Self.isNameByte(bytes[i], first: false) {
            i += 1
            guard i - start <= limits.maxNameLength else { throw fail("a name longer than \(limits.maxNameLength) bytes", at: start) }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    /// One element and everything inside it; iterative, so nesting costs no stack.
    mutating func element() throws(BoundedXML.Error) -> BoundedXML.Element {
        var stack: [(element: BoundedXML.Element, text: [UInt8])] = []
        while true {
            // At a '<' that starts a start tag.
            let start = i
            i += 1
            let tagName = try name()
            elements += 1
            guard elements <= limits.maxElements else { throw fail("more than \(limits.maxElements) elements", at: start) }
            guard stack.count < limits.maxDepth else { throw fail("elements nested deeper than \(limits.maxDepth)", at: start) }
            var element = BoundedXML.Element(name: tagName, attributes: [], line: lineOf(start))
            var selfClosing = false
            while true {
                let before = i
                skipSpace()
                guard i < bytes.count else { throw fail("truncated inside <\(short(tagName))>", at: start) }
                if bytes[i] == UInt8(ascii: ">") { i += 1; break }
                if bytes[i] == UInt8(ascii: "/") {
                    guard i + 1 < bytes.count else { throw fail("truncated inside <\(short(tagName))>", at: start) }
                    guard bytes[i + 1] == UInt8(ascii: ">") else { throw fail("expected '>' after '/' in <\(short(tagName))>") }
                    i += 2
                    selfClosing = true
                    break
                }
                guard i > before else { throw fail("expected whitespace, '>' or '/>' in <\(short(tagName))>") }
                let attrName = try name()
                guard element[attrName] == nil else { throw fail("attribute \(short(attrName)) given twice") }
                guard element.attributes.count < limits.maxAttributes else {
                    throw fail("more than \(limits.maxAttributes) attributes on <\(short(tagName))>")
                }
                skipSpace()
                guard i < bytes.count else { throw fail("truncated inside <\(short(tagName))>", at: start) }
                guard bytes[i] == UInt8(ascii: "=") else { throw fail("expected '=' after \(short(attrName))") }
                i += 1
                skipSpace()
                element.attributes.append((attrName, try quoted()))
            }
            if !selfClosing {
                stack.append((element, []))
            } else if stack.isEmpty {
                return element
            } else {
                stack[stack.count - 1].element.children.append(element)
            }
            // Content up to the next start tag, or end tags closing elements.
            while let open = stack.last {
                let textStart = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "<") {
                    if bytes[i] == UInt8(ascii: "&") {
                        let decoded = try entity()
                        stack[stack.count - 1].text += decoded
                    } else {
                        stack[stack.count - 1].text.append(bytes[i])
                        i += 1
                    }
                    guard stack[stack.count - 1].text.count <= limits.maxValueLength else {
                        throw fail("text longer than \(limits.maxValueLength) bytes in <\(short(open.element.name))>", at: textStart)
                    }
                }
                guard i < bytes.count else {
                    let at = open.element.line
                    throw fail("truncated: <\(short(open.element.name))> (line \(at)) and \(stack.count - 1) enclosing elements not closed")
                }
                if peek("<!--") { try comment(); continue }
                if peek("<?") { try instruction(); continue }
                if peek("<![CDATA[") { throw fail("a CDATA section is not accepted (libvirt writes none)") }
                if peek("<!") { throw fail("markup declaration not accepted inside <\(short(open.element.name))>") }
                guard peek("</") else { break }
                let endStart = i
                i += 2
                let endName = try name()
                skipSpace()
                guard i < bytes.count else { throw fail("truncated inside </\(short(endName))>", at: endStart) }
                guard bytes[i] == UInt8(ascii: ">") else { throw fail("expected '>' after </\(short(endName))") }
                i += 1
                guard endName == open.element.name else {
                    throw fail("</\(short(endName))> closes <\(short(open.element.name))> (line \(open.element.line))", at: endStart)
                }
                var done = stack.removeLast()
                done.element.text = String(decoding: done.text, as: UTF8.self)
                if stack.isEmpty { return done.element }
                stack[stack.count - 1].element.children.append(done.element)
            }
        }
    }

    /// The line of `position`; positions asked for only grow, so lines are counted once.
    mutating func lineOf(_ position: Int) -> Int {
        while counted < position {
            if bytes[counted] == 0x0A { line += 1 }
            counted += 1
        }
        return line
    }

    mutating func quoted() throws(BoundedXML.Error) -> String {
        guard i < bytes.count else { throw fail("truncated inside a tag") }
        let quote = bytes[i]
        guard quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { throw fail("expected a quoted value") }
        let start = i
        i += 1
        var value: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "<") { throw fail("'<' inside an attribute value") }
            if bytes[i] == UInt8(ascii: "&") {
                value += try entity()
            } else {
                value.append(bytes[i])
                i += 1
            }
            guard value.count <= limits.maxValueLength else {
                throw fail("an attribute value longer than \(limits.maxValueLength) bytes", at: start)
            }
        }
        guard i < bytes.count else { throw fail("truncated: an attribute value is not closed", at: start) }
        i += 1
        return String(decoding: value, as: UTF8.self)
    }

    /// `&lt;` `&gt;` `&amp;` `&apos;` `&quot;` `&#N;` `&#xH;`, as UTF-8 bytes.
    mutating func entity() throws(BoundedXML.Error) -> [UInt8] {
        let start = i
        i += 1
        while i < bytes.count, i - start <= 10, bytes[i] != UInt8(ascii: ";"), bytes[i] != UInt8(ascii: "<") { i += 1 }
        guard i < bytes.count else { throw fail("truncated inside an '&' reference", at: start) }
        guard bytes[i] == UInt8(ascii: ";") else { throw fail("an unterminated '&' reference", at: start) }
        let body = String(decoding: bytes[(start + 1)..<i], as: UTF8.self)
        i += 1
        switch body {
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "amp": return [UInt8(ascii: "&")]
        case "apos": return [UInt8(ascii: "'")]
        case "quot": return [UInt8(ascii: "\"")]
        default:
            var code: UInt32?
            if body.hasPrefix("#x") { code = UInt32(body.dropFirst(2), radix: 16) } else if body.hasPrefix("#") { code = UInt32(body.dropFirst()) }
            guard let code, code != 0, let scalar = Unicode.Scalar(code) else {
                throw fail("unknown entity &\(short(body)); (only XML's predefined entities are read)", at: start)
            }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
