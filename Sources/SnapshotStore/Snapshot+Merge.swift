extension Snapshot {
    /// Combines snapshots of one QEMU build (shards of a harvest, or harvests of different
    /// machine types or accelerators) into one.
    ///
    /// Records present in several inputs must be identical. The result is normalized, so
    /// merging the shards of a harvest gives the same snapshot (and bytes) as the whole harvest.
    ///
    /// - Throws: ``SnapshotError`` with code ``SnapshotError/Code/incompatible`` when the inputs
    ///   are different QEMU builds or disagree about a record.
    public static func merged(_ parts: [Snapshot], names: [String]? = nil) throws(SnapshotError) -> Snapshot {
        guard let first = parts.first else { throw SnapshotError(.incompatible, path: "merge", "nothing to merge") }
        let label = { (i: Int) in names?[i] ?? "input \(i + 1)" }
        var meta = first.meta
        for (i, p) in parts.enumerated() {
            guard p.meta.qemuVersion == meta.qemuVersion, p.meta.qemuPackage == meta.qemuPackage else {
                throw SnapshotError(.incompatible, path: label(i),
                    "QEMU \(p.meta.qemuVersion) (\(p.meta.qemuPackage)) cannot merge with QEMU \(meta.qemuVersion) (\(meta.qemuPackage))")
            }
            meta.harvestTime = max(meta.harvestTime, p.meta.harvestTime)
            meta.machineFilter = Array(Set(meta.machineFilter + p.meta.machineFilter)).sorted()
            meta.modelFilter = Array(Set(meta.modelFilter + p.meta.modelFilter)).sorted()
            for (binary, table) in p.meta.modelTables {
                if let mine = meta.modelTables[binary], mine != table {
                    throw SnapshotError(.incompatible, path: label(i), "\(binary): the CPU model tables differ")
                }
                meta.modelTables[binary] = table
            }
            for (key, value) in p.meta.extra {
                if let mine = meta.extra[key], mine != value {
                    throw SnapshotError(.incompatible, path: label(i), "meta \(key) differs")
                }
                meta.extra[key] = value
            }
            if let extra = p.meta.hostExtraFeatures {
                if let mine = meta.hostExtraFeatures, mine.sorted() != extra.sorted() {
                    throw SnapshotError(.incompatible, path: label(i), "host records of different hosts cannot merge")
                }
                meta.hostExtraFeatures = extra
            }
        }
        let partial = parts.compactMap(\.meta.partialCoverage)
        if !partial.isEmpty, partial.count < parts.count {
            let i = parts.firstIndex { $0.meta.partialCoverage == nil }!
            throw SnapshotError(.incompatible, path: label(i),
                                "a harvest cannot merge with an imported snapshot (\(partial[0].source)): its coverage would be wrong")
        }
        meta.partialCoverage = PartialCoverage.union(partial)
        var result = Snapshot(meta: meta)
        func union<T: Equatable, K: Hashable>(_ key: (T) -> K, _ list: (Snapshot) -> [T], _ what: String)
            throws(SnapshotError) -> [T]
        {
            var seen: [K: T] = [:]
            var order: [T] = []
            for (i, p) in parts.enumerated() {
                for item in list(p) {
                    let k = key(item)
                    if let existing = seen[k] {
                        if existing != item {
                            throw SnapshotError(.incompatible, path: label(i), "disagrees about \(what) \(k)")
                        }
                    } else {
                        seen[k] = item
                        order.append(item)
                    }
                }
            }
            return order
        }
        var binaries: [String: BinaryRecord] = [:]
        for (i, p) in parts.enumerated() {
            for b in p.binaries {
                if var existing = binaries[b.name] {
                    guard existing.sha256 == b.sha256, existing.arch == b.arch else {
                        throw SnapshotError(.incompatible, path: label(i), "\(b.name) is a different binary (SHA-256 differs)")
                    }
                    existing.accelerators = Array(Set(existing.accelerators + b.accelerators)).sorted()
                    binaries[b.name] = existing
                } else {
                    binaries[b.name] = b
                }
            }
        }
        result.binaries = Array(binaries.values)
        result.machines = try union({ "\($0.binary) \($0.name)" }, \.machines, "machine type")
        result.sessions = try union({ $0.key }, \.sessions, "session")
        result.definitions = try union({ "\($0.session) \($0.name)" }, \.definitions, "CPU definition")
        result.expansions = try union({ $0.key },
                                      \.expansions, "expansion")
        result.qomTypes = try union({ "\($0.binary) \($0.typename)" }, \.qomTypes, "QOM type")
        result.normalize()
        return result
    }
}
