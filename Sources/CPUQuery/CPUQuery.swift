import Foundation
import QMP
import SnapshotStore
import Synchronization

/// Answers CPU-model questions from snapshots, with no QEMU running; when a row is missing
/// and a QEMU of the same version is installed, probes it live (through ``LiveProbing``) and
/// caches the answer in the user's cache snapshot, so the next ask is offline.
public final class CPUQuery: Sendable {
    /// How live probing is used.
    public enum Mode: Sendable {
        /// Snapshots first, live probe for missing rows.
        case auto
        /// Never start QEMU.
        case offline
        /// Always ask a live QEMU (and refresh the cache).
        case live
    }

    /// Which QEMU a question is about.
    public struct Target: Sendable {
        /// `--qemu PATH`: that binary (its version is read from it).
        public var qemu: String?
        /// `--qemu-version V`.
        public var version: String?
        /// Target architecture when no binary is named (`x86_64`).
        public var arch: String
        /// Creates a target.
        public init(qemu: String? = nil, version: String? = nil, arch: String = "x86_64") {
            self.qemu = qemu
            self.version = version
            self.arch = arch
        }
    }

    struct Located: Sendable {
        var origin: String
        var path: String
        var reader: SnapshotReader
        var version: String
        var package: String
        /// The file's binaries (`qemu-system-x86_64`), read when it is opened.
        var binaries: Set<String>
    }

    let locator: SnapshotLocator
    let mode: Mode
    let prober: (any LiveProbing)?
    /// The binary questions are about (`qemu-system-x86_64`).
    public let binary: String
    /// The QEMU version questions are about.
    public let version: String
    let qemuPath: String?
    private let state: Mutex<[Located]>
    /// Per snapshot file (files are immutable): machine types and feature-name maps.
    let machineCache = Mutex<[String: [SnapshotReader.MachineRow]]>([:])
    let featureCache = Mutex<[String: FeatureSpace]>([:])
    let newestCache = Mutex<[String: String]>([:])
    let filterCache = Mutex<[String: [String]]>([:])
    let coverageCache = Mutex<[String: PartialCoverage?]>([:])

    /// Opens the snapshots on `locator`'s search path and picks the QEMU version to answer for:
    /// `--qemu`'s, `--qemu-version`, or the newest snapshot that has the binary.
    ///
    /// - Throws: ``QueryError`` when the path cannot be read, a snapshot is bad, or there is
    ///   neither a snapshot nor a QEMU to answer from.
    public init(locator: SnapshotLocator, target: Target = Target(), mode: Mode = .auto,
                prober: (any LiveProbing)? = nil) throws(QueryError) {
        self.locator = locator
        self.mode = mode
        self.prober = prober
        var located: [Located] = []
        for (origin, path) in try locator.files() {
            do {
                let reader = try SnapshotReader(path: path)
                let meta = try reader.meta()
                // Read (and so checked) here, so that choosing a version below cannot skip a bad file.
                let binaries = Set(try reader.binaries().map(\.name))
                located.append(Located(origin: origin, path: path, reader: reader,
                                       version: meta["qemu_version"] ?? "", package: meta["qemu_package"] ?? "",
                                       binaries: binaries))
            } catch let error as SnapshotError {
                throw QueryError(.badSnapshot, error.description, snapshotError: error)
            } catch {
                throw QueryError(.badSnapshot, "\(path): \(error)")
            }
        }
        if let qemu = target.qemu {
            guard FileManager.default.isExecutableFile(atPath: qemu) else {
                throw QueryError(.qemuUnavailable, "\(qemu): not an executable QEMU binary")
            }
            guard let v = QEMUVersion.of(binary: qemu) else {
                throw QueryError(.qemuUnavailable, "\(qemu): cannot read its version (\(qemu) --version)")
            }
            version = v
            binary = (qemu as NSString).lastPathComponent
            qemuPath = qemu
        } else if let v = target.version {
            let name = "qemu-system-\(target.arch)"
            binary = name
            qemuPath = nil
            if QEMUVersion.isSeries(v) {
                // A series (10.0): the newest release of it that a snapshot has this binary of, else
                // of any binary, else an installed QEMU of the series (probed live).
                let having = located.filter { $0.binaries.contains(name) }
                if let newest = QEMUVersion.newest(inSeries: v, of: having.map(\.version))
                    ?? QEMUVersion.newest(inSeries: v, of: located.map(\.version))
                    ?? (mode == .offline ? nil : QEMUVersion.installed(named: name).flatMap { QEMUVersion.inSeries($0, v) ? $0 : nil }) {
                    version = newest
                } else {
                    let known = Set(located.map(\.version)).sorted(by: QEMUVersion.less).joined(separator: ", ")
                    throw QueryError(.noSnapshot, "no snapshot of QEMU \(v).x (snapshots: \(known.isEmpty ? "none" : known))\(mode == .offline ? "" : ", and no installed \(name) of that series"); name a whole version or harvest one")
                }
            } else {
                version = v
            }
        } else {
            // The newest snapshot that has this binary, else the newest of all.
            let name = "qemu-system-\(target.arch)"
            let having = located.filter { $0.binaries.contains(name) }
            guard let newest = (having.isEmpty ? located : having).map(\.version).max(by: QEMUVersion.less) else {
                let searched = locator.searchPath.map(\.path).joined(separator: ", ")
                throw QueryError(.noSnapshot, "no snapshot found (searched \(searched)); install qcpu's snapshots, harvest one with 'qcpu harvest -o FILE', or name one with --snapshot or QCPU_SNAPSHOT_PATH")
            }
            version = newest
            binary = "qemu-system-\(target.arch)"
            qemuPath = nil
        }
        state = Mutex(located)
    }

    /// The snapshots of the chosen version, in search order.
    var candidates: [Located] { state.withLock { $0.filter { $0.version == version } } }

    /// `QEMU 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)`: the build behind `source`'s file.
    public func build(of source: AnswerSource) -> String {
        let build = buildInfo(of: source)
        return build.package.isEmpty ? "QEMU \(build.version)" : "QEMU \(build.version) (\(build.package))"
    }

    /// The QEMU version and package string of the snapshot behind `source`.
    public func buildInfo(of source: AnswerSource) -> (version: String, package: String) {
        let path: String
        switch source {
        case .snapshot(let p), .cache(let p): path = p
        case .live(_, let c): path = c
        }
        let package = state.withLock { $0.first { $0.path == path }?.package } ?? ""
        return (version, package)
    }

    /// Every QEMU build the snapshots on the search path cover.
    public func builds() throws -> [BuildInfo] {
        try state.withLock { $0 }.map { l in
            let binaries = try l.reader.binaries()
            return BuildInfo(version: l.version, package: l.package, file: l.path, origin: l.origin, binaries: binaries)
        }
    }

    /// The machine types of the binary in `reader`, cached per file.
    func machineRows(_ reader: SnapshotReader) throws -> [SnapshotReader.MachineRow] {
        if let rows = machineCache.withLock({ $0[reader.path] }) { return rows }
        let rows = try reader.machines(binary: binary)
        machineCache.withLock { $0[reader.path] = rows }
        return rows
    }

    func source(_ l: Located) -> AnswerSource { l.origin == "cache" ? .cache(l.path) : .snapshot(l.path) }

    /// The first snapshot of the chosen version with `binary`'s machine types, or a live probe.
    func machineSource() async throws -> (Located, AnswerSource) {
        if mode != .live {
            for c in candidates where try !machineRows(c.reader).isEmpty { return (c, source(c)) }
        }
        return try await probe(machines: ["none"], accel: "tcg", models: [], reason: "machine types of \(binary)")
    }

    /// Resolves a machine name or alias (`q35`) against the known machine types, or the default.
    func resolveMachine(_ name: String?) async throws -> String {
        let (located, _) = try await machineSource()
        let machines = try machineRows(located.reader)
        guard let name else {
            guard let d = machines.first(where: { $0.info["is-default"]?.boolValue == true }) ?? machines.first else {
                throw QueryError(.unknownName, "\(binary) has no machine types")
            }
            return d.name
        }
        if machines.contains(where: { $0.name == name }) { return name }
        if let byAlias = machines.first(where: { $0.info["alias"]?.stringValue == name }) { return byAlias.name }
        throw QueryError.unknown("machine type", name, among: machines.map(\.name),
                                 context: "for \(binary) (QEMU \(version))")
    }

    /// The snapshot holding the session (machine, accel), probing it live when missing.
    /// `expansions`: whether the question needs full expansions (all but `models` do).
    func sessionSource(machine: String, accel: String, model: String? = nil, expansions: Bool = true) async throws -> (Located, AnswerSource) {
        // tcg and kvm can be probed here; others (hvf, mshv from imported libvirt files) only answer offline.
        let known = Set(["tcg", "kvm"]).union(try candidates.flatMap { try $0.reader.binaries().flatMap(\.accelerators) })
        guard known.contains(accel) else {
            throw QueryError.unknown("accelerator", accel, among: known.sorted(), context: "")
        }
        if mode != .live {
            for c in candidates {
                guard let session = try c.reader.session(binary: binary, machine: machine, accel: accel) else { continue }
                if session.status != "ok" {
                    throw QueryError(.qemuUnavailable, "QEMU \(version) does not start \(binary) -machine \(machine),accel=\(accel): \(session.message ?? session.status)")
                }
                if let model, try !modelFilter(c.reader).isEmpty,
                   try c.reader.definition(binary: binary, machine: machine, accel: accel, model: model) == nil {
                    continue  // harvested with --model: this model may be elsewhere
                }
                if expansions, try importLacksExpansions(c, machine: machine, accel: accel, model: model) { continue }
                return (c, source(c))
            }
        }
        return try await probe(machines: [machine], accel: accel, models: [],
                               reason: "\(binary) -machine \(machine),accel=\(accel)")
    }

    /// Probes live and merges the rows into the cache snapshot, which then answers.
    func probe(machines: [String], accel: String, models: [String], reason: String) async throws -> (Located, AnswerSource) {
        let what = "no snapshot has \(reason) for QEMU \(version)" + coverageNote()
        guard mode != .offline else {
            throw QueryError(.qemuUnavailable, "\(what), and --offline forbids probing; harvest it with 'qcpu harvest' or drop --offline")
        }
        guard let prober else { throw QueryError(.qemuUnavailable, "\(what), and live probing is not available") }
        guard let qemu = qemuPath ?? QEMUVersion.findBinary(named: binary, version: version) else {
            throw QueryError(.qemuUnavailable, "\(what); install QEMU \(version) (\(binary)) to probe it live, or point at a snapshot that has it with --snapshot")
        }
        let fragment: Snapshot
        do {
            fragment = try await prober.probe(ProbeRequest(qemu: qemu, machines: machines, accel: accel, models: models))
        } catch {
            throw QueryError(.probeFailed, "probing \(qemu) for \(reason) failed: \(error)")
        }
        let cachePath = locator.cacheDirectory + "/qemu-\(version).sqlite"
        do {
            try FileManager.default.createDirectory(atPath: locator.cacheDirectory, withIntermediateDirectories: true)
            // Another qcpu may fill the same cache at once: under the lock, the file read is the
            // one the other wrote last, so neither loses the other's rows.
            try await FileLock.withExclusive(locator.cacheDirectory + "/.qemu-\(version).sqlite.lock") {
                var parts = [fragment]
                if let existing = try? SnapshotReader(path: cachePath).load() { parts.insert(existing, at: 0) }
                let merged = (try? Snapshot.merged(parts)) ?? fragment
                try SnapshotWriter().write(merged, to: cachePath)
            }
            let reader = try SnapshotReader(path: cachePath)
            let located = Located(origin: "cache", path: cachePath, reader: reader, version: version,
                                  package: fragment.meta.qemuPackage, binaries: Set(try reader.binaries().map(\.name)))
            state.withLock { list in
                list.removeAll { $0.path == cachePath }
                list.insert(located, at: 0)
            }
            return (located, .live(qemu: qemu, cachedIn: cachePath))
        } catch {
            throw QueryError(.probeFailed, "cannot write the cache \(cachePath): \(error)")
        }
    }
}

extension CPUQuery {
    /// The `--model` filter a snapshot was harvested with (cached per file).
    func modelFilter(_ reader: SnapshotReader) throws -> [String] {
        if let cached = filterCache.withLock({ $0[reader.path] }) { return cached }
        let filter = try reader.coverageFilter("model-filter")
        filterCache.withLock { $0[reader.path] = filter }
        return filter
    }
}
