import ArgumentParser
import CPUQuery
import HostCPU
import QMP

/// `qcpu cmdline`: the shortest `-cpu` for a feature set.
struct CmdlineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cmdline",
        abstract: "The shortest -cpu for a feature set: a named model plus the fewest +/- flags.",
        discussion: """
            With --features, the set is exactly those features (QEMU's names or any spelling \
            QEMU accepts). With --host and no --features, the set is the host's CPU as the host \
            model gives it (migratable), so the answer is "this host's CPU as a named model". \
            Model definitions come from the host record (KVM) when --host is given, else from \
            the snapshot (--accel, TCG by default).
            """)

    @Option(help: ArgumentHelp("The features, comma-separated.", valueName: "f1,f2,..."))
    var features: String?

    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @Option(help: "Accelerator whose model definitions to use without --host: tcg or kvm.")
    var accel: String = "tcg"

    @OptionGroup var hosts: HostOptions

    @OptionGroup var query: QueryOptions

    @Option(help: "How many other models to list (table).")
    var show = 5

    func validate() throws {
        if features == nil && !hosts.given { throw ValidationError("give --features, --host, or both") }
    }

    func run() async throws {
        try await reportingErrors {
            let sets: ModelFeatureSets
            var target: Set<String>
            if hosts.given {
                let records = try await hosts.load(machine: machine, snapshots: query.snapshots)
                guard records.count == 1 else { throw ValidationError("cmdline takes one host") }
                let profile = try records[0].profile(machine: machine)
                sets = profile.modelSets
                target = profile.hostModelFeatures
            } else {
                sets = try await query.makeQuery().modelFeatureSets(machine: machine, accel: accel).value
                target = []
            }
            if let features {
                let names = features.split(separator: ",").map(String.init).filter { !$0.isEmpty }
                target = Set(try sets.space.canonical(names, context: "on \(sets.machine)"))
            }
            let candidates = CommandLineSearch.candidates(for: target, in: sets)
            guard let best = candidates.first else { throw HostCPUError(.noModel, "no named CPU model on \(sets.machine)") }
            switch query.format {
            case .plain:
                print(best.guest.option)
            case .json:
                print(JSONValue.object([
                    "schema": 1, "machine": .string(sets.machine), "accel": .string(sets.accel),
                    "cpu": .string(best.guest.option), "model": .string(best.model),
                    "add": .array(best.plus.map { .string($0) }), "remove": .array(best.minus.map { .string($0) }),
                ]).prettyText)
            case .table:
                print("-cpu \(best.guest.option)\n")
                var t = TextTable(header: ["MODEL", "FLAGS", "ADD", "REMOVE"])
                for c in candidates.prefix(show + 1) {
                    t.rows.append([c.model, String(c.cost), String(c.plus.count), c.minus.joined(separator: " ")])
                }
                print(t.render())
            }
        }
    }
}
