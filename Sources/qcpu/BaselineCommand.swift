import ArgumentParser
import HostCPU
import QMP

/// `qcpu baseline`: the best CPU every host can run.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "The best named CPU model every host can run, plus the flags that give the largest common feature set.",
        discussion: """
            Prints a -cpu string and a libvirt <cpu mode='custom'> element, and (table output) \
            the models considered: the winner is the richest model that every host runs as \
            defined (most features in common, then the newest version), with + flags for the \
            rest of the common features. --migratable leaves out features that block migration.
            """)

    @OptionGroup var options: HostQuestionOptions

    @Flag(help: "Leave out features that block migration (invtsc, ...).")
    var migratable = false

    @Option(help: "How many considered models to list (table).")
    var show = 8

    func run() async throws {
        try await reportingErrors {
            let fleet = try await options.fleet()
            var b = try Baseline.compute(fleet.distinctProfiles, migratable: migratable)
            b.hosts = fleet.hosts
            switch options.format {
            case .plain:
                print(b.guest.option)
            case .json:
                print(JSONValue.object([
                    "schema": 1, "machine": .string(b.machine), "migratable": .bool(b.migratable),
                    "hosts": .array(b.hosts.map { .string($0) }), "cpu": .string(b.guest.option),
                    "model": .string(b.guest.model), "add": .array(b.guest.plus.map { .string($0) }),
                    "remove": .array(b.guest.minus.map { .string($0) }), "libvirt-xml": .string(b.guest.libvirtXML),
                    "common-features": .array(b.common.sorted().map { .string($0) }),
                ]).prettyText)
            case .table:
                print("-cpu \(b.guest.option)\n")
                print(b.guest.libvirtXML + "\n")
                print("\(b.hosts.count) host(s) on \(b.machine) have \(b.common.count) features in common\(b.migratable ? " (migratable only)" : ""); models considered:")
                var t = TextTable(header: ["MODEL", "RUNS AS DEFINED", "SHARED", "FLAGS"])
                for c in b.candidates.prefix(show) {
                    t.rows.append([c.model, c.runsAsDefined ? "yes" : "no (-\(c.minus.count))", String(c.shared), "+\(c.plus.count) -\(c.minus.count)"])
                }
                print(t.render())
                let winner = b.candidates[0]
                print(winner.runsAsDefined
                      ? "\(winner.model) wins: every host runs it as defined, and it has the most of the common features (\(winner.shared))."
                      : "no model runs on every host as defined; \(winner.model) needs the fewest flags.")
            }
        }
    }
}
