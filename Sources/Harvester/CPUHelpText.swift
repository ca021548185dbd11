import Foundation

/// What `qemu-system-* -cpu help` lists: the static (`-base`) models in QEMU's table order with
/// their descriptions, the feature flags and the feature groups, in QEMU's order.
struct CPUHelpText: Sendable, Equatable {
    /// Definition name (`z14`, from `z14-base`) and description (`IBM z14 GA1`), in table order.
    var definitions: [(name: String, description: String)]
    /// Feature flag names.
    var features: [String]
    /// Feature group names.
    var groups: [String]

    static func == (a: Self, b: Self) -> Bool {
        a.definitions.map { [$0.name, $0.description] } == b.definitions.map { [$0.name, $0.description] }
            && a.features == b.features && a.groups == b.groups
    }

    /// Parses the text (`s390 z14-base  IBM z14 GA1  (static, migration-safe)` lines, then
    /// `Recognized feature flags:` and `Recognized feature groups:` sections).
    init(parsing text: String) {
        definitions = []
        features = []
        groups = []
        var section = 0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Recognized feature flags") { section = 1; continue }
            if line.hasPrefix("Recognized feature groups") { section = 2; continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            switch section {
            case 0:
                guard words.count >= 3, words[1].hasSuffix("-base"), line.contains("(static") else { continue }
                let name = String(words[1].dropLast(5))
                let afterName = line.range(of: String(words[1]))!.upperBound
                let description = line[afterName...].prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces)
                definitions.append((name, description))
            case 1: if let first = words.first { features.append(String(first)) }
            default: if let first = words.first { groups.append(String(first)) }
            }
        }
    }

    /// The machine a description names: the description without its trailing ` GA<n>`.
    static func typeClass(_ description: String) -> String {
        var words = description.split(separator: " ")
        if let last = words.last, last.hasPrefix("GA"), last.dropFirst(2).allSatisfy(\.isNumber), !last.dropFirst(2).isEmpty {
            words.removeLast()
        }
        return words.joined(separator: " ")
    }
}
