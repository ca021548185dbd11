import ArgumentParser
import Exports
import HostCPU
import QMP

/// `baseline --format`: the inspecting formats and Proxmox's cpu-models.conf.
enum BaselineFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, plain, proxmox
}

/// `qcpu baseline`: the best CPU every host can run.
struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "The best named CPU model every host can run, plus the flags that give the largest common feature set.",
        discussion: """
            Prints a -cpu string and a libvirt <cpu mode='custom'> element, and (table output) \
            the models considered: the winner is the richest model that every host runs as \
            defined (most features in common, then the newest version), with + flags for the \
            rest of the common features. --migratable leaves out features that block migration. \
            --format proxmox writes it as a Proxmox VE cpu-models.conf section (a model Proxmox \
            knows as reported-model, QEMU's flag names).
            """)

    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @OptionGroup var hosts: HostOptions

    @OptionGroup var releases: ReleaseSnapshotOptions

    @Option(help: "Output format (proxmox: a cpu-models.conf section).")
    var format: BaselineFormat = .table

    @Option(help: ArgumentHelp("The section name of --format proxmox (VMs use custom-NAME).", valueName: "name"))
    var name = "qcpu-baseline"

    @Flag(help: "Leave out features that block migration (invtsc, ...).")
    var migratable = false

    @Option(help: "How many considered models to list (table).")
    var show = 8

    func run() async throws {
        try await reportingErrors {
            let fleet = try await hosts.fleet(machine: machine, snapshots: releases.snapshots)
            var b = try Baseline.compute(fleet.distinctProfiles, migratable: migratable)
            b.hosts = fleet.hosts
            switch format {
            case .proxmox:
                // Proxmox's section ids (pve-configid): a letter, then letters, digits, '-' and '_'.
                guard let first = name.first, first.isASCII, first.isLetter, name.count <= 64,
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                    throw fail("--name '\(name.prefix(30))': a Proxmox CPU model name is a letter, then letters, digits, '-' or '_'", status: ExitStatus.usage)
                }
                let sets = fleet.distinctProfiles[0].modelSets
                print(try ProxmoxCPUModel(baseline: b, sets: sets, name: name).text, terminator: "")
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
