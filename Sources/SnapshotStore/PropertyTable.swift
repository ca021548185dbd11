import QMP

/// The compact storage of property sets: distinct (name, value) pairs, one default value per
/// name, the distinct name lists ("shapes"), and each set as its shape plus the pairs that
/// differ from the defaults.
///
/// Ids are assigned from sorted content only, so the same sets give the same tables no matter
/// in which order a harvest (or a merge of shards) produced them.
struct PropertyTable {
    struct Pair: Hashable, Comparable {
        var name: String
        var value: String  // canonical JSON text
        static func < (a: Pair, b: Pair) -> Bool { (a.name, a.value) < (b.name, b.value) }
    }

    /// Distinct pairs, sorted; a pair's id is its index + 1.
    private(set) var pairs: [Pair] = []
    /// Default pair id per name.
    private(set) var defaults: [(name: String, pairID: Int)] = []
    /// Shapes as canonical JSON arrays of names, sorted; id = index + 1.
    private(set) var shapes: [String] = []
    /// Encoded sets sorted by (shape id, overrides); id = index + 1.
    private(set) var encoded: [(shapeID: Int, overrides: String)] = []
    /// The id of each distinct set.
    private(set) var setIDs: [PropertySet: Int] = [:]

    init(sets: Set<PropertySet>) {
        var pairSet = Set<Pair>()
        var counts: [String: [String: Int]] = [:]
        for set in sets {
            for p in set.properties {
                let pair = Pair(name: p.name, value: p.value.canonicalText)
                pairSet.insert(pair)
                counts[p.name, default: [:]][pair.value, default: 0] += 1
            }
        }
        pairs = pairSet.sorted()
        var pairID: [Pair: Int] = [:]
        for (i, p) in pairs.enumerated() { pairID[p] = i + 1 }
        var defaultValue: [String: String] = [:]
        for (name, values) in counts {
            let best = values.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!
            defaultValue[name] = best.key
        }
        defaults = defaultValue.keys.sorted().map { ($0, pairID[Pair(name: $0, value: defaultValue[$0]!)]!) }

        // Sets of one shape usually share the names array's storage; render each shape once.
        var shapeTexts: [PropertySet: String] = [:]
        var rendered: [[String]: String] = [:]
        for set in sets {
            let names = set.properties.map(\.name)
            if let text = rendered[names] { shapeTexts[set] = text; continue }
            let text = JSONValue.array(names.map { .string($0) }).canonicalText
            rendered[names] = text
            shapeTexts[set] = text
        }
        func shapeText(_ set: PropertySet) -> String { shapeTexts[set]! }
        shapes = Set(shapeTexts.values).sorted()
        var shapeID: [String: Int] = [:]
        for (i, s) in shapes.enumerated() { shapeID[s] = i + 1 }

        var rows: [(shapeID: Int, overrides: String, set: PropertySet)] = []
        for set in sets {
            var ids: [Int] = []
            for p in set.properties {
                let text = p.value.canonicalText
                if defaultValue[p.name] != text { ids.append(pairID[Pair(name: p.name, value: text)]!) }
            }
            ids.sort()
            rows.append((shapeID[shapeText(set)]!, "[" + ids.map(String.init).joined(separator: ",") + "]", set))
        }
        rows.sort { ($0.shapeID, $0.overrides) < ($1.shapeID, $1.overrides) }
        encoded = rows.map { ($0.shapeID, $0.overrides) }
        for (i, row) in rows.enumerated() { setIDs[row.set] = i + 1 }
    }
}
