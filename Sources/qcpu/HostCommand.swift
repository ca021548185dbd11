import ArgumentParser
import CPUQuery
import Foundation
import Harvester
import HostCPU
import Logging
import QMP
import SnapshotStore

/// `qcpu host`: capture and inspect host records.
struct HostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Capture this host as QEMU sees it under KVM, import libvirt's host data, or show host records.",
        subcommands: [HostCaptureCommand.self, HostImportCommand.self, HostShowCommand.self])
}

/// `qcpu host capture`: write this host's record.
struct HostCaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Record this host as QEMU sees it under KVM (a host record).",
        discussion: """
            Starts one paused QEMU per machine type under KVM and records the host model's \
            expansion (migratable and not), every model's full expansion and \
            unavailable-features per machine type, the features KVM supports that the host \
            model does not auto-enable, and the host's fingerprint (vendor, family, model, \
            stepping, model name, microcode, kernel, QEMU version). Collect the files of many \
            hosts in one directory and ask with --host-dir. Needs a usable /dev/kvm: TCG \
            emulates its CPUs and has no host to describe (exit status 69).
            """)

    @Option(help: ArgumentHelp("The QEMU binary (default: qemu-system-<this machine's arch> on PATH).", valueName: "path"))
    var qemu: String?

    @Option(name: .customLong("machine"), help: ArgumentHelp("Only machine types whose name or alias matches this glob (repeatable).", valueName: "glob"))
    var machine: [String] = []

    @Option(help: "QEMU processes to run at once (default: two per core).")
    var jobs: Int?

    @Option(name: .customLong("qemu-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("An extra argument for every QEMU command line, e.g. -L DIR (repeatable).", valueName: "arg"))
    var qemuArgs: [String] = []

    @Option(help: ArgumentHelp("Write each QMP conversation as a libvirt-style .replies transcript here.", valueName: "dir"))
    var record: String?

    @Option(help: ArgumentHelp("Capture from transcripts recorded with --record instead of QEMU.", valueName: "dir"))
    var replay: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The host record to write (default: host-<hostname>-qemu-<version>.sqlite).", valueName: "file"))
    var output: String?

    @Flag(name: .shortAndLong, help: "No progress line and no summary.")
    var quiet = false

    func run() async throws {
        try await reportingErrors {
            var options = HarvestOptions()
            options.binaries = qemu.map { [$0] } ?? []
            options.machineGlobs = machine
            if let jobs { options.jobs = jobs }
            let jobsGiven = jobs != nil
            options.extraArguments = qemuArgs
            options.recordDirectory = record
            options.replayDirectory = replay
            options.sourceDateEpoch = try sourceDateEpoch()
            let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
            var capture = HostCapture(options: options)
            capture.jobsGiven = jobsGiven
            let result = try await capture.run { done, total, key in
                progress.update("[\(done)/\(total)] \(key.machine) kvm")
            }
            progress.finish()
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            let path = output ?? "host-\(host)-qemu-\(result.snapshot.meta.qemuVersion).sqlite"
            try SnapshotWriter().write(result.snapshot, to: path)
            if !quiet {
                let record = try HostRecordFile(path: path)
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                note("wrote \(path) (\(size) bytes) in \(String(format: "%.1f", result.stats.wallTime.seconds)) s\n  \(record.summary)")
            }
        }
    }
}

/// `qcpu host show`: what host records say.
struct HostShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show host records: the CPU, and the features KVM offers there on a machine type.")

    @OptionGroup var hosts: HostOptions

    @OptionGroup var releases: ReleaseSnapshotOptions

    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"))
    var machine: String?

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    func run() async throws {
        try await reportingErrors {
            let records = try await hosts.load(machine: machine, noting: false, snapshots: releases.snapshots)
            var json: [JSONValue] = []
            var levels: [X86Level?] = []
            for r in records {
                let p = try r.profile(machine: machine)
                levels.append(X86Level.of(p.offerable))
                switch format {
                case .table:
                    print(r.summary)
                    print("  \(p.machine): \(p.supported.count) features supported, \(p.nonMigratable.count) of them not migratable (\(p.nonMigratable.sorted().joined(separator: " ")))")
                    print("  not auto-enabled but supported: \(r.extraFeatures.sorted().joined(separator: " "))")
                    print("  offered but refused by a running vCPU (never proposed): "
                          + (r.runtimeProbed ? (r.runtimeRefused.isEmpty ? "none" : r.runtimeRefused.sorted().joined(separator: " "))
                                             : "not probed"))
                    print("  " + ModelsCommand.levelLine(p).replacingOccurrences(of: "\(p.host) runs", with: "runs"))
                    for n in r.notes { print("  note: \(n)") }
                case .plain:
                    print(([r.name, p.machine] + p.supported.sorted()).joined(separator: "\t"))
                case .json:
                    json.append([
                        "name": .string(r.name), "file": .string(r.path), "qemu-version": .string(r.qemuVersion),
                        "host": r.fingerprint.json, "machine": .string(p.machine),
                        "supported": .array(p.supported.sorted().map { .string($0) }),
                        "not-migratable": .array(p.nonMigratable.sorted().map { .string($0) }),
                        "runtime-refused": r.runtimeProbed ? .array(r.runtimeRefused.sorted().map { .string($0) }) : .null,
                        "models-from": r.release.map { .string($0.path) } ?? .null,
                        "level": ModelsCommand.levelJSON(X86Level.of(p.offerable)),
                    ])
                }
            }
            if format == .json { print(JSONValue.object(["schema": 1, "hosts": .array(json)]).prettyText) }
            if format == .table && levels.count > 1 {
                let common = X86Level.common(levels)
                print("every host runs " + (common.map { "x86-64 psABI level \($0)" } ?? "no common x86-64 psABI level") + " on its machine type")
            }
        }
    }
}
