import QMP
import SnapshotStore

/// What one machine type changes in each model's resolved props against another machine type of
/// the same QEMU: the effect of compat properties (QEMU's `scripts/compare-machine-types.py` shows
/// only the declared deltas, and only from QEMU 9.1).
public struct MachineDiff: Sendable {
    /// One prop of one model that differs.
    public struct Change: Sendable, Equatable {
        /// The model, the prop, and its value on the first and second machine type (nil: absent).
        public var model: String, prop: String, first: JSONValue?, second: JSONValue?

        /// Creates a change.
        public init(model: String, prop: String, first: JSONValue?, second: JSONValue?) {
            self.model = model
            self.prop = prop
            self.first = first
            self.second = second
        }
    }

    /// The machine types compared.
    public var first: String, second: String
    /// The accelerator.
    public var accel: String
    /// Models compared (present on both).
    public var models: [String]
    /// The differences, by model then prop.
    public var changes: [Change]

    /// Compares `first` with `second` for `binary` under `accel`, for the models matching `model`
    /// (all when nil).
    public init(reader: SnapshotReader, binary: String, first: String, second: String, accel: String, model: String?) throws {
        self.first = first
        self.second = second
        self.accel = accel
        let a = Dictionary(try reader.expansions(binary: binary, machine: first, accel: accel).map { ($0.model, $0.props) },
                           uniquingKeysWith: { x, _ in x })
        let b = Dictionary(try reader.expansions(binary: binary, machine: second, accel: accel).map { ($0.model, $0.props) },
                           uniquingKeysWith: { x, _ in x })
        models = Set(a.keys).intersection(b.keys).filter { model == nil || $0 == model }.sorted()
        var changes: [Change] = []
        for m in models {
            let x = a[m]!, y = b[m]!
            if x == y { continue }
            for p in x.properties where y[p.name] != p.value { changes.append(Change(model: m, prop: p.name, first: p.value, second: y[p.name])) }
            for p in y.properties where x[p.name] == nil { changes.append(Change(model: m, prop: p.name, first: nil, second: p.value)) }
        }
        self.changes = changes
    }
}
