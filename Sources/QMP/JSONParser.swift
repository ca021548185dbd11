/// A strict, allocation-light JSON parser over UTF-8 bytes.
///
/// Foundation's `JSONSerialization` turns numbers into `Double`/`NSNumber` and loses
/// `UInt64` values; `JSONDecoder` needs a static type. QMP replies are dynamic and large
/// (about 9 KB per CPU-model expansion, tens of thousands per harvest), so qcpu parses them
/// itself into ``JSONValue``. One pass, linear in the input; size, nesting, value count and
/// number length are bounded (``Limits``), strings must be UTF-8.
public struct JSONParser {
    /// The bounds the parser enforces.
    public struct Limits: Sendable {
        /// Largest input, bytes (QEMU's largest reply, `query-qmp-schema`, is about 200 KB).
        public var maxBytes = 64 << 20
        /// Deepest nesting of arrays and objects.
        public var maxDepth = 128
        /// Most values (scalars, arrays and objects) in one document.
        public var maxValues = 4_000_000
        /// Longest number literal, characters (QEMU prints at most 20 digits).
        public var maxNumberLength = 512
        /// The default bounds.
        public init() {}
    }

    /// Why a text is not JSON, with the byte offset where parsing stopped.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        /// What was wrong.
        public var message: String
        /// Byte offset into the input.
        public var offset: Int
        /// A short excerpt of the input at the offset (see ``InputExcerpt``), or empty.
        public var excerpt: String = ""
        /// A one-line description.
        public var description: String {
            "invalid JSON at byte \(offset): \(message)" + (excerpt.isEmpty ? "" : " (at \"\(excerpt)\")")
        }
    }

    /// Parses one JSON value from `bytes`; only whitespace may follow it.
    public static func parse<C: Collection<UInt8>>(_ bytes: C, limits: Limits = Limits()) throws(SyntaxError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else {
            throw SyntaxError(message: "\(bytes.count) bytes: larger than the limit of \(limits.maxBytes)", offset: 0)
        }
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(SyntaxError) -> JSONValue in
            var parser = Cursor(buf: buf, limits: limits)
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            if parser.pos != buf.count { throw parser.fail("trailing characters") }
            return value
        }
    }

    /// Parses one JSON value from a string.
    public static func parse(_ text: String, limits: Limits = Limits()) throws(SyntaxError) -> JSONValue {
        // Scalars are most of what snapshots store; skip the byte copy for them.
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default:
            // A short integer: an optional minus sign, then at least one digit.
            let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
            if !digits.isEmpty, digits.count <= limits.maxNumberLength, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                return .number(text)
            }
            return try parse(Array(text.utf8), limits: limits)
        }
    }

    private struct Cursor {
        let buf: UnsafeBufferPointer<UInt8>
        let limits: Limits
        var pos = 0
        var values = 0

        func fail(_ message: String) -> SyntaxError {
            let at = min(pos, buf.count)
            return SyntaxError(message: message, offset: at, excerpt: InputExcerpt.of(bytes: buf[at..<min(buf.count, at + 30)], limit: 30))
        }

        mutating func skipSpace() {
            while pos < buf.count {
                let c = buf[pos]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
            guard depth < limits.maxDepth else { throw fail("nesting deeper than \(limits.maxDepth)") }
            guard pos < buf.count else { throw fail("unexpected end of input") }
            values += 1
            guard values <= limits.maxValues else { throw fail("more than \(limits.maxValues) values") }
            switch buf[pos] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character '\(InputExcerpt.of(bytes: buf[pos..<pos + 1]))'")
            }
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            guard pos + count <= buf.count else { throw fail("unexpected end of input") }
            let start = word.utf8Start
            for i in 0..<count where buf[pos + i] != start[i] { throw fail("invalid literal") }
            pos += count
        }

        mutating func number() throws(SyntaxError) -> JSONValue {
            let start = pos
            if buf[pos] == UInt8(ascii: "-") { pos += 1 }
            var digits = 0
            while pos < buf.count, buf[pos] >= 0x30, buf[pos] <= 0x39 { pos += 1; digits += 1 }
            guard digits > 0 else { throw fail("invalid number") }
            if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
                pos += 1
                var frac = 0
                while pos < buf.count, buf[pos] >= 0x30, buf[pos] <= 0x39 { pos += 1; frac += 1 }
                guard frac > 0 else { throw fail("invalid number") }
            }
            if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
                pos += 1
                if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
                var exp = 0
                while pos < buf.count, buf[pos] >= 0x30, buf[pos] <= 0x39 { pos += 1; exp += 1 }
                guard exp > 0 else { throw fail("invalid number") }
            }
            guard pos - start <= limits.maxNumberLength else {
                pos = start
                throw fail("a number longer than \(limits.maxNumberLength) characters")
            }
            return .number(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self))
        }

        mutating func string() throws(SyntaxError) -> String {
            pos += 1  // opening quote
            let start = pos
            var ascii = true
            // Fast path: no escapes.
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") {
                    let raw = UnsafeBufferPointer(rebasing: buf[start..<pos])
                    if ascii { pos += 1; return String(decoding: raw, as: UTF8.self) }
                    guard let s = String(validating: raw, as: UTF8.self) else { throw invalidUTF8(from: start) }
                    pos += 1
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("control character in string") }
                if c >= 0x80 { ascii = false }
                pos += 1
            }
            var bytes = Array(buf[start..<pos])
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") {
                    guard let s = String(validating: bytes, as: UTF8.self) else { throw invalidUTF8(from: start) }
                    pos += 1
                    return s
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { bytes.append(c); pos += 1; continue }
                pos += 1
                guard pos < buf.count else { break }
                let e = buf[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u")
                        else { throw fail("unpaired surrogate") }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    bytes.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
            }
            throw fail("unterminated string")
        }

        /// The error for a string from `start` that is not UTF-8, at its first bad byte.
        mutating func invalidUTF8(from start: Int) -> SyntaxError {
            var i = start
            while i < pos {
                let lead = buf[i]
                let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0
                guard length > 0, i + length <= pos,
                      String(validating: UnsafeBufferPointer(rebasing: buf[i..<i + length]), as: UTF8.self) != nil else { break }
                i += length
            }
            pos = i
            return fail("a string that is not UTF-8")
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard pos + 4 <= buf.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = buf[pos]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        mutating func array(depth: Int) throws(SyntaxError) -> JSONValue {
            pos += 1
            var items: [JSONValue] = []
            skipSpace()
            if pos < buf.count, buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard pos < buf.count else { throw fail("unterminated array") }
                if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if buf[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) -> JSONValue {
            pos += 1
            var members: [String: JSONValue] = [:]
            skipSpace()
            if pos < buf.count, buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipSpace()
                guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw fail("expected member name") }
                let key = try string()
                skipSpace()
                guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1
                skipSpace()
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard pos < buf.count else { throw fail("unterminated object") }
                if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if buf[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        }
    }
}
