import ArgumentParser
import HostCPU
import QMP

/// `qcpu check`: what `-cpu MODEL,enforce` would refuse on each host, offline.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Preview -cpu MODEL,enforce on hosts: the features QEMU would refuse (filtered), offline.",
        discussion: """
            Computed from the model's definition under KVM and each host's record (the features \
            KVM offers there), not from QEMU's recorded list. Exit status 0 when the model runs \
            as defined on every host, 1 when some host would lose features.
            """)

    @Argument(help: ArgumentHelp("The CPU model.", valueName: "model"), completion: .custom(Completion.models))
    var model: String

    @OptionGroup var options: HostQuestionOptions

    func run() async throws {
        let lost = try await reportingErrors { () async throws -> Bool in
            let fleet = try await options.fleet()
            let rows = try fleet.perHost { p in
                _ = try p.features(of: model)
                return p.blockers(of: model) ?? []
            }
            let machine = fleet.machine
            switch options.format {
            case .json:
                print(JSONValue.object(["schema": 1, "model": .string(model), "hosts": .array(rows.map { host, b in
                    ["host": .string(host), "machine": .string(machine), "runs": .bool(b.isEmpty),
                     "unavailable-features": .array(b.map { .string($0) })]
                })]).prettyText)
            case .plain:
                for (host, b) in rows { print(([host, b.isEmpty ? "runs" : "loses"] + b).joined(separator: "\t")) }
            case .table:
                var t = TextTable(header: ["HOST", "MACHINE", "RESULT", "UNAVAILABLE FEATURES"])
                for (host, b) in rows {
                    t.rows.append([host, machine, b.isEmpty ? "runs" : "loses \(b.count)", b.joined(separator: " ")])
                }
                print(t.render())
            }
            return rows.contains { !$0.value.isEmpty }
        }
        if lost { throw ExitCode(ExitStatus.failure) }
    }
}
