import ArgumentParser
import CPUQuery
import Foundation
import Harvester
import HostCPU
import SnapshotStore

/// `--host FILE|local` and `--host-dir DIR`: the host records a question is about.
struct HostOptions: ParsableArguments {
    @Option(name: .customLong("host"),
            help: ArgumentHelp("A host record from 'qcpu host capture', or 'local' to capture this host now (repeatable).", valueName: "file"),
            completion: .file(extensions: ["sqlite"]))
    var hosts: [String] = []

    @Option(name: .customLong("host-dir"), help: ArgumentHelp("Every host record (*.sqlite) in this directory.", valueName: "dir"),
            completion: .directory)
    var hostDirs: [String] = []

    /// Whether any host was named.
    var given: Bool { !hosts.isEmpty || !hostDirs.isEmpty }

    /// Opens the named host records (capturing this host for `local`, only on `machine` when the
    /// question names one) and checks they agree on QEMU version and architecture, and with
    /// `version` when the question names one. Notes on stderr when records take their models
    /// from another version of their series, unless `noting` is false (`host show` prints them).
    func load(version: String? = nil, machine: String? = nil, noting: Bool = true) async throws -> [HostRecordFile] {
        var paths: [String] = []
        for dir in hostDirs {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                throw HostCPUError(.noHosts, "\(dir): cannot read the host directory")
            }
            paths += names.filter { $0.hasSuffix(".sqlite") }.sorted().map { (dir as NSString).appendingPathComponent($0) }
        }
        var records: [HostRecordFile] = []
        for h in hosts where h != "local" { paths.append(h) }
        for p in paths {
            guard FileManager.default.fileExists(atPath: p) else {
                throw HostCPUError(.noHosts, "\(p): no such host record")
            }
            records.append(try HostRecordFile(path: p))
        }
        if hosts.contains("local") { records.append(try await Self.captureLocal(machine: machine)) }
        try HostRecordFile.checkCompatible(records)
        if noting { Self.noteOtherReleases(records) }
        if let version, let r = records.first(where: { $0.qemuVersion != version }) {
            throw HostCPUError(.mismatch, "host record \(r.name) is from QEMU \(r.qemuVersion), but the question is about QEMU \(version)")
        }
        return records
    }

    /// Says on stderr, once per QEMU version, when light records take their models from the
    /// snapshot of another version of their series (an imported 7.2.0 record from 7.2.22's).
    static func noteOtherReleases(_ records: [HostRecordFile]) {
        var names: [String: [String]] = [:], order: [String] = []
        for r in records {
            guard let release = r.release, release.version != r.qemuVersion else { continue }
            let key = "\(r.qemuVersion)\t\(release.version)\t\(release.path)"
            if names[key] == nil { order.append(key) }
            names[key, default: []].append(r.name)
        }
        for key in order {
            let parts = key.split(separator: "\t").map(String.init), n = names[key]!
            let who = n.count == 1 ? "host record \(n[0]) (QEMU \(parts[0])) takes its" : "\(n.count) host records of QEMU \(parts[0]) take their"
            note("note: \(who) models from the snapshot of QEMU \(parts[1]) (\(parts[2])), the newest of the \(ReleaseSnapshots.series(parts[0])) series here")
        }
    }

    /// Captures this host (every machine type, or just `machine`: a name or an alias) into a
    /// temporary file that is removed once opened.
    static func captureLocal(machine: String? = nil) async throws -> HostRecordFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qcpu-host-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = HarvestOptions()
        options.sourceDateEpoch = 0
        options.machineGlobs = machine.map { [$0] } ?? []
        let result = try await HostCapture(options: options).run()
        let path = dir + "/local.sqlite"
        try SnapshotWriter().write(result.snapshot, to: path)
        return try HostRecordFile(path: path)
    }

    /// The profiles of `records` on `machine`.
    static func profiles(_ records: [HostRecordFile], machine: String?) throws -> [HostProfile] {
        try records.map { try $0.profile(machine: machine) }
    }
}

/// What the host questions share: the hosts, the machine type, the output format.
struct HostQuestionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Machine type or alias (default: the binary's default).", valueName: "machine"),
            completion: .custom(Completion.machines))
    var machine: String?

    @OptionGroup var hosts: HostOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    /// Every named host on the machine type.
    func profiles() async throws -> [HostProfile] {
        try HostOptions.profiles(try await hosts.load(machine: machine), machine: machine)
    }
}
