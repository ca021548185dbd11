import Foundation

/// Aligned columns for terminal output; the last column may wrap to fit `width`.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    var width = 80
    var showHeader = true

    /// The rendered table, one line per row, header first (bold on a terminal).
    func render() -> String {
        let columns = header.count
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < columns - 1 { widths[i] = max(widths[i], cell.count) } }
        let lead = widths.dropLast().reduce(0) { $0 + $1 + 2 }
        let lastWidth = max(20, width - lead)
        func line(_ cells: [String]) -> [String] {
            var prefix = ""
            for i in 0..<(columns - 1) {
                let cell = cells[i]
                prefix += cell.count >= widths[i] + 2 ? String(cell.prefix(widths[i] + 2))
                    : cell + String(repeating: " ", count: widths[i] + 2 - cell.count)
            }
            let wrapped = wrap(cells[columns - 1], lastWidth)
            return wrapped.enumerated().map { i, part in
                Self.trimmingTrailingWhitespace((i == 0 ? prefix : String(repeating: " ", count: lead)) + part)
            }
        }
        var out = showHeader ? line(header).map(Style.bold) : []
        for row in rows { out += line(row) }
        return out.joined(separator: "\n")
    }

    /// `s` without trailing white space.
    static func trimmingTrailingWhitespace(_ s: String) -> String {
        var end = s.endIndex
        while end > s.startIndex, s[s.index(before: end)].isWhitespace { end = s.index(before: end) }
        return String(s[..<end])
    }

    private func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = String(word)
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        lines.append(current)
        return lines
    }
}

/// Terminal styling: only when stdout is a terminal and `NO_COLOR` is unset.
enum Style {
    static let enabled: Bool = {
        let env = ProcessInfo.processInfo.environment
        return isatty(STDOUT_FILENO) == 1 && (env["NO_COLOR"] ?? "").isEmpty && env["TERM"] != "dumb"
    }()

    static func bold(_ s: String) -> String { enabled ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    static func dim(_ s: String) -> String { enabled ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
}
