import ArgumentParser
import HostCPU

/// `qcpu export`: qcpu's answers in other tools' formats.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write qcpu's answers in other tools' formats.",
        subcommands: [ExportDomcapsCommand.self])
}

/// `qcpu export libvirt-domcaps`: the CPU part of `virsh domcapabilities`, offline.
struct ExportDomcapsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libvirt-domcaps",
        abstract: "The CPU part of libvirt's domain capabilities for a host and machine type, computed offline.",
        discussion: """
            host-model is the host model's features as the closest named model plus flags; every \
            custom model is usable or not, with its blockers (the features -cpu MODEL,enforce \
            would refuse), per machine type. Feature names are QEMU's; libvirt's cpu_map spells a \
            few differently (lahf_lm, fxsr_opt, pclmuldq, ...).
            """)

    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @OptionGroup var hosts: HostOptions

    @OptionGroup var releases: ReleaseSnapshotOptions

    func run() async throws {
        try await reportingErrors {
            let records = try await hosts.load(machine: machine, snapshots: releases.snapshots)
            guard records.count == 1 else { throw ValidationError("libvirt-domcaps describes one host; give one --host") }
            print(try DomainCapabilities(record: records[0], profile: try records[0].profile(machine: machine)).xml())
        }
    }
}
