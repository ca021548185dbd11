import ArgumentParser
import CPUQuery
import QMP

/// `qcpu machines`: the machine types of a QEMU binary.
struct MachinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "machines", abstract: "List machine types: alias, default, deprecated, default CPU type.")

    @OptionGroup var query: QueryOptions

    func run() async throws {
        try await reportingErrors {
            let q = try query.makeQuery()
            let answer = try await q.machines()
            switch query.format {
            case .json:
                printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary),
                           "machines": .array(answer.value.map { m in
                               var o: [String: JSONValue] = ["name": .string(m.name), "is-default": .bool(m.isDefault),
                                                             "deprecated": .bool(m.deprecated)]
                               if let a = m.alias { o["alias"] = .string(a) }
                               if let c = m.defaultCPUType { o["default-cpu-type"] = .string(c) }
                               return .object(o)
                           })], source: answer.source, of: q)
            case .plain:
                for m in answer.value {
                    print([m.name, m.alias ?? "-", m.isDefault ? "default" : "-", m.deprecated ? "deprecated" : "-",
                           m.defaultCPUType ?? "-"].joined(separator: "\t"))
                }
            case .table:
                var t = TextTable(header: ["MACHINE", "ALIAS", "FLAGS", "DEFAULT CPU TYPE"])
                for m in answer.value {
                    let flags = [m.isDefault ? "default" : nil, m.deprecated ? "deprecated" : nil].compactMap { $0 }
                    t.rows.append([m.name, m.alias ?? "", flags.joined(separator: ","), m.defaultCPUType ?? ""])
                }
                print(t.render())
                printSource(answer.source, of: q, format: query.format)
            }
        }
    }
}
