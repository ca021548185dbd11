import ArgumentParser
import CPUQuery
import QMP

/// `qcpu features`: feature names, or one model's feature across machine types.
struct FeaturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "List CPU feature names, or where a model has a feature on or off.",
        discussion: """
            Without options: the binary's feature names (QEMU's canonical spellings). With --model and \
            --feature: on which harvested machine types the model has the feature on or off.
            """)

    @OptionGroup var query: QueryOptions

    @Option(help: ArgumentHelp("A CPU model.", valueName: "model"), completion: .custom(Completion.models))
    var model: String?

    @Option(help: ArgumentHelp("A feature name (any spelling QEMU accepts).", valueName: "feature"))
    var feature: String?

    @Option(help: "Accelerator: tcg or kvm.")
    var accel: String = "tcg"

    func validate() throws {
        if (model == nil) != (feature == nil) { throw ValidationError("--model and --feature go together") }
    }

    func run() async throws {
        try await reportingErrors {
            let q = try query.makeQuery()
            if let model, let feature {
                let answer = try await q.featureAcrossMachines(model: model, feature: feature, accel: accel)
                let (name, rows) = answer.value
                switch query.format {
                case .json:
                    printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary), "model": .string(model),
                               "feature": .string(name), "accel": .string(accel),
                               "machines": .array(rows.map { ["machine": .string($0.machine), "enabled": .bool($0.enabled)] })],
                              source: answer.source, of: q)
                case .plain:
                    for r in rows { print("\(r.machine)\t\(r.enabled ? "on" : "off")") }
                case .table:
                    var t = TextTable(header: ["MACHINE", name.uppercased()])
                    for r in rows { t.rows.append([r.machine, r.enabled ? "on" : "off"]) }
                    print(t.render())
                    printSource(answer.source, of: q, format: query.format)
                }
                return
            }
            let answer = try await q.featureList(accel: accel)
            switch query.format {
            case .json:
                printJSON(["qemu-version": .string(q.version), "binary": .string(q.binary),
                           "features": .array(answer.value.map { .string($0) })], source: answer.source, of: q)
            case .plain:
                for f in answer.value { print(f) }
            case .table:
                print(TextTable(header: ["FEATURES (\(answer.value.count))"],
                                rows: [[answer.value.joined(separator: " ")]]).render())
                printSource(answer.source, of: q, format: query.format)
            }
        }
    }
}
