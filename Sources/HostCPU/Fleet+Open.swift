import Foundation
import SnapshotStore

extension Fleet {
    /// A fleet read from files, and the files that were not host records.
    public struct Opened: Sendable {
        /// The hosts; nil when no file was a host record.
        public var fleet: Fleet?
        /// The files that are not host records, in the order given.
        public var unreadable: [HostRecordFiles.Unreadable]
        /// Light records of every host, with their QEMU version and the release snapshot their
        /// models come from (to say when it is another version of the series).
        public var releases: [(host: String, version: String, release: ReleaseSnapshots.Release)] = []

        /// The error naming ``unreadable``; nil when every file was read.
        public var unreadableError: HostCPUError? { HostRecordFiles.error(for: unreadable) }
        /// What `--keep-going` says it skipped; nil when nothing was skipped.
        public var skippedNote: String? { HostRecordFiles.note(for: unreadable, answering: fleet?.hostCount ?? 0) }
    }

    /// Reads the host records at `paths` (then the already open `extra` records, such as a
    /// capture of this host) on `machine` (a name or alias; nil: the default machine type),
    /// computing each distinct host's profile once.
    ///
    /// Light records are read from their pages (``HostRecordScan``): only the meta, the machine
    /// type's sessions and `host` expansions, and the bytes that decide the facts; records with
    /// equal bytes are one host for the question, whose profile ``HostRecordFile`` computes once
    /// (its models from the release snapshot, opened once for all). Other records (old heavy
    /// ones, imports) are opened whole. Files are read in parallel.
    ///
    /// - Throws: ``HostCPUError``: ``HostCPUError/Code/unreadableRecords`` when a file is not a
    ///   host record (unless `keepGoing`: then it is in ``Opened/unreadable``), or the records are
    ///   of different QEMU versions or architectures (or not of `version` when given), or a host
    ///   lacks the machine type.
    public static func open(paths: [String], extra: [HostRecordFile] = [], machine: String?,
                            version: String? = nil, keepGoing: Bool = false,
                            releases: ReleaseSnapshots = .shared) throws -> Opened {
        enum Entry: Sendable {
            case scan(HostRecordScan.Summary, unit: Int)
            case record(Whole)
            case unreadable(HostRecordFiles.Unreadable)
        }
        // Keys are compared as they are read and only the first of each is kept, so memory holds
        // one key per distinct host, not one per file.
        let registry = KeyRegistry()
        let entries = ParallelMap.run(Array(paths.enumerated())) { position, path -> Entry in
            do {
                if let scan = try HostRecordScan.read(path: path, machine: machine) {
                    return .scan(scan.summary, unit: registry.unit(for: scan, position: position))
                }
                return .record(Whole(try HostRecordFile(path: path, releases: releases), machine: machine))
            } catch {
                return .unreadable(.init(path: path, error: error))
            }
        } + extra.map { .record(Whole($0, machine: machine)) }
        var unreadable: [HostRecordFiles.Unreadable] = []
        var hosts: [(name: String, arch: String, version: String)] = []
        let representatives = registry.representatives
        var keyed = representatives.map { (scan: $0, hosts: [String](), positions: [Int]()) }
        var records: [(position: Int, record: Whole)] = []
        for entry in entries {
            switch entry {
            case .unreadable(let u): unreadable.append(u)
            case .scan(let s, let unit):
                keyed[unit].hosts.append(s.name)
                keyed[unit].positions.append(hosts.count)
                hosts.append((s.name, s.arch, s.qemuVersion))
            case .record(let r):
                records.append((hosts.count, r))
                hosts.append((r.name, r.arch, r.qemuVersion))
            }
        }
        if !keepGoing, let error = HostRecordFiles.error(for: unreadable) { throw error }
        guard let first = hosts.first else { return Opened(fleet: nil, unreadable: unreadable) }
        for h in hosts.dropFirst() where h.arch != first.arch || h.version != first.version {
            throw HostCPUError(.mismatch, "host record \(h.name) is \(h.arch) QEMU \(h.version), but \(first.name) is \(first.arch) QEMU \(first.version): compare hosts of one QEMU version and architecture")
        }
        if let version, let h = hosts.first(where: { $0.version != version }) {
            throw HostCPUError(.mismatch, "host record \(h.name) is from QEMU \(h.version), but the question is about QEMU \(version)")
        }

        // Each distinct host read whole once.
        let opened = try ParallelMap.run(representatives) { s -> Result<(HostProfile, HostRecordFile), FleetOpenError> in
            do {
                let r = try HostRecordFile(path: s.path, releases: releases)
                return .success((try r.profile(machine: s.machine), r))
            } catch {
                return .failure(FleetOpenError(error))
            }
        }.map { try $0.get() }
        var units = zip(keyed, opened).map { k, o in Unit(profile: o.0, hosts: k.hosts, positions: k.positions) }
        var releases: [(position: Int, host: String, version: String, release: ReleaseSnapshots.Release)] = []
        for (k, o) in zip(keyed, opened) {
            guard let release = o.1.release else { continue }
            releases += zip(k.positions, k.hosts).map { ($0, $1, o.1.qemuVersion, release) }
        }
        for (position, r) in records {
            units.append(Unit(profile: try r.profile.get(), hosts: [r.name], positions: [position]))
            if let release = r.release { releases.append((position, r.name, r.qemuVersion, release)) }
        }
        return Opened(fleet: try Fleet(units: units, count: hosts.count), unreadable: unreadable,
                      releases: releases.sorted { $0.position < $1.position }.map { ($0.host, $0.version, $0.release) })
    }
}

/// A record opened whole and its profile, computed at once so that the file is closed again (a
/// fleet of old full records would otherwise hold a descriptor per host).
struct Whole: Sendable {
    let name: String, arch: String, qemuVersion: String
    let release: ReleaseSnapshots.Release?
    let profile: Result<HostProfile, FleetOpenError>

    init(_ record: HostRecordFile, machine: String?) {
        name = record.name
        arch = record.arch
        qemuVersion = record.qemuVersion
        release = record.release
        do { profile = .success(try record.profile(machine: machine)) } catch { profile = .failure(FleetOpenError(error)) }
    }
}

/// The distinct keys of a fleet's light records, shared by the threads reading them.
final class KeyRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var byHash: [UInt64: [Int]] = [:]
    private var keys: [[ArraySlice<UInt8>]] = []
    private var firsts: [(position: Int, summary: HostRecordScan.Summary)] = []

    /// The unit of `scan`'s key: a known one, or a new one.
    func unit(for scan: HostRecordScan, position: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if let u = byHash[scan.hash, default: []].first(where: { HostRecordScan.sameKey(keys[$0], scan.key) }) {
            if position < firsts[u].position { firsts[u] = (position, scan.summary) }
            return u
        }
        byHash[scan.hash, default: []].append(keys.count)
        keys.append(scan.key)
        firsts.append((position, scan.summary))
        return keys.count - 1
    }

    /// Each unit's first record, to read whole.
    var representatives: [HostRecordScan.Summary] {
        lock.lock()
        defer { lock.unlock() }
        return firsts.map(\.summary)
    }
}

/// Carries an error out of a parallel map (so the error the question fails with is the original one).
struct FleetOpenError: Error, @unchecked Sendable {
    let error: any Error
    init(_ error: any Error) { self.error = error }
}

extension Result where Failure == FleetOpenError {
    fileprivate func get() throws -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let e): throw e.error
        }
    }
}
