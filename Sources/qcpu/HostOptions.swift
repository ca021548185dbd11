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

    @Option(name: .customLong("host-dir"),
            help: ArgumentHelp("Every regular file in this directory is a host record, whatever its name (dotfiles and subdirectories are skipped; repeatable).",
                               valueName: "dir"),
            completion: .directory)
    var hostDirs: [String] = []

    @Flag(name: .customLong("keep-going"),
          help: "Skip files that are not host records (saying so on stderr) and answer for the rest, instead of failing with exit status 65.")
    var keepGoing = false

    /// Whether any host was named.
    var given: Bool { !hosts.isEmpty || !hostDirs.isEmpty }

    /// Opens the named host records (capturing this host for `local`, only on `machine` when the
    /// question names one) and checks they agree on QEMU version and architecture, and with
    /// `version` when the question names one. A file that is not a host record fails the
    /// question, or with `--keep-going` is skipped with a note on stderr. Notes on stderr when
    /// records take their models from another version of their series, unless `noting` is
    /// false (`host show` prints them).
    func load(version: String? = nil, machine: String? = nil, noting: Bool = true,
              snapshots: [String] = []) async throws -> [HostRecordFile] {
        // Each open record holds a file descriptor: a big directory needs more than the usual 1024.
        Self.raiseDescriptorLimit()
        // One set of release snapshots for every record, the local capture's included.
        let releases = Self.releases(snapshots)
        let opened = try HostRecordFiles.open(files: hosts.filter { $0 != "local" }, directories: hostDirs,
                                             releases: releases)
        if keepGoing {
            if let skipped = opened.skippedNote { note("qcpu: \(skipped)") }
        } else {
            try opened.requireAllRead()
        }
        var records = opened.records
        if hosts.contains("local") { records.append(try await Self.captureLocal(machine: machine, releases: releases)) }
        if records.isEmpty, let error = opened.unreadableError { throw error }
        if records.isEmpty, !hostDirs.isEmpty {
            throw HostCPUError(.noHosts, "no host records in \(hostDirs.joined(separator: ", "))")
        }
        try HostRecordFile.checkCompatible(records)
        if noting { Self.noteOtherReleases(records) }
        if let version, let r = records.first(where: { $0.qemuVersion != version }) {
            throw HostCPUError(.mismatch, "host record \(r.name) is from QEMU \(r.qemuVersion), but the question is about QEMU \(version)")
        }
        return records
    }

    /// The named hosts on `machine`, identical hosts grouped (each distinct host computed once;
    /// light records read from their pages). A file that is not a host record fails the
    /// question, or with `--keep-going` is skipped with a note on stderr.
    func fleet(version: String? = nil, machine: String?, snapshots: [String] = []) async throws -> Fleet {
        let paths = try HostRecordFiles.paths(files: hosts.filter { $0 != "local" }, directories: hostDirs)
        let releases = Self.releases(snapshots)
        let local = hosts.contains("local") ? [try await Self.captureLocal(machine: machine, releases: releases)] : []
        let opened = try Fleet.open(paths: paths, extra: local, machine: machine, version: version, keepGoing: keepGoing,
                                    releases: releases)
        if let skipped = opened.skippedNote { note("qcpu: \(skipped)") }
        Self.noteOtherReleases(opened.releases)
        guard let fleet = opened.fleet else {
            if let error = opened.unreadableError { throw error }
            throw HostCPUError(.noHosts, hostDirs.isEmpty
                ? "no host record given (--host FILE, --host-dir DIR or --host local)"
                : "no host records in \(hostDirs.joined(separator: ", "))")
        }
        return fleet
    }

    /// Where light records find their release snapshots: the `--snapshot` files when given,
    /// else the search path.
    static func releases(_ snapshots: [String]) -> ReleaseSnapshots {
        snapshots.isEmpty ? .shared : ReleaseSnapshots(locator: SnapshotLocator(explicitFiles: snapshots, executable: executablePath()))
    }

    /// Raises the soft limit of open files to the hard limit (as Go programs do at start).
    static func raiseDescriptorLimit() {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }

    /// Says on stderr, once per QEMU version, when light records take their models from the
    /// snapshot of another version of their series (an imported 7.2.0 record from 7.2.22's).
    static func noteOtherReleases(_ records: [HostRecordFile]) {
        noteOtherReleases(records.compactMap { r in r.release.map { (r.name, r.qemuVersion, $0) } })
    }

    /// Says it for hosts named with their QEMU version and the release snapshot their models come from.
    static func noteOtherReleases(_ hosts: [(host: String, version: String, release: ReleaseSnapshots.Release)]) {
        struct Pair: Hashable { var version: String, release: String, path: String }
        var names: [Pair: [String]] = [:], order: [Pair] = []
        for (host, version, release) in hosts where release.version != version {
            let key = Pair(version: version, release: release.version, path: release.path)
            if names[key] == nil { order.append(key) }
            names[key, default: []].append(host)
        }
        for key in order {
            let n = names[key] ?? []
            let who = n.count == 1 ? "host record \(n[0]) (QEMU \(key.version)) takes its" : "\(n.count) host records of QEMU \(key.version) take their"
            note("note: \(who) models from the snapshot of QEMU \(key.release) (\(key.path)), the newest of the \(ReleaseSnapshots.series(key.version)) series here")
        }
    }

    /// Captures this host (every machine type, or just `machine`: a name or an alias) into a
    /// temporary file that is removed once opened.
    static func captureLocal(machine: String? = nil, releases: ReleaseSnapshots = .shared) async throws -> HostRecordFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qcpu-host-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = HarvestOptions()
        options.sourceDateEpoch = 0
        options.machineGlobs = machine.map { [$0] } ?? []
        let result = try await HostCapture(options: options).run()
        let path = dir + "/local.sqlite"
        try SnapshotWriter().write(result.snapshot, to: path)
        return try HostRecordFile(path: path, releases: releases)
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

    @OptionGroup var releases: ReleaseSnapshotOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    /// Every named host on the machine type, identical hosts grouped.
    func fleet() async throws -> Fleet {
        try await hosts.fleet(machine: machine, snapshots: releases.snapshots)
    }
}

/// `--snapshot FILE`: where light host records find their models, for host questions that have no
/// other snapshot option.
struct ReleaseSnapshotOptions: ParsableArguments {
    @Option(name: .customLong("snapshot"),
            help: ArgumentHelp("Take the models of light host records from this snapshot file instead of the search path (repeatable).",
                               valueName: "file"),
            completion: .file(extensions: ["sqlite"]))
    var snapshots: [String] = []
}
