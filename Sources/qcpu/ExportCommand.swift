import ArgumentParser
import Exports
import HostCPU
import QMP

/// `qcpu export`: qcpu's answers in other tools' formats.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write qcpu's answers in other tools' formats.",
        subcommands: [ExportDomcapsCommand.self, ExportKubeVirtCommand.self, ExportNovaCommand.self])
}

/// `--cpu-map DIR` / `--no-cpu-map`: the libvirt CPU map whose words an export speaks.
struct CPUMapOptions: ParsableArguments {
    @Option(name: .customLong("cpu-map"),
            help: ArgumentHelp("libvirt's CPU map directory (default: /usr/share/libvirt/cpu_map when installed).", valueName: "dir"),
            completion: .directory)
    var directory: String?

    @Flag(name: .customLong("no-cpu-map"), help: "Use no libvirt CPU map: every QEMU model, QEMU's feature names.")
    var none = false

    /// The map: the named one (which must be readable), else the installed one, else none (with a note).
    func load() throws -> LibvirtCPUMap? {
        if none { return nil }
        if let directory { return try LibvirtCPUMap(directory: directory) }
        if LibvirtCPUMap.exists() { return try LibvirtCPUMap() }
        note("note: no libvirt CPU map in \(LibvirtCPUMap.defaultDirectory) (install libvirt, or name one with --cpu-map DIR): every QEMU model, QEMU's feature names")
        return nil
    }
}

/// `qcpu export libvirt-domcaps`: the CPU part of `virsh domcapabilities`, offline.
struct ExportDomcapsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libvirt-domcaps",
        abstract: "The CPU part of libvirt's domain capabilities for a host and machine type, computed offline.",
        discussion: """
            With libvirt's CPU map (installed, or --cpu-map DIR) the custom list is what that \
            libvirt prints: the map's models QEMU offers, in QEMU's order, usable from the \
            host's blockers, the map's vendor, libvirt's feature names; host-model is the map \
            model libvirt's x86 driver would choose. Without a map: every QEMU model, QEMU's \
            names, host-model as the closest named model plus flags. What a running vCPU \
            refuses (the runtime probe) is never offered.
            """)

    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @OptionGroup var hosts: HostOptions

    @OptionGroup var releases: ReleaseSnapshotOptions

    @OptionGroup var cpuMap: CPUMapOptions

    func run() async throws {
        try await reportingErrors {
            let record = try await hosts.loadOne(machine: machine, snapshots: releases.snapshots, for: "libvirt-domcaps")
            let caps = LibvirtDomainCapabilities(record: record, profile: try record.profile(machine: machine), map: try cpuMap.load())
            print(try caps.xml())
        }
    }
}

/// `qcpu export kubevirt-labels`: the node labels KubeVirt's node-labeller would set.
struct ExportKubeVirtCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubevirt-labels",
        abstract: "The labels KubeVirt's node-labeller sets on a node, computed offline from its host record.",
        discussion: """
            cpu-model.node.kubevirt.io/ for the usable custom models, cpu-model-migration. for \
            every custom model, cpu-feature. for the host-model's features, host-model-cpu., \
            host-model-required-features. and cpu-vendor., as KubeVirt derives them from virsh \
            domcapabilities --machine q35; obsolete models (KubeVirt's defaults unless \
            --obsolete) left out. Lines key=value (table, plain) or a JSON object.
            """)

    @Option(help: ArgumentHelp("Machine type or alias (KubeVirt's node-labeller asks for q35).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine = "q35"

    @Option(help: ArgumentHelp("Obsolete CPU models, comma-separated (KubeVirt's obsoleteCPUModels; replaces its defaults; '' for none).",
                               valueName: "list"))
    var obsolete: String?

    @OptionGroup var hosts: HostOptions

    @OptionGroup var releases: ReleaseSnapshotOptions

    @OptionGroup var cpuMap: CPUMapOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .plain

    func run() async throws {
        try await reportingErrors {
            let record = try await hosts.loadOne(machine: machine, snapshots: releases.snapshots, for: "kubevirt-labels")
            let caps = LibvirtDomainCapabilities(record: record, profile: try record.profile(machine: machine), map: try cpuMap.load())
            let list = obsolete.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) }
            let labels = try KubeVirtLabels(caps, obsolete: list ?? KubeVirtLabels.defaultObsolete)
            switch format {
            case .json:
                print(JSONValue.object(["schema": 1, "host": .string(record.name), "machine": .string(caps.profile.machine),
                                        "labels": .object(labels.labels.mapValues { .string($0) })]).prettyText)
            case .plain, .table:
                for line in labels.lines { print(line) }
            }
        }
    }
}
