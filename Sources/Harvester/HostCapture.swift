import Foundation
import Synchronization
import Logging
import QMP
import SnapshotStore

/// Records this host as QEMU sees it under KVM: a host record.
///
/// A host record (light, `host_record` 2) is a snapshot file of one binary under KVM holding only
/// what depends on the host: per machine type the `host` expansion, migratable and not; the
/// features a realized `host,migratable=off` CPU keeps although the expansion leaves them off
/// (``SnapshotMeta/hostExtraFeatures``: QEMU does not auto-enable `topoext` and the KVM hints);
/// the features KVM offers but a running vCPU refuses (`host_runtime_refused`, ``RuntimeProbe``);
/// the host fingerprint. Each model's own KVM definition comes from the release snapshot.
public struct HostCapture: Sendable {
    /// Session name of the realize probe in recordings.
    static let realizeSession = "host-realize"

    /// The harvest options (one binary; accelerator and expansion types are set by the capture).
    public var options: HarvestOptions
    /// Where diagnostics go.
    public var logger: Logger
    /// Whether ``HarvestOptions/jobs`` was chosen by the caller (else two per core).
    public var jobsGiven = false

    /// Creates a capture.
    public init(options: HarvestOptions,
                logger: Logger = Logger(label: "qcpu.host", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.options = options
        self.logger = logger
    }

    /// The QEMU binary for this machine's architecture on `PATH` (`qemu-system-x86_64`).
    public static func nativeBinary() -> String? {
        var uts = utsname()
        uname(&uts)
        let machine = withUnsafeBytes(of: &uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let arch = machine == "arm64" ? "aarch64" : machine
        return BinaryFile.discover().first { ($0 as NSString).lastPathComponent == "qemu-system-\(arch)" }
    }

    /// Captures the host record.
    ///
    /// - Throws: ``HarvestError`` with ``HarvestError/Code/noKVM`` when KVM is not usable here,
    ///   and every harvest error.
    public func run(progress: Harvester.Progress? = nil) async throws -> Harvester.Result {
        guard options.replayDirectory != nil || HostFingerprint.kvmUsable else {
            throw HarvestError(.noKVM, "KVM is not usable here (/dev/kvm cannot be opened read-write): a host record describes the CPU that KVM gives guests on this host; TCG emulates its CPUs and has no host to describe")
        }
        var options = self.options
        if options.binaries.isEmpty, options.replayDirectory == nil {
            guard let native = Self.nativeBinary() else {
                throw HarvestError(.noQEMU, "no QEMU for this host's architecture on PATH: install it or pass --qemu PATH")
            }
            options.binaries = [native]
        }
        guard options.binaries.count <= 1 else {
            throw HarvestError(.badInput, "a host record describes one QEMU binary; pass one --qemu")
        }
        if !jobsGiven {
            // Light sessions are short and mostly wait on QEMU starting: two per core measured
            // 3.5 s instead of 5.1 s for all 59 machine types of 7.2.22 on 2 cores.
            options.jobs = 2 * ProcessInfo.processInfo.activeProcessorCount
        }
        options.accelerators = ["kvm"]
        options.expansionTypes = ["full"]
        options.qomTypes = false
        // A light record: only the host model; each model's definition comes from the release snapshot.
        options.modelGlobs = ["host"]
        options.replaySkipsUnasked = true
        options.hostExpansionsOnly = true
        // Probe sessions QEMU refused to start are kept in the manifest, like refused harvest sessions.
        let recorded = try options.replayDirectory.map { try RecordingManifest.read(from: $0).refused } ?? [:]
        let early = EarlyRun()
        // Live, the probes need only the machine type they run on: they run while the machine-type
        // sessions do (they mostly wait on QEMU starting). A replay runs them after, as recorded.
        let live = options
        let probeAlongside: Harvester.Alongside = { skeleton in
            guard let binary = skeleton.binaries.first,
                  let machine = RealizeProbe.expectedMachine(binary: binary.name, machines: skeleton.machines,
                                                             globs: live.machineGlobs) else { return }
            var probe = HostCapture.probe(skeleton, binary: binary.name, options: live, recorded: recorded)
            probe.chosenMachine = machine
            let findings = try await probe.run()
            early.value.withLock { $0 = ProbeRun(machine: machine, probe: probe, findings: findings) }
        }
        let alongside = options.replayDirectory == nil ? probeAlongside : nil
        var result = try await Harvester(options: options, logger: logger).run(progress: progress, alongside: alongside)
        guard let binary = result.snapshot.binaries.first, binary.accelerators.contains("kvm") else {
            throw HarvestError(.noKVM, "QEMU cannot use KVM here: no host record")
        }
        var sequential = Self.probe(result.snapshot, binary: binary.name, options: options, recorded: recorded)
        let run: ProbeRun
        if let done = early.value.withLock({ $0 }), done.machine == sequential.machine {
            run = done
        } else {
            // Replaying, or the machine type chosen ahead did not start: probe now.
            if let dir = options.replayDirectory {
                // A recording made before the runtime probe existed cannot replay it (nor the realize
                // probe on its new base): the record then says it was not probed.
                let name = "\(binary.name)/\(RuntimeProbe.sessionName)"
                let file = (dir as NSString).appendingPathComponent(name + ".replies")
                sequential.probeRuntime = recorded[name] != nil || FileManager.default.fileExists(atPath: file)
            }
            let findings = try await sequential.run()
            run = ProbeRun(machine: sequential.machine ?? "", probe: sequential, findings: findings)
        }
        let findings = run.findings
        let probe = run.probe
        result.snapshot.meta.extra[HostRecordKeys.format] = HostRecordKeys.light
        if let extra = findings.extra {
            result.snapshot.meta.hostExtraFeatures = extra
        }
        if let refused = findings.runtimeRefused {
            result.snapshot.meta.extra[HostRecordKeys.runtimeRefused] = JSONValue.array(refused.map { JSONValue.string($0) }).canonicalText
        } else {
            result.snapshot.meta.extra[HostRecordKeys.notProbed] = "replayed from a recording made before the runtime and realize probes"
        }
        result.snapshot.normalize()
        result.stats.sessions += probe.sessions
        try RecordingManifest.addRefusals(probe.refusals, in: options.recordDirectory)
        return result
    }

    /// One run of the runtime and realize probes.
    private struct ProbeRun: Sendable {
        var machine: String
        var probe: RealizeProbe
        var findings: RealizeProbe.Findings
    }

    /// Where the probes run alongside the sessions leave their result.
    private final class EarlyRun: Sendable {
        let value = Mutex<ProbeRun?>(nil)
    }

    /// The probes of `binary`, on the machine type `snapshot` leads to.
    private static func probe(_ snapshot: Snapshot, binary: String, options: HarvestOptions,
                              recorded: [String: String]) -> RealizeProbe {
        RealizeProbe(snapshot: snapshot, binary: binary, executable: options.binaries.first ?? binary,
                     extraArguments: options.extraArguments, provider: options.sessionProvider,
                     recordedRefusals: recorded)
    }
}
