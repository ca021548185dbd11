import ArgumentParser
import CPUQuery
import QMP

/// `qcpu which --feature F`: the models that carry a feature on a machine type.
struct WhichCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "which", abstract: "List the CPU models that carry a feature on a machine type.")

    @OptionGroup var query: QueryOptions

    @Option(help: ArgumentHelp("A feature name (any spelling QEMU accepts).", valueName: "feature"))
    var feature: String

    @OptionGroup var session: SessionOptions

    func run() async throws {
        try await reportingErrors {
            let q = try query.makeQuery()
            let answer = try await q.carriers(feature: feature, machine: session.machine, accel: session.accel)
            let (machine, name, models) = answer.value
            switch query.format {
            case .json:
                printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary), "machine": .string(machine),
                           "accel": .string(session.accel), "feature": .string(name), "models": .array(models.map { .string($0) })],
                          source: answer.source, of: q)
            case .plain:
                for m in models { print(m) }
            case .table:
                print(TextTable(header: ["MODELS WITH \(name) ON \(machine) (\(models.count))"],
                                rows: [[models.joined(separator: " ")]]).render())
                printSource(answer.source, of: q, format: query.format)
            }
        }
    }
}
