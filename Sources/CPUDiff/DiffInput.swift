import Foundation
import QMP
import SnapshotStore

/// One side of a release diff: the catalogue rows, every expansion as a key and a property-set id,
/// and the property sets the comparison needs, decoded once each.
///
/// From an open snapshot file it reads listings and decodes only the sets of expansions both
/// sides have (and one static expansion per binary, for its feature names), never the whole
/// snapshot; from an in-memory ``Snapshot`` it numbers the distinct sets.
struct DiffInput {
    /// Binary names.
    var binaries: [String]
    /// Machine types, sorted by binary then name (never filtered: `query-machines` is whole).
    var machines: [MachineRecord]
    /// `query-cpu-definitions` rows on the compared machine types, sorted by session then name.
    var definitions: [CPUDefinitionRecord]
    /// Expansions on the compared machine types, sorted by key; nil id: QEMU answered an error.
    var expansions: [SnapshotReader.ExpansionEntry]
    /// Decoded property sets by id: all of them, or at least those the comparison reads.
    var sets: [Int: PropertySet]

    /// Whether `machine` is compared: `globs` (shell patterns) match its name, or there are none.
    /// Names only: an alias (`q35`) names different machine types in different releases.
    static func selected(_ machine: String, _ globs: [String]) -> Bool { Glob.matches(machine, any: globs) }

    /// Keeps only the rows of `accels` (all when empty).
    mutating func keep(accels: [String]) {
        guard !accels.isEmpty else { return }
        definitions.removeAll { !accels.contains($0.session.accel) }
        expansions.removeAll { !accels.contains($0.key.session.accel) }
    }

    /// The side of an in-memory snapshot.
    init(_ s: Snapshot, machines globs: [String]) {
        binaries = s.binaries.map(\.name)
        machines = s.machines
        definitions = s.definitions.filter { Self.selected($0.session.machine, globs) }
        var ids: [PropertySet: Int] = [:]
        var sets: [Int: PropertySet] = [:]
        var entries: [SnapshotReader.ExpansionEntry] = []
        for e in s.expansions where Self.selected(e.key.session.machine, globs) {
            var id: Int?
            if case .expanded(_, let props) = e.outcome {
                if let known = ids[props] {
                    id = known
                } else {
                    id = ids.count + 1
                    ids[props] = id
                    sets[id!] = props
                }
            }
            entries.append(.init(key: e.key, propertySetID: id))
        }
        expansions = entries.sorted { $0.key < $1.key }
        self.sets = sets
    }

    private init(listing reader: SnapshotReader, machines globs: [String]) throws {
        binaries = try reader.binaries().map(\.name)
        machines = try reader.machineRecords()
        definitions = try reader.definitionRecords().filter { Self.selected($0.session.machine, globs) }
        expansions = try reader.expansionEntries().filter { Self.selected($0.key.session.machine, globs) }
        sets = [:]
    }

    /// Both sides from open snapshot files, with the property sets the comparison reads decoded.
    static func pair(_ a: SnapshotReader, _ b: SnapshotReader, machines globs: [String], accels: [String] = []) throws -> (DiffInput, DiffInput) {
        var x = try DiffInput(listing: a, machines: globs), y = try DiffInput(listing: b, machines: globs)
        x.keep(accels: accels)
        y.keep(accels: accels)
        var neededA = Set<Int>(), neededB = Set<Int>()
        for c in common(x, y) {
            neededA.insert(c.old)
            neededB.insert(c.new)
        }
        neededA.formUnion(x.binaries.compactMap(x.featureSource))
        neededB.formUnion(y.binaries.compactMap(y.featureSource))
        x.sets = try a.propertySets(ids: neededA)
        y.sets = try b.propertySets(ids: neededB)
        return (x, y)
    }

    /// The expansions both sides answered (not with an error), in `b`'s order: the position in
    /// `b.expansions`, the key, and the set ids in `a` and `b`. Both lists are sorted by key, so
    /// this is one merging walk.
    static func common(_ a: DiffInput, _ b: DiffInput) -> [(position: Int, key: ExpansionRecord.Key, old: Int, new: Int)] {
        var out: [(position: Int, key: ExpansionRecord.Key, old: Int, new: Int)] = []
        var i = 0
        for (position, e) in b.expansions.enumerated() {
            while i < a.expansions.count && a.expansions[i].key < e.key { i += 1 }
            guard i < a.expansions.count, a.expansions[i].key == e.key,
                  let old = a.expansions[i].propertySetID, let new = e.propertySetID else { continue }
            out.append((position, e.key, old, new))
        }
        return out
    }

    /// The property set `binary`'s feature names come from: its first static expansion, else its
    /// first full one.
    func featureSource(_ binary: String) -> Int? {
        for type in ["static", "full"] {
            if let e = expansions.first(where: { $0.key.session.binary == binary && $0.key.type == type && $0.propertySetID != nil }) {
                return e.propertySetID
            }
        }
        return nil
    }

    /// The boolean props of `binary`'s feature source: its CPU feature names.
    func featureNames(_ binary: String) -> Set<String> {
        guard let id = featureSource(binary), let props = sets[id] else { return [] }
        return Set(props.properties.filter { $0.value.boolValue != nil }.map(\.name))
    }
}
