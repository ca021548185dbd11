import Foundation
import Logging
import QMP
import SnapshotStore

/// Batch-probes QEMU binaries × machine types × accelerators over QMP into a ``Snapshot``.
///
/// Sessions run in parallel (``HarvestOptions/jobs``) and are sorted before they are stored, so
/// the result does not depend on timing. A session that fails (crash, hang, garbage) is
/// reported while the rest go on; the harvest then throws ``HarvestError`` with every failure
/// instead of returning a partial snapshot.
public struct Harvester: Sendable {
    /// The qcpu version written into snapshots.
    public static let qcpuVersion = "0.1.0"

    /// What a finished harvest gives back.
    public struct Result: Sendable {
        /// The snapshot, ready to write.
        public var snapshot: Snapshot
        /// Timing of the run.
        public var stats: Stats
    }

    /// Timing of a harvest.
    public struct Stats: Sendable {
        /// QEMU processes run (probes included).
        public var sessions = 0
        /// Wall time of the whole harvest.
        public var wallTime: Duration = .zero
        /// Sum of the sessions' time waiting for QEMU's answers (greeting included).
        public var qemuWaitTime: Duration = .zero
        /// Sum of the sessions' durations (QEMU start to reaped).
        public var sessionTime: Duration = .zero
    }

    /// A progress report: sessions done, sessions in all, the session just finished.
    public typealias Progress = @Sendable (_ done: Int, _ total: Int, _ session: SessionKey) -> Void

    /// Work run while the sessions run, given the snapshot so far (binaries and machine types, no
    /// sessions yet); the harvest returns once both are done, and throws what it throws.
    public typealias Alongside = @Sendable (_ skeleton: Snapshot) async throws -> Void

    /// The options of this harvester.
    public var options: HarvestOptions
    /// Where diagnostics go.
    public var logger: Logger

    /// Creates a harvester.
    public init(options: HarvestOptions,
                logger: Logger = Logger(label: "qcpu.harvest", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.options = options
        self.logger = logger
    }

    /// Runs the harvest.
    public func run(progress: Progress? = nil, alongside: Alongside? = nil) async throws -> Result {
        var options = self.options
        var manifest: RecordingManifest?
        if let replay = options.replayDirectory {
            let recorded = try RecordingManifest.read(from: replay)
            if options.accelerators.isEmpty { options.accelerators = recorded.accelerators }
            if options.machineGlobs.isEmpty { options.machineGlobs = recorded.machineGlobs }
            if options.modelGlobs.isEmpty { options.modelGlobs = recorded.modelGlobs }
            manifest = recorded
        }
        return try await Harvester(options: options, logger: logger).harvest(replaying: manifest, progress: progress,
                                                                             alongside: alongside)
    }

    private func harvest(replaying manifest: RecordingManifest?, progress: Progress?,
                         alongside: Alongside?) async throws -> Result {
        let clock = ContinuousClock()
        let started = clock.now
        for accel in options.accelerators where !["kvm", "tcg"].contains(accel) {
            throw HarvestError(.badInput, "unknown accelerator '\(accel)' (known: kvm, tcg)")
        }
        let provider = options.sessionProvider
        var binaries: [BinaryFile]
        var host: HostRecord?
        var refused: [String: String] = [:]
        if options.replayDirectory != nil, let manifest {
            let wanted = Set(options.binaries.map { ($0 as NSString).lastPathComponent })
            binaries = manifest.binaries.filter { wanted.isEmpty || wanted.contains($0.name) }
            host = manifest.host
            refused = manifest.refused
        } else {
            let paths = options.binaries.isEmpty ? BinaryFile.discover() : options.binaries
            binaries = []
            for path in paths { binaries.append(try await BinaryFile.measure(path)) }
        }
        guard !binaries.isEmpty else {
            throw HarvestError(.noQEMU, "no QEMU binary: install QEMU (qemu-system-*) or pass --qemu PATH")
        }
        binaries.sort { $0.name < $1.name }

        let wantKVM = options.accelerators.isEmpty || options.accelerators.contains("kvm")
        let kvmHere = options.replayDirectory != nil || HostFingerprint.kvmUsable
        var stats = Stats()
        var probes: [String: BinaryProbe] = [:]
        for binary in binaries {
            do {
                probes[binary.name] = try await BinaryProbe.run(
                    binary: binary, withKVM: wantKVM && kvmHere, modelGlobs: options.modelGlobs,
                    extraArguments: options.extraArguments, qomTypes: options.qomTypes, provider: provider)
                stats.sessions += 1
            } catch {
                throw HarvestError(.probeFailed, "\(binary.name): cannot probe: \(error)")
            }
        }
        let versions = Set(probes.values.map { "\($0.qemuVersion) (\($0.qemuPackage))" })
        guard versions.count == 1, let first = probes[binaries[0].name] else {
            throw HarvestError(.mixedBuilds, "the binaries are from different QEMU builds: \(versions.sorted().joined(separator: ", ")); harvest each build into its own snapshot")
        }

        var jobs: [(SessionKey, BinaryFile)] = []
        var records: [BinaryRecord] = []
        for binary in binaries {
            let probe = probes[binary.name]!
            var accels = options.accelerators.isEmpty ? ["kvm", "tcg"] : options.accelerators.sorted()
            if !probe.kvmEnabled { accels.removeAll { $0 == "kvm" } }
            records.append(BinaryRecord(name: binary.name, arch: probe.arch, size: binary.size,
                                        sha256: binary.sha256, accelerators: accels))
            for machine in probe.machines where Glob.matches(machine, any: options.machineGlobs) {
                for accel in accels { jobs.append((SessionKey(binary: binary.name, machine: machine.name, accel: accel), binary)) }
            }
        }
        if options.accelerators == ["kvm"], !records.contains(where: { $0.accelerators.contains("kvm") }) {
            throw HarvestError(.noKVM, "KVM was asked for, but no binary can use it here (is /dev/kvm usable?)")
        }
        jobs.sort { $0.0 < $1.0 }
        if let shard = options.shard { jobs = jobs.enumerated().filter { shard.contains($0.offset) }.map(\.element) }
        if jobs.contains(where: { $0.0.accel == "kvm" }), host == nil, !options.kvmModelsOnly { host = HostFingerprint.current() }

        var snapshot = Snapshot(meta: SnapshotMeta(
            qcpuVersion: Self.qcpuVersion, qemuVersion: first.qemuVersion, qemuPackage: first.qemuPackage,
            harvestTime: options.sourceDateEpoch ?? Int64(Date().timeIntervalSince1970),
            machineFilter: options.machineGlobs.sorted(), modelFilter: options.modelGlobs.sorted()))
        snapshot.binaries = records
        for probe in probes.values {
            snapshot.machines += probe.machines
            snapshot.qomTypes += probe.qomTypes
        }
        for binary in binaries where options.modelTables && CPUModelTableProbe.applies(arch: probes[binary.name]!.arch) {
            do {
                let probe = CPUModelTableProbe(binary: binary, extraArguments: options.extraArguments, provider: provider)
                snapshot.meta.modelTables[binary.name] = try await probe.run()
                stats.sessions += 1
            } catch {
                throw HarvestError(.probeFailed, "\(binary.name): cannot record its CPU model table: \(error)")
            }
        }

        let skeleton = snapshot
        async let besides: Void = Self.run(alongside, skeleton)
        let outcomes = await runSessions(jobs, host: host, refused: refused, provider: provider, progress: progress)
        try await besides
        var failures: [String] = []
        var newlyRefused: [String: String] = [:]
        for outcome in outcomes {
            switch outcome {
            case .probed(let probe):
                snapshot.sessions.append(probe.session)
                snapshot.definitions += probe.definitions
                snapshot.expansions += probe.expansions
                stats.qemuWaitTime += probe.waitTime
                stats.sessionTime += probe.duration
            case .refused(let key, let message):
                snapshot.sessions.append(SessionRecord(key: key, host: key.accel == "kvm" ? host : nil,
                                                       status: "refused", message: message))
                newlyRefused[key.description] = message
            case .failed(let key, let message):
                failures.append("\(key.binary) \(key.machine) \(key.accel): \(message)")
            }
        }
        stats.sessions += outcomes.count
        if let dir = options.recordDirectory {
            try RecordingManifest(binaries: binaries, host: host, refused: newlyRefused,
                                  accelerators: options.accelerators.sorted(), machineGlobs: options.machineGlobs.sorted(),
                                  modelGlobs: options.modelGlobs.sorted()).write(to: dir)
        }
        guard failures.isEmpty else {
            throw HarvestError(.sessionsFailed, "\(failures.count) of \(jobs.count) sessions failed", failures: failures.sorted())
        }
        if options.kvmModelsOnly {
            for binary in binaries where records.first(where: { $0.name == binary.name })?.accelerators.contains("kvm") == true {
                let probe = RealizeProbe(snapshot: snapshot, binary: binary.name, executable: binary.path,
                                         extraArguments: options.extraArguments, provider: provider, recordedRefusals: refused)
                let findings = try await probe.run()
                stats.sessions += probe.sessions
                try RecordingManifest.addRefusals(probe.refusals, in: options.recordDirectory)
                snapshot.meta.extra[HostRecordKeys.snapshotExtra(binary: binary.name)] =
                    JSONValue.array((findings.extra ?? []).map { JSONValue.string($0) }).canonicalText
            }
        }
        snapshot.normalize()
        stats.wallTime = clock.now - started
        return Result(snapshot: snapshot, stats: stats)
    }

    private static func run(_ alongside: Alongside?, _ skeleton: Snapshot) async throws {
        try await alongside?(skeleton)
    }

    enum SessionOutcome: Sendable {
        case probed(SessionProbe)
        case refused(SessionKey, String)
        case failed(SessionKey, String)
    }

    private func runSessions(_ jobs: [(SessionKey, BinaryFile)], host: HostRecord?, refused: [String: String],
                             provider: any QMPSessionProvider, progress: Progress?) async -> [SessionOutcome] {
        let modelGlobs = options.modelGlobs
        let extraArguments = options.extraArguments
        let expansionTypes = options.expansionTypes
        let hostIndependent = options.kvmModelsOnly
        let hostOnly = options.hostExpansionsOnly
        let logger = self.logger
        let width = max(1, options.jobs)
        let cache = ExpansionCache()
        return await withTaskGroup(of: (Int, SessionOutcome).self) { group in
            var results = [SessionOutcome?](repeating: nil, count: jobs.count)
            var next = 0
            var done = 0
            func launch(_ i: Int) {
                let (key, binary) = jobs[i]
                group.addTask {
                    if let message = refused[key.description] { return (i, .refused(key, message)) }
                    do {
                        let probe = try await SessionProbe.run(key: key, binary: binary, host: host,
                                                               modelGlobs: modelGlobs, cache: cache,
                                                               extraArguments: extraArguments, expansionTypes: expansionTypes,
                                                               hostIndependent: hostIndependent, hostOnly: hostOnly,
                                                               provider: provider)
                        return (i, .probed(probe))
                    } catch let error as QMPError {
                        // Before its greeting QEMU has been asked nothing: an exit with an error, or an
                        // abort() (QEMU 11.1 aborts on a board's missing firmware through &error_abort), is
                        // QEMU refusing the machine type.
                        if error.code == .processExited, error.beforeGreeting, let status = error.exitStatus,
                           (status.hasPrefix("exited") && status != "exited 0") || status == "signal \(SIGABRT)" {
                            // Warnings and missing-module notes vary with the installed packages; keep the error.
                            let reason = (error.stderr ?? "").components(separatedBy: " | ")
                                .filter { !$0.contains("warning:") && !$0.contains("do you want to install") }
                                .joined(separator: " ")
                            return (i, .refused(key, reason.isEmpty ? status : reason))
                        }
                        logger.error("\(key.binary) \(key.machine) \(key.accel): \(error)")
                        return (i, .failed(key, "\(error.code): \(error)"))
                    } catch {
                        logger.error("\(key.binary) \(key.machine) \(key.accel): \(error)")
                        return (i, .failed(key, "\(error)"))
                    }
                }
            }
            while next < min(width, jobs.count) { launch(next); next += 1 }
            while let (i, outcome) = await group.next() {
                results[i] = outcome
                done += 1
                progress?(done, jobs.count, jobs[i].0)
                if next < jobs.count { launch(next); next += 1 }
            }
            return results.compactMap { $0 }
        }
    }
}
