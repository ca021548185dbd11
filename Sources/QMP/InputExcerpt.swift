/// A short, printable, one-line excerpt of untrusted input, for error messages.
///
/// Error messages quote input so the user can find the fault, but input can be megabytes of
/// binary data or hold control characters that would corrupt a terminal. An excerpt is printable
/// ASCII of at most ``limit`` characters, escapes included: everything else is escaped (`\n`,
/// `\t`, `\u{e9}`, `\x80` for a byte that is not UTF-8), and a cut is marked with `...`.
public enum InputExcerpt {
    /// Most characters of input an excerpt shows.
    public static let limit = 60

    /// The excerpt of `text`.
    public static func of(_ text: some StringProtocol, limit: Int = limit) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let piece = escaped(scalar)
            guard out.utf8.count + piece.utf8.count <= limit else { return out + "..." }
            out += piece
        }
        return out
    }

    /// The excerpt of the UTF-8 bytes `bytes` (a byte that starts no valid sequence shown as `\xNN`).
    public static func of(bytes: some Collection<UInt8>, limit: Int = limit) -> String {
        let b = Array(bytes.prefix(4 * limit + 4))
        var out = ""
        var i = 0
        while i < b.count {
            let lead = b[i]
            let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0
            var piece = hex(lead), consumed = 1
            if length == 1 {
                piece = escaped(Unicode.Scalar(lead))
            } else if length > 1, i + length <= b.count,
                      let s = String(validating: b[i..<i + length], as: UTF8.self), let scalar = s.unicodeScalars.first {
                (piece, consumed) = (escaped(scalar), length)
            }
            guard out.utf8.count + piece.utf8.count <= limit else { return out + "..." }
            out += piece
            i += consumed
        }
        return b.count < bytes.count ? out + "..." : out
    }

    /// `"excerpt"`, quoted, for messages.
    public static func quoted(_ text: some StringProtocol, limit: Int = limit) -> String {
        "\"" + of(text, limit: limit) + "\""
    }

    static func escaped(_ s: Unicode.Scalar) -> String {
        switch s.value {
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x0D: return "\\r"
        case 0x5C: return "\\\\"
        case 0x22: return "\\\""
        case 0x20..<0x7F: return String(Character(s))
        default: return "\\u{" + String(s.value, radix: 16) + "}"
        }
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }
}
