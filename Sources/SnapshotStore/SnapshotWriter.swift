import Foundation
import GRDB
import QMP
import Synchronization

/// Writes a ``Snapshot`` to an SQLite file, atomically and reproducibly.
///
/// The snapshot is built in an in-memory database with natural-key ordering and
/// content-derived ids, then `VACUUM INTO` a temporary file beside the destination, which is
/// fsynced and renamed into place (the directory is then fsynced, best effort): a reader never
/// sees a half-written file, and the same snapshot always gives the same bytes. Temp files of
/// writers that were killed are removed by the first write of a process into the same directory.
public struct SnapshotWriter {
    /// Creates a writer.
    public init() {}

    /// Writes `snapshot` to `path`, replacing any file there.
    public func write(_ snapshot: Snapshot, to path: String) throws {
        var snapshot = snapshot
        snapshot.normalize()
        let db = try DatabaseQueue()
        try db.inDatabase { db in
            for statement in SnapshotSchema.statements { try db.execute(sql: statement) }
            try db.inTransaction {
                try insert(snapshot, into: db)
                return .commit
            }
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if Self.cleanedDirectories.withLock({ $0.insert(dir).inserted }) {
            // Once per directory and process: a fleet of host records is written into one directory.
            SnapshotTempFile.removeStale(in: dir)
        }
        let temp = try SnapshotTempFile(for: path)
        do {
            Self.testDelay()
            try db.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temp.path]) }
            if snapshot.meta.extra[HostRecordKeys.format] != nil {
                // Host records are small and many (a fleet): 1 KiB pages waste less than SQLite's 4 KiB.
                try DatabaseQueue(path: temp.path).writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA page_size = 1024")
                    try db.execute(sql: "VACUUM")
                }
            }
            try Self.sync(temp.path, path: path)
            Self.testDelay()
            guard rename(temp.path, path) == 0 else {
                throw SnapshotError(.cannotWrite, path: path, String(cString: strerror(errno)))
            }
            try? Self.sync(dir.isEmpty ? "." : dir, path: path)
        } catch {
            temp.remove()
            if let error = error as? SnapshotError { throw error }
            throw SnapshotError(.cannotWrite, path: path, "\(error)")
        }
    }

    /// The directories this process has removed stale temp files from.
    private static let cleanedDirectories = Mutex<Set<String>>([])

    /// Test-only: `QCPU_TEST_WRITE_DELAY=MS` sleeps MS milliseconds after the temp file is
    /// created and again before it is renamed, so tests can kill a writer mid-write.
    private static func testDelay() {
        guard let text = ProcessInfo.processInfo.environment["QCPU_TEST_WRITE_DELAY"],
              let ms = UInt32(text), ms > 0 else { return }
        usleep(min(ms, 60_000) * 1000)
    }

    /// Flushes a file (or directory) to disk, so a rename never exposes unwritten data.
    private static func sync(_ file: String, path: String) throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotError(.cannotWrite, path: path, "cannot open \(file) to sync") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SnapshotError(.cannotWrite, path: path, String(cString: strerror(errno))) }
    }

    private func insert(_ s: Snapshot, into db: Database) throws {
        for (key, value) in metaRows(s) {
            try db.cachedStatement(sql: "INSERT INTO meta VALUES (?, ?)").execute(arguments: [key, value])
        }
        var binaryID: [String: Int] = [:]
        for (i, b) in s.binaries.enumerated() {
            binaryID[b.name] = i + 1
            try db.cachedStatement(sql: "INSERT INTO binary VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [
                i + 1, b.name, b.arch, b.size, b.sha256,
                JSONValue.array(b.accelerators.map { .string($0) }).canonicalText])
        }
        let hosts = Set(s.sessions.compactMap(\.host)).sorted()
        var hostID: [HostRecord: Int] = [:]
        for (i, h) in hosts.enumerated() {
            hostID[h] = i + 1
            try db.cachedStatement(sql: "INSERT INTO host VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                i + 1, h.vendor, h.family, h.model, h.stepping, h.modelName, h.microcode, h.kernel])
        }
        var machineID: [String: Int] = [:]
        for (i, m) in s.machines.enumerated() {
            machineID[m.binary + "\u{0}" + m.name] = i + 1
            try db.cachedStatement(sql: "INSERT INTO machine VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                i + 1, try id(binaryID, m.binary, "binary"), m.name, m.alias, m.isDefault, m.deprecated,
                m.defaultCPUType, m.info.canonicalText])
        }
        func mid(_ k: SessionKey) throws -> Int { try id(machineID, k.binary + "\u{0}" + k.machine, "machine \(k)") }
        var typenames: [String: String] = [:]
        for d in s.definitions {
            let key = d.session.binary + "\u{0}" + d.name
            if let known = typenames[key], known != d.typename {
                throw SnapshotError(.corrupt, path: "snapshot", "model \(d.name) has two QOM types: \(known), \(d.typename)")
            }
            typenames[key] = d.typename
        }
        let modelKeys = Set(s.definitions.map { $0.session.binary + "\u{0}" + $0.name }
            + s.expansions.map { $0.key.session.binary + "\u{0}" + $0.key.model }).sorted()
        var modelID: [String: Int] = [:]
        for (i, key) in modelKeys.enumerated() {
            modelID[key] = i + 1
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            try db.execute(sql: "INSERT INTO model VALUES (?, ?, ?, ?)",
                           arguments: [i + 1, try id(binaryID, parts[0], "binary"), parts[1], typenames[key]])
        }
        for r in s.sessions {
            try db.cachedStatement(sql: "INSERT INTO session VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [
                try mid(r.key), r.key.accel, r.host.map { hostID[$0]! }, r.status, r.message,
                JSONValue.array(r.unsupported.map { .string($0) }).canonicalText])
        }
        func featureText(_ list: [String]) -> String { JSONValue.array(list.map { .string($0) }).canonicalText }
        let lists = Set(s.definitions.compactMap { $0.unavailableFeatures.map(featureText) }).sorted()
        var listID: [String: Int] = [:]
        for (i, text) in lists.enumerated() {
            listID[text] = i + 1
            try db.cachedStatement(sql: "INSERT INTO feature_list VALUES (?, ?)").execute(arguments: [i + 1, text])
        }
        for d in s.definitions {
            try db.cachedStatement(sql: "INSERT INTO cpu_definition VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                try mid(d.session), d.session.accel, modelID[d.session.binary + "\u{0}" + d.name]!,
                d.aliasOf, d.isStatic, d.migrationSafe, d.deprecated,
                d.unavailableFeatures.map { listID[featureText($0)]! }])
        }
        var sets = Set<PropertySet>()
        for e in s.expansions { if case .expanded(_, let props) = e.outcome { sets.insert(props) } }
        let table = PropertyTable(sets: sets)
        for (i, p) in table.pairs.enumerated() {
            try db.cachedStatement(sql: "INSERT INTO prop VALUES (?, ?, ?)").execute(arguments: [i + 1, p.name, p.value])
        }
        for d in table.defaults {
            try db.cachedStatement(sql: "INSERT INTO prop_default VALUES (?, ?)").execute(arguments: [d.name, d.pairID])
        }
        for (i, shape) in table.shapes.enumerated() {
            try db.cachedStatement(sql: "INSERT INTO shape VALUES (?, ?)").execute(arguments: [i + 1, shape])
        }
        for (i, e) in table.encoded.enumerated() {
            try db.cachedStatement(sql: "INSERT INTO propset VALUES (?, ?, ?)").execute(arguments: [i + 1, e.shapeID, e.overrides])
        }
        let insertExpansion = try db.makeStatement(sql: "INSERT INTO expansion VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for e in s.expansions {
            let k = e.key
            let model = modelID[k.session.binary + "\u{0}" + k.model]!
            switch e.outcome {
            case .expanded(let name, let props):
                try insertExpansion.execute(arguments: [
                    try mid(k.session), k.session.accel, model, k.type, k.variant, name, table.setIDs[props]!, nil, nil])
            case .failed(let errorClass, let desc):
                try insertExpansion.execute(arguments: [
                    try mid(k.session), k.session.accel, model, k.type, k.variant, nil, nil, errorClass, desc])
            }
        }
        let qomSets = Set(s.qomTypes.map { $0.properties.canonicalText }).sorted()
        var qomID: [String: Int] = [:]
        for (i, text) in qomSets.enumerated() {
            qomID[text] = i + 1
            try db.cachedStatement(sql: "INSERT INTO qom_propset VALUES (?, ?)").execute(arguments: [i + 1, text])
        }
        for q in s.qomTypes {
            try db.cachedStatement(sql: "INSERT INTO qom_type VALUES (?, ?, ?)").execute(arguments: [
                try id(binaryID, q.binary, "binary"), q.typename, qomID[q.properties.canonicalText]!])
        }
    }

    private func id(_ map: [String: Int], _ key: String, _ what: String) throws -> Int {
        guard let value = map[key] else {
            throw SnapshotError(.corrupt, path: "snapshot", "\(what) is referenced but not recorded")
        }
        return value
    }

    /// The `meta` rows: harvest-wide facts and a coverage summary computed from the content.
    func metaRows(_ s: Snapshot) -> [(String, String)] {
        let m = s.meta
        let refused = s.sessions.filter { $0.status != "ok" }.map { JSONValue.string($0.key.description) }
        var unsupported = Set<String>()
        for r in s.sessions { for u in r.unsupported { unsupported.insert("\(r.key.binary): \(u)") } }
        var coverage: JSONValue = [
            "binaries": .array(s.binaries.map { .string($0.name) }),
            "accelerators": .array(Set(s.sessions.map(\.key.accel)).sorted().map { .string($0) }),
            "machine-types": .int(s.harvestedMachineTypes),
            "sessions": .int(s.sessions.count),
            "refused-sessions": .array(refused),
            "host-dependent": .bool(s.sessions.contains { $0.host != nil }),
            "machine-filter": .array(m.machineFilter.map { .string($0) }),
            "model-filter": .array(m.modelFilter.map { .string($0) }),
        ]
        if let partial = m.partialCoverage, case .object(var members) = coverage {
            members.merge(partial.jsonMembers) { _, new in new }
            coverage = .object(members)
        }
        let date = Date(timeIntervalSince1970: TimeInterval(m.harvestTime))
        let iso = ISO8601DateFormatter()
        iso.timeZone = TimeZone(identifier: "UTC")
        var rows = [
            ("coverage", coverage.canonicalText),
            ("format", "qcpu-snapshot"),
            ("harvest_epoch", String(m.harvestTime)),
            ("harvest_time", iso.string(from: date)),
            ("qcpu_version", m.qcpuVersion),
            ("qemu_package", m.qemuPackage),
            ("qemu_version", m.qemuVersion),
            ("schema_version", String(SnapshotSchema.version)),
            ("unsupported", JSONValue.array(unsupported.sorted().map { .string($0) }).canonicalText),
        ]
        for (binary, table) in m.modelTables {
            rows.append((CPUModelTable.metaKey(binary: binary), table.json.canonicalText))
        }
        if let extra = m.hostExtraFeatures {
            rows.append(("host_extra_features", JSONValue.array(extra.sorted().map { .string($0) }).canonicalText))
        }
        let taken = Set(rows.map(\.0))
        rows += m.extra.filter { !taken.contains($0.key) }.map { ($0.key, $0.value) }
        return rows.sorted { $0.0 < $1.0 }
    }
}
