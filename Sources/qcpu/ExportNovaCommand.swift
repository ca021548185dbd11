import ArgumentParser
import Exports
import Foundation
import HostCPU
import QMP

/// `qcpu export nova-traits`: the HW_CPU_X86_* traits Nova reports, and a precheck of its CPU models.
struct ExportNovaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nova-traits",
        abstract: "OpenStack Nova's CPU traits of a host, or a precheck of nova.conf's cpu_models on hosts.",
        discussion: """
            Without --nova-conf or --cpu-models: the HW_CPU_X86_* traits (os-traits names) Nova's \
            libvirt driver reports for the host's CPU features, from its CPU_TRAITS_MAPPING. \
            With them: for each configured model (with cpu_model_extra_flags), on which hosts \
            nova-compute's start-up check (libvirt's compareHypervisorCPU) passes, what it \
            finds missing, and what QEMU would refuse of it. Exit status 1 when a model fails \
            on some host.
            """)

    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @OptionGroup var hosts: HostOptions

    @OptionGroup var releases: ReleaseSnapshotOptions

    @OptionGroup var cpuMap: CPUMapOptions

    @Option(name: .customLong("nova-conf"), help: ArgumentHelp("A nova.conf: its [libvirt] cpu_models and cpu_model_extra_flags.", valueName: "file"),
            completion: .file())
    var novaConf: String?

    @Option(name: .customLong("cpu-models"), help: ArgumentHelp("The models, comma-separated (as cpu_models).", valueName: "list"))
    var cpuModels: String?

    @Option(name: .customLong("extra-flags"), help: ArgumentHelp("Flags, comma-separated (as cpu_model_extra_flags: +f, -f, f).", valueName: "list"))
    var extraFlags: String?

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    func run() async throws {
        let failed = try await reportingErrors { () async throws -> Bool in
            let records = try await hosts.load(machine: machine, snapshots: releases.snapshots)
            guard let map = try cpuMap.load() else {
                throw fail("nova-traits speaks libvirt's feature names: it needs libvirt's CPU map (--cpu-map DIR)", status: ExitStatus.unavailable)
            }
            let views = try records.map { LibvirtView(record: $0, profile: try $0.profile(machine: machine), map: map) }
            if novaConf == nil && cpuModels == nil {
                guard views.count == 1 else { throw fail("the traits describe one host; give one --host (or --nova-conf for a fleet)", status: ExitStatus.usage) }
                printTraits(views[0])
                return false
            }
            let config: NovaCPUModels
            if let novaConf {
                guard let text = FileManager.default.contents(atPath: novaConf).map({ String(decoding: $0, as: UTF8.self) }) else {
                    throw ExportError(.mapNotFound, "cannot read \(novaConf)")
                }
                config = try NovaCPUModels(novaConf: text)
            } else {
                config = try NovaCPUModels(models: (cpuModels ?? "").split(separator: ",").map(String.init),
                                           flags: (extraFlags ?? "").split(separator: ",").map(String.init))
            }
            let verdicts = views.flatMap { config.check($0) }
            printPrecheck(config, verdicts)
            return verdicts.contains { !$0.accepted }
        }
        if failed { throw ExitCode(ExitStatus.failure) }
    }

    func printTraits(_ view: LibvirtView) {
        let traits = NovaTraits.traits(of: view.hostFeatures)
        switch format {
        case .json:
            print(JSONValue.object(["schema": 1, "host": .string(view.profile.host), "machine": .string(view.profile.machine),
                                    "traits": .object(Dictionary(uniqueKeysWithValues: traits.map { ($0.trait, .bool($0.present)) }))]).prettyText)
        case .plain:
            for t in traits where t.present { print(t.trait) }
        case .table:
            var t = TextTable(header: ["TRAIT", "SET", "LIBVIRT FEATURE"])
            for r in traits { t.rows.append([r.trait, r.present ? "yes" : "no", r.feature]) }
            print(t.render())
        }
    }

    func printPrecheck(_ config: NovaCPUModels, _ verdicts: [NovaCPUModels.Verdict]) {
        switch format {
        case .json:
            print(JSONValue.object([
                "schema": 1, "cpu-models": .array(config.models.map { .string($0) }),
                "require": .array(config.require.map { .string($0) }), "disable": .array(config.disable.map { .string($0) }),
                "results": .array(verdicts.map { v in
                    ["model": .string(v.model), "host": .string(v.host), "accepted": .bool(v.accepted),
                     "libvirt-model": v.libvirtModel.map { .string($0) } ?? .null,
                     "missing": .array(v.missing.map { .string($0) }), "qemu-blockers": .array(v.qemuBlockers.map { .string($0) })]
                }),
            ]).prettyText)
        case .plain:
            for v in verdicts { print(([v.model, v.host, v.accepted ? "ok" : "refused"] + v.missing).joined(separator: "\t")) }
        case .table:
            var t = TextTable(header: ["MODEL", "HOST", "NOVA-COMPUTE", "MISSING (LIBVIRT)", "QEMU WOULD REFUSE"])
            for v in verdicts {
                let verdict = v.libvirtModel == nil ? "refused: not in libvirt's map" : (v.accepted ? "starts" : "refused")
                t.rows.append([v.model, v.host, verdict, v.missing.joined(separator: " "), v.qemuBlockers.joined(separator: " ")])
            }
            print(t.render())
            for model in config.models {
                let ok = verdicts.filter { $0.model == model && $0.accepted }.count
                let all = verdicts.filter { $0.model == model }.count
                print("\(model): nova-compute starts on \(ok) of \(all) host(s)")
            }
        }
    }
}
