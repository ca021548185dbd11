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
    /// The bytes that decide the facts: the values read, then whole pages.
    var key: [ArraySlice<UInt8>]
    /// A hash of ``key``.
    var hash: UInt64

    /// Everything but the key.
    struct Summary: Sendable {
        var path: String, name: String, arch: String, qemuVersion: String, machine: String
    }

    /// Everything but the key.
    var summary: Summary { Summary(path: path, name: name, arch: arch, qemuVersion: qemuVersion, machine: machine) }

    /// Reads `path`'s light record on `machine` (a name or alias, or the default machine type);
    /// nil when the file is not a light record or anything about it is unusual, so that
    /// ``HostRecordFile`` reads it and says what is wrong.
    ///
    /// - Throws: ``SnapshotError`` for a file that is not a good snapshot.
    static func read(path: String, machine: String?) throws(SnapshotError) -> HostRecordScan? {
        let pages = try SnapshotPages(path: path)
        var format: String?, version: String?, extra: String?, refused: String?
        try pages.scan(root: try pages.root("meta")) { (row) throws(SnapshotError) in
            if row.isText(0, "host_record") { format = try row.text(1) }
            else if row.isText(0, "qemu_version") { version = try row.text(1) }
            else if row.isText(0, "host_extra_features") { extra = try row.text(1) }
            else if row.isText(0, "host_runtime_refused") { refused = try row.text(1) }
        }
        guard format == HostRecordKeys.light, let version else { return nil }
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
            if row.isText(1, "kvm"), row.isText(3, "ok"), let m = try row.integer(0) {
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
            if row.isText(2, "host"), try row.integer(1) == binary.id { hostModel = row.rowid }
        }
        guard let hostModel else { return nil }
        var full: Int64?, off: Int64?, spellings: Int64?
        try pages.scan(root: try pages.root("expansion")) { (row) throws(SnapshotError) in
            guard try row.integer(2) == hostModel, row.isText(1, "kvm"), row.isText(3, "full"),
                  let m = try row.integer(0), m == chosen.id || m == first.id, let set = try row.integer(6) else { return }
            if row.isText(4, "") {
                if m == chosen.id { full = set }
                if m == first.id { spellings = set }
            } else if m == chosen.id, row.isText(4, "migratable=off") {
                off = set
            }
        }
        guard let full, let off, let spellings else { return nil }

        let values = [version, binary.name, binary.arch, chosen.name, "\(full) \(off) \(spellings)",
                      extra ?? "-", refused ?? "-"]
        var key = [ArraySlice(values.joined(separator: "\u{0}").utf8)]
        for table in ["propset", "shape", "prop", "prop_default"] { key += try pages.treePages(root: try pages.root(table)) }
        return HostRecordScan(path: path, name: HostRecordFile.hostName(path: path), arch: binary.arch, qemuVersion: version,
                              machine: chosen.name, key: key, hash: Self.hash(key))
    }

    /// A fast 64-bit hash of `key` (8 bytes at a time); equal keys are compared byte by byte.
    static func hash(_ key: [ArraySlice<UInt8>]) -> UInt64 {
        key.reduce(UInt64(key.count)) { hash($1, seed: $0) }
    }

    private static func hash(_ bytes: ArraySlice<UInt8>, seed: UInt64) -> UInt64 {
        bytes.withUnsafeBytes { raw -> UInt64 in
            // Four independent lanes, so the multiplications overlap.
            let m: UInt64 = 0xFF51_AFD7_ED55_8CCD
            var a = seed ^ 0x9E37_79B9_7F4A_7C15, b = seed ^ UInt64(raw.count), c = ~seed, d = seed &* m
            var i = 0
            while i + 32 <= raw.count {
                a = (a ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* m
                b = (b ^ raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)) &* m
                c = (c ^ raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)) &* m
                d = (d ^ raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)) &* m
                a ^= a >> 29; b ^= b >> 29; c ^= c >> 29; d ^= d >> 29
                i += 32
            }
            var h = a ^ (b << 1 | b >> 63) ^ (c << 2 | c >> 62) ^ (d << 3 | d >> 61)
            while i < raw.count {
                h = (h ^ UInt64(raw[i])) &* 0x100_0000_01B3
                i += 1
            }
            h = (h ^ (h >> 33)) &* m
            return h ^ (h >> 33)
        }
    }

    /// Whether two keys are byte for byte equal.
    static func sameKey(_ a: [ArraySlice<UInt8>], _ b: [ArraySlice<UInt8>]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.count == y.count && x.withUnsafeBytes { p in y.withUnsafeBytes { q in memcmp(p.baseAddress!, q.baseAddress!, x.count) == 0 } }
        }
    }
}
