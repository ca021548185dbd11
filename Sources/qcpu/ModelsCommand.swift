import ArgumentParser
import CPUQuery
import QMP

/// `qcpu models`: the CPU models on a machine type and accelerator.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List CPU models on a machine type: alias-of, versions, deprecated, static, migration-safe.")

    @OptionGroup var query: QueryOptions

    @OptionGroup var session: SessionOptions

    func run() async throws {
        try await reportingErrors {
            let q = try query.makeQuery()
            let answer = try await q.models(machine: session.machine, accel: session.accel)
            let (machine, models) = answer.value
            switch query.format {
            case .json:
                printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary), "machine": .string(machine),
                           "accel": .string(session.accel), "models": .array(models.map(Self.json))], source: answer.source)
            case .plain:
                for m in models {
                    print([m.name, m.aliasOf ?? "-", m.versions.joined(separator: ",")].joined(separator: "\t"))
                }
            case .table:
                var t = TextTable(header: ["MODEL", "ALIAS OF", "FLAGS", "VERSIONS"])
                for m in models {
                    var flags: [String] = []
                    if m.deprecated { flags.append("deprecated") }
                    if m.isStatic { flags.append("static") }
                    if m.migrationSafe == false { flags.append("not-migration-safe") }
                    if let u = m.unavailableFeatures, !u.isEmpty { flags.append("unavailable:\(u.count)") }
                    t.rows.append([m.name, m.aliasOf ?? "", flags.joined(separator: ","),
                                   m.versions.map { $0.replacingOccurrences(of: m.name + "-", with: "") }.joined(separator: " ")])
                }
                print(t.render())
                printSource(answer.source, format: query.format)
            }
        }
    }

    static func json(_ m: ModelSummary) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(m.name), "versions": .array(m.versions.map { .string($0) }),
            "deprecated": .bool(m.deprecated), "static": .bool(m.isStatic),
        ]
        if let a = m.aliasOf { o["alias-of"] = .string(a) }
        if let s = m.migrationSafe { o["migration-safe"] = .bool(s) }
        if let u = m.unavailableFeatures { o["unavailable-features"] = .array(u.map { .string($0) }) }
        return .object(o)
    }
}
