import QMP
import SnapshotStore

/// The guest-ABI half of a release diff: every expansion both sides have, prop by prop.
extension ReleaseDiff {
    /// What differs between two property sets, computed once per distinct pair of sets (the
    /// 13,464 expansions QEMU 7.2 and 10.0 share are a few thousand distinct pairs).
    private struct SetDelta {
        /// Props both have with different values: name, old, new.
        var changed: [(String, JSONValue, JSONValue)] = []
        /// Props only the old set has, and only the new one has.
        var removed: [PropertySet.Property] = [], added: [PropertySet.Property] = []
        var isEmpty: Bool { changed.isEmpty && removed.isEmpty && added.isEmpty }

        init(_ before: PropertySet, _ after: PropertySet) {
            // Both prop lists are sorted by name: walk them together.
            let x = before.properties, y = after.properties
            var i = 0, j = 0
            while i < x.count || j < y.count {
                if j == y.count || (i < x.count && x[i].name < y[j].name) {
                    removed.append(x[i]); i += 1
                } else if i == x.count || y[j].name < x[i].name {
                    added.append(y[j]); j += 1
                } else {
                    if x[i].value != y[j].value { changed.append((x[i].name, x[i].value, y[j].value)) }
                    i += 1; j += 1
                }
            }
        }
    }

    private struct SetPair: Hashable { var old: Int, new: Int }

    private struct PresenceGroup: Hashable { var pair: SetPair, hostDependent: Bool }

    private struct ModelName: Hashable { var binary: String, model: String }

    static func expansions(_ a: DiffInput, _ b: DiffInput) -> ([PropChange], [PropPresence], Int) {
        // Models that are not migration-safe in either release (per binary).
        var unsafe = Set<ModelName>()
        for s in [a, b] {
            for d in s.definitions where d.migrationSafe == false { unsafe.insert(ModelName(binary: d.session.binary, model: d.name)) }
        }
        var deltas: [SetPair: SetDelta] = [:]
        var out: [PropChange] = []
        // Rows whose props appear or disappear, grouped by (pair of sets, host-dependence): the
        // counts add up per group, and each group keeps its first rows as examples.
        var groups: [PresenceGroup: (rows: Int, first: [(Int, String)])] = [:]
        var compared = 0
        for (position, k, before, after) in DiffInput.common(a, b) {
            compared += 1
            let pair = SetPair(old: before, new: after)
            let delta: SetDelta
            if let known = deltas[pair] {
                delta = known
            } else {
                guard let x = a.sets[before], let y = b.sets[after] else { continue }
                delta = SetDelta(x, y)
                deltas[pair] = delta
            }
            if delta.isEmpty { continue }
            if !delta.removed.isEmpty || !delta.added.isEmpty {
                let group = PresenceGroup(pair: pair, hostDependent: ReleaseDiff.hostDependent(accel: k.session.accel, model: k.model))
                var g = groups[group] ?? (0, [])
                g.rows += 1
                if g.first.count < 3 { g.first.append((position, "\(k.session.machine) \(k.model) \(k.type)")) }
                groups[group] = g
            }
            if delta.changed.isEmpty { continue }
            let valueClass: Class = unsafe.contains(ModelName(binary: k.session.binary, model: k.model)) ? .notMigrationSafe
                : (isVersioned(k.session.machine) ? .breaking : .unversioned)
            for (prop, x, y) in delta.changed {
                out.append(PropChange(classification: valueClass, binary: k.session.binary, machine: k.session.machine,
                                      accel: k.session.accel, model: k.model, type: k.type, variant: k.variant,
                                      prop: prop, old: x, new: y))
            }
        }
        var presence: [String: PropPresence] = [:]
        var examples: [String: [(Int, String)]] = [:]
        for (group, g) in groups {
            let delta = deltas[group.pair]!
            for (c, props) in [(Class.propRemoved, delta.removed), (.propAdded, delta.added)] {
                for p in props {
                    let key = "\(c.rawValue)\u{0}\(p.name)\u{0}\(p.value.canonicalText)\u{0}\(group.hostDependent)"
                    var row = presence[key] ?? PropPresence(classification: c, prop: p.name, value: p.value,
                                                             hostDependent: group.hostDependent, rows: 0, examples: [])
                    row.rows += g.rows
                    presence[key] = row
                    var first = examples[key, default: []] + g.first
                    if first.count > 3 { first = Array(first.sorted { $0.0 < $1.0 }.prefix(3)) }
                    examples[key] = first
                }
            }
        }
        for (key, first) in examples { presence[key]!.examples = first.sorted { $0.0 < $1.0 }.map(\.1) }
        out.sort {
            [$0.binary, $0.machine, $0.accel, $0.model, $0.type, $0.variant, $0.prop]
                .lexicographicallyPrecedes([$1.binary, $1.machine, $1.accel, $1.model, $1.type, $1.variant, $1.prop])
        }
        let rows = presence.values.sorted {
            ($0.classification.rawValue, $0.hostDependent ? 1 : 0, $0.prop, $0.value.canonicalText)
                < ($1.classification.rawValue, $1.hostDependent ? 1 : 0, $1.prop, $1.value.canonicalText)
        }
        return (out, rows, compared)
    }
}
