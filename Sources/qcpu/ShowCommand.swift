import ArgumentParser
import CPUQuery
import QMP
import SnapshotStore

/// `qcpu show MODEL`: one model's definition, features and props on a machine type.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a CPU model on a machine type: features, identity, other props, compat changes.")

    @Argument(help: ArgumentHelp("The CPU model.", valueName: "model"), completion: .custom(Completion.models))
    var model: String

    @OptionGroup var query: QueryOptions

    @OptionGroup var session: SessionOptions

    func run() async throws {
        try await reportingErrors {
            let q = try query.makeQuery()
            let answer = try await q.detail(model: model, machine: session.machine, accel: session.accel)
            let d = answer.value
            switch query.format {
            case .json: printJSON(Self.json(d, version: q.version), source: answer.source, of: q)
            case .plain:
                for f in d.features { print("feature\t\(f.name)\t\(f.enabled)") }
                for p in d.identity + d.other { print("prop\t\(p.name)\t\(p.value.canonicalText)") }
            case .table:
                print(Self.table(d, version: q.version))
                printSource(answer.source, of: q, format: query.format)
            }
        }
    }

    static func json(_ d: ModelDetail, version: String) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "qemu-version": .string(version), "binary": .string(d.binary), "machine": .string(d.machine),
            "accel": .string(d.accel), "model": .string(d.model), "typename": .string(d.definition.typename),
            "static": .bool(d.definition.isStatic), "deprecated": .bool(d.definition.deprecated),
            "features": [
                "enabled": .array(d.features.filter(\.enabled).map { .string($0.name) }),
                "disabled": .array(d.features.filter { !$0.enabled }.map { .string($0.name) }),
            ],
            "identity": .object(Dictionary(uniqueKeysWithValues: d.identity.map { ($0.name, $0.value) })),
            "other-props": .object(Dictionary(uniqueKeysWithValues: d.other.map { ($0.name, $0.value) })),
        ]
        if let a = d.definition.aliasOf { o["alias-of"] = .string(a) }
        if let m = d.definition.migrationSafe { o["migration-safe"] = .bool(m) }
        if let u = d.definition.unavailableFeatures { o["unavailable-features"] = .array(u.map { .string($0) }) }
        if let level = level(d) { o["level"] = level.reached.map { .string($0.description) } ?? .null }
        if let s = d.staticExpansion {
            o["static-expansion"] = ["model": .string(s.model), "enabled-features": .array(s.enabled.map { .string($0) })]
        }
        if let c = d.compat {
            o["compat"] = ["reference-machine": .string(c.reference), "changes": .array(c.changes.map {
                ["prop": .string($0.name), "value": $0.value, "reference-value": $0.reference]
            })]
        }
        return o
    }

    /// The x86-64 psABI level the model's features reach, and what the next level needs (x86 only).
    static func level(_ d: ModelDetail) -> (reached: X86Level?, next: (level: X86Level, missing: [String])?)? {
        guard d.binary.hasSuffix("x86_64") || d.binary.hasSuffix("i386") else { return nil }
        let on = Set(d.features.filter(\.enabled).map(\.name))
        return (X86Level.of(on), X86Level.missingForNext(on))
    }

    static func table(_ d: ModelDetail, version: String) -> String {
        var lines: [String] = []
        lines.append(Style.bold("\(d.model)") + " on \(d.machine), \(d.accel) (\(d.binary), QEMU \(version))")
        var facts = TextTable(header: ["", ""], showHeader: false)
        facts.rows.append(["typename", d.definition.typename])
        facts.rows.append(["alias-of", d.definition.aliasOf ?? "-"])
        var flags: [String] = []
        if d.definition.isStatic { flags.append("static") }
        if d.definition.deprecated { flags.append("deprecated") }
        if let m = d.definition.migrationSafe { flags.append(m ? "migration-safe" : "not migration-safe") }
        facts.rows.append(["flags", flags.joined(separator: ", ")])
        if let level = level(d) {
            let next = level.next.map { " (\($0.level) needs \($0.missing.joined(separator: " ")))" } ?? ""
            facts.rows.append(["level", X86Level.name(level.reached) + next])
        }
        if let u = d.definition.unavailableFeatures { facts.rows.append(["unavailable", u.isEmpty ? "none" : u.joined(separator: " ")]) }
        for p in d.identity { facts.rows.append([p.name, p.value.canonicalText]) }
        lines.append(facts.render())
        let on = d.features.filter(\.enabled).map(\.name)
        lines.append("")
        lines.append(Style.bold("features (\(on.count) of \(d.features.count) on)"))
        lines.append(TextTable(header: ["", ""], rows: [["", on.joined(separator: " ")]], width: 78, showHeader: false).render())
        if let s = d.staticExpansion {
            lines.append("")
            lines.append(Style.bold("static expansion") + ": \(s.model) + \(s.enabled.count) features")
        }
        if let c = d.compat {
            lines.append("")
            lines.append(Style.bold("changed against \(c.reference)") + (c.changes.isEmpty ? ": nothing" : ""))
            var t = TextTable(header: ["  PROP", "HERE", c.reference.uppercased()])
            for ch in c.changes { t.rows.append(["  " + ch.name, ch.value.canonicalText, ch.reference.canonicalText]) }
            if !c.changes.isEmpty { lines.append(t.render()) }
        }
        lines.append("")
        lines.append(Style.bold("other props (\(d.other.count))"))
        var t = TextTable(header: ["", ""], showHeader: false)
        for p in d.other { t.rows.append(["  " + p.name, p.value.canonicalText]) }
        lines.append(t.render())
        return lines.joined(separator: "\n")
    }
}
