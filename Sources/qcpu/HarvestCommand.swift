import ArgumentParser
import Foundation
import Harvester
import Logging
import QMP
import SnapshotStore

/// `qcpu harvest`: probe QEMU binaries into a snapshot file.
struct HarvestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harvest",
        abstract: "Probe QEMU binaries over QMP into a snapshot file.",
        discussion: """
            Starts one paused QEMU per (binary, machine type, accelerator) and asks it \
            query-cpu-definitions, query-cpu-model-expansion (full and static) for every model, \
            and more. With no --qemu, every qemu-system-* on PATH is harvested. KVM is used when \
            /dev/kvm works; KVM answers are tied to this host's record. The harvest time is \
            SOURCE_DATE_EPOCH when set, so equal input gives byte-identical files. If any session \
            fails, the failures are listed, no file is written, and the exit status is 1.
            """)

    @Option(name: .customLong("qemu"), help: ArgumentHelp("A QEMU binary to harvest (repeatable).", valueName: "path"))
    var qemu: [String] = []

    @Option(name: .customLong("accel"), help: ArgumentHelp("Accelerator: kvm or tcg (repeatable; default: every usable one).", valueName: "accel"))
    var accel: [String] = []

    @Option(name: .customLong("machine"), help: ArgumentHelp("Only machine types whose name or alias matches this glob (repeatable).", valueName: "glob"))
    var machine: [String] = []

    @Option(name: .customLong("model"), help: ArgumentHelp("Only CPU models matching this glob (repeatable).", valueName: "glob"))
    var model: [String] = []

    @Option(help: "QEMU processes to run at once (default: the number of cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Timeout for each QMP command, in seconds.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(name: .customLong("qemu-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("An extra argument for every QEMU command line, e.g. -L DIR (repeatable; not stored).", valueName: "arg"))
    var qemuArgs: [String] = []

    @Option(name: .customLong("qemu-launcher"),
            help: ArgumentHelp("A program that runs every QEMU, given the binary's path first (e.g. scripts/run-in-tree.sh for a QEMU of another Debian suite); the binary is still named and hashed from --qemu. Not stored.", valueName: "path"))
    var qemuLauncher: String?

    @Option(help: ArgumentHelp("Write each QMP conversation as a libvirt-style .replies transcript here.", valueName: "dir"))
    var record: String?

    @Option(help: ArgumentHelp("Harvest from transcripts recorded with --record instead of QEMU.", valueName: "dir"))
    var replay: String?

    @Option(help: ArgumentHelp("Harvest only slice K of N (1-based), for merging later.", valueName: "K/N"))
    var shard: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The snapshot file to write (a directory: qemu-<version>.sqlite in it).", valueName: "file"))
    var output: String

    @Flag(name: .shortAndLong, help: "No progress line and no summary.")
    var quiet = false

    @Flag(name: .customLong("kvm-models"), help: "KVM sessions keep only what no host changes (release snapshots): named models' definitions and full expansions without the host's vendor; no host/max, unavailable-features or host fingerprint.")
    var kvmModels = false

    @Flag(help: "Ask only what libvirt's capabilities probe asks (machine type none, host/max expansions), record it as caps_<version>_<arch>.replies in --record DIR, and write its import.")
    var libvirtProbe = false

    func validate() throws {
        if shard != nil, Shard(shard!) == nil { throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N, got '\(shard!)'") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if record != nil, replay != nil { throw ValidationError("--record and --replay cannot be combined") }
        if qemuLauncher != nil, replay != nil { throw ValidationError("--qemu-launcher and --replay cannot be combined (a replay starts no QEMU)") }
        if libvirtProbe { try validateLibvirtProbe() }
    }

    func run() async throws {
        try await reportingErrors {
            if libvirtProbe { return try await runLibvirtProbe() }
            var options = HarvestOptions()
            options.binaries = qemu
            options.accelerators = accel
            options.machineGlobs = machine
            options.modelGlobs = model
            if let jobs { options.jobs = jobs }
            options.shard = shard.flatMap(Shard.init)
            options.timeout = .milliseconds(Int64(timeout * 1000))
            options.recordDirectory = record
            options.extraArguments = qemuArgs
            options.launcher = qemuLauncher
            options.kvmModelsOnly = kvmModels
            options.replayDirectory = replay
            options.sourceDateEpoch = try sourceDateEpoch()
            let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
            var logger = Logger(label: "qcpu.harvest") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .critical
            let result = try await Harvester(options: options, logger: logger).run { done, total, key in
                progress.update("[\(done)/\(total)] \(key.binary) \(key.machine) \(key.accel)")
            }
            progress.finish()
            var path = output
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                path = (path as NSString).appendingPathComponent("qemu-\(result.snapshot.meta.qemuVersion).sqlite")
            }
            let clock = ContinuousClock()
            let writeStart = clock.now
            try SnapshotWriter().write(result.snapshot, to: path)
            let writeTime = clock.now - writeStart
            if !quiet { try summary(path: path, result: result, writeTime: writeTime) }
        }
    }

    private func summary(path: String, result: Harvester.Result, writeTime: Duration) throws {
        let counts = try SnapshotReader(path: path).counts()
        let wall = result.stats.wallTime.seconds
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        note("""
            wrote \(path) (\(size) bytes)
              binaries \(counts.binaries), machine types \(counts.machineTypes) (\(result.snapshot.harvestedMachineTypes) \
            harvested), models \(counts.models), sessions \(counts.sessions)
              expansions \(counts.expansions) (\(counts.failedExpansions) errors), distinct property sets \
            \(counts.distinctPropertySets)
              wall time \(String(format: "%.2f", wall + writeTime.seconds)) s (harvest \(String(format: "%.2f", wall)) s, \
            write \(String(format: "%.2f", writeTime.seconds)) s); waiting on QEMU \(String(format: "%.2f", result.stats.qemuWaitTime.seconds)) s \
            of \(String(format: "%.2f", result.stats.sessionTime.seconds)) s in sessions
            """)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
