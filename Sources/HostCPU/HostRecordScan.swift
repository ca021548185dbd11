import Foundation
import QMP
import SnapshotStore

/// What a fleet question needs from one light host record, read from its pages without SQLite
/// (``SnapshotPages``): its name and QEMU, the machine type a name resolves to, and the bytes
/// that decide its facts there, so that identical hosts are recognised without decoding them.
///
/// The key holds everything ``HostRecordFile/profile(machine:)`` computes a light record's
/// profile from, apart from the release snapshot (one per QEMU version and binary, both in the
/// key): the meta values it reads, the binary, the machine type, the ids of the `host`
/// expansions it decodes (on the machine type, and on the first KVM machine type, whose spellings
/// the feature names take), and every page of the tables those ids resolve through (`propset`,
/// `shape`, `prop`, `prop_default`). Equal keys give equal profiles.
struct HostRecordScan: Sendable {
    /// The file.
    var path: String
    /// How answers name the host.
    var name: String
    /// The target architecture and QEMU version.
    var arch: String, qemuVersion: String
    /// The machine type the question's name resolved to.
    var machine: String
    /// The bytes that decide the facts.
    var key: [UInt8]
    /// A hash of ``key``.
    var hash: UInt64

    /// Reads `path`'s light record on `machine` (a name or alias, or the default machine type);
    /// nil when the file is not a light record or anything about it is unusual, so that
    /// ``HostRecordFile`` reads it and says what is wrong.
    ///
    /// - Throws: ``SnapshotError`` for a file that is not a good snapshot.
    static func read(path: String, machine: String?) throws(SnapshotError) -> HostRecordScan? {
        let pages = try SnapshotPages(path: path)
        var meta: [String: String] = [:]
        try pages.scan(root: try pages.root("meta")) { (row) throws(SnapshotError) in
            if let k = try row.text(0), let v = try row.text(1) { meta[k] = v }
        }
        guard meta[HostRecordKeys.format] == HostRecordKeys.light, let version = meta["qemu_version"] else { return nil }
        var binaries: [(id: Int64, name: String, arch: String)] = []
        try pages.scan(root: try pages.root("binary")) { (row) throws(SnapshotError) in
            let accels = (try? JSONParser.parse(try row.text(5) ?? ""))?.arrayValue ?? []
            if accels.contains("kvm"), let id = row.rowid, let name = try row.text(1), let arch = try row.text(2) {
                binaries.append((id, name, arch))
            }
        }
        guard binaries.count == 1, let binary = binaries.first else { return nil }
        var kvm: [Int64] = []
        var fingerprinted = false
        try pages.scan(root: try pages.root("session")) { (row) throws(SnapshotError) in
            if try row.text(1) == "kvm", try row.text(3) == "ok", let m = try row.integer(0) {
                kvm.append(m)
                fingerprinted = fingerprinted || !row.isNull(2)
            }
        }
        guard fingerprinted else { return nil }
        var machines: [(id: Int64, name: String, alias: String?, isDefault: Bool)] = []
        for id in kvm {
            guard let row = try pages.row("machine", rowid: id), try row.integer(1) == binary.id, let name = try row.text(2) else { continue }
            machines.append((id, name, try row.text(3), try row.integer(4) == 1))
        }
        machines.sort { $0.name < $1.name }
        let chosen = machine.map { m in machines.first { $0.name == m } ?? machines.first { $0.alias == m } }
            ?? (machines.first { $0.isDefault } ?? machines.first)
        guard let chosen, let first = machines.first else { return nil }
        var hostModel: Int64?
        try pages.scan(root: try pages.root("model")) { (row) throws(SnapshotError) in
            if try row.text(2) == "host", try row.integer(1) == binary.id { hostModel = row.rowid }
        }
        guard let hostModel else { return nil }
        var propsets: [String: Int64] = [:]
        try pages.scan(root: try pages.root("expansion")) { (row) throws(SnapshotError) in
            guard try row.integer(2) == hostModel, try row.text(1) == "kvm", try row.text(3) == "full",
                  let m = try row.integer(0), m == chosen.id || m == first.id, let variant = try row.text(4),
                  let set = try row.integer(6) else { return }
            propsets["\(m) \(variant)"] = set
        }
        guard let full = propsets["\(chosen.id) "], let off = propsets["\(chosen.id) migratable=off"],
              let spellings = propsets["\(first.id) "] else { return nil }

        var key: [UInt8] = []
        let values = [version, binary.name, binary.arch, chosen.name, "\(full) \(off) \(spellings)",
                      meta["host_extra_features"] ?? "-", meta[HostRecordKeys.runtimeRefused] ?? "-"]
        for v in values { key += Array(v.utf8) + [0] }
        for table in ["propset", "shape", "prop", "prop_default"] { try pages.appendPages(root: try pages.root(table), to: &key) }
        return HostRecordScan(path: path, name: HostRecordFile.hostName(path: path), arch: binary.arch, qemuVersion: version,
                              machine: chosen.name, key: key, hash: Self.hash(key))
    }

    /// A fast 64-bit hash of `bytes` (8 bytes at a time); equal keys are compared byte by byte.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw -> UInt64 in
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            while i < raw.count {
                h = (h ^ UInt64(raw[i])) &* 0x100_0000_01B3
                i += 1
            }
            return h ^ (h >> 29)
        }
    }

    /// Whether two keys are byte for byte equal.
    static func sameKey(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 } }
    }
}
