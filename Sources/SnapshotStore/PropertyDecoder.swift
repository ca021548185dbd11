import GRDB
import QMP

/// The shared parts of stored property sets (pairs, defaults, shapes), loaded and checked once
/// per reader, and the decoding of one set from its shape and overrides.
///
/// Nothing is taken on trust: a pair's value must be JSON; a default must name a pair of its
/// own name, once per name (as Swift compares names, so `café` in NFC and NFD are one name); a
/// shape must be a JSON array of names in strictly increasing order (no name twice), each with
/// a default; overrides must be exactly a JSON array of strictly increasing pair ids, each a
/// pair of a name of the shape, no name overridden twice.
final class PropertyDecoder: Sendable {
    struct Shape: Sendable {
        /// The props of the shape, each with its default value, sorted by name.
        let defaults: [PropertySet.Property]
        let position: [String: Int]
    }

    let pairs: [Int: PropertySet.Property]
    let shapes: [Int: Shape]

    /// Ids above this are refused before they are looked up (a snapshot has thousands of pairs).
    static let maxID = 1 << 40

    init(_ db: Database) throws {
        var pairs: [Int: PropertySet.Property] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, name, value FROM prop") {
            let r = row.at("table prop")
            let id = try r.id("id")
            let p = row.at("table prop, id \(id)")
            pairs[id] = PropertySet.Property(name: try p.text("name"), value: try p.json("value"))
        }
        var defaults: [String: JSONValue] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT name, prop_id FROM prop_default ORDER BY name") {
            let r = row.at("table prop_default")
            let name = try r.text("name")
            let place = "table prop_default, name '\(StoredJSON.oneLine(name, limit: 40))'"
            let id = try row.at(place).id("prop_id")
            guard let pair = pairs[id] else { throw BadData("\(place): prop_id \(id) is not in table prop") }
            guard pair.name == name else { throw BadData("\(place): prop_id \(id) is a pair of another prop") }
            guard defaults.updateValue(pair.value, forKey: name) == nil else {
                throw BadData("\(place): a second default for the prop (canonically equivalent Unicode, different bytes)")
            }
        }
        var shapes: [Int: Shape] = [:]
        for row in try StoredRow.fetchAll(db, sql: "SELECT id, names FROM shape") {
            let id = try row.at("table shape").id("id")
            let place = "table shape, id \(id)"
            let names = try row.at(place).strings("names")
            var values: [PropertySet.Property] = []
            values.reserveCapacity(names.count)
            var position: [String: Int] = [:]
            for (i, name) in names.enumerated() {
                if i > 0, !(names[i - 1] < name) {
                    throw BadData("\(place): names not in strictly increasing order at '\(StoredJSON.oneLine(name, limit: 40))' (a name twice?)")
                }
                guard let value = defaults[name] else { throw BadData("\(place): prop \(StoredJSON.oneLine(name, limit: 40)) has no default") }
                values.append(PropertySet.Property(name: name, value: value))
                position[name] = i
            }
            shapes[id] = Shape(defaults: values, position: position)
        }
        self.pairs = pairs
        self.shapes = shapes
    }

    /// Decodes the set of shape `id` with `overrides` (the `propset` row `place`).
    func decode(shape id: Int, overrides: String, place: @autoclosure () -> String) throws(BadData) -> PropertySet {
        guard let shape = shapes[id] else { throw BadData("\(place()): shape_id \(id) is not in table shape") }
        var props = shape.defaults
        var overridden = [Bool](repeating: false, count: props.count)
        var last = 0
        func bad(_ what: String) -> BadData { BadData("\(place()): overrides \(what)") }
        func apply(_ number: Int) throws(BadData) {
            guard number > last else { throw bad("are not strictly increasing pair ids") }
            last = number
            guard let pair = pairs[number] else { throw bad("name \(number), which is not in table prop") }
            guard let at = shape.position[pair.name] else { throw bad("name \(number), a prop the shape does not have") }
            guard !overridden[at] else { throw bad("set prop \(StoredJSON.oneLine(pair.name, limit: 40)) twice") }
            overridden[at] = true
            props[at].value = pair.value
        }
        // Exactly `[` id (`,` id)* `]` or `[]`, ids in decimal without leading zeros.
        let bytes = overrides.utf8
        var i = bytes.startIndex
        guard i != bytes.endIndex, bytes[i] == UInt8(ascii: "[") else { throw bad("are not a JSON array") }
        i = bytes.index(after: i)
        if i != bytes.endIndex, bytes[i] == UInt8(ascii: "]") {
            i = bytes.index(after: i)
        } else {
            while true {
                var number = 0, digits = 0
                while i != bytes.endIndex, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    if digits == 0 && bytes[i] == 0x30 { throw bad("hold an id with a leading zero") }
                    number = number * 10 + Int(bytes[i] - 0x30)
                    digits += 1
                    guard number <= Self.maxID else { throw bad("hold an id out of range") }
                    i = bytes.index(after: i)
                }
                guard digits > 0 else { throw bad("are not a JSON array of pair ids") }
                try apply(number)
                guard i != bytes.endIndex else { throw bad("are a truncated JSON array") }
                let c = bytes[i]
                i = bytes.index(after: i)
                if c == UInt8(ascii: "]") { break }
                guard c == UInt8(ascii: ",") else { throw bad("are not a JSON array of pair ids") }
            }
        }
        guard i == bytes.endIndex else { throw bad("have text after the array") }
        return PropertySet(sorted: props)
    }
}
