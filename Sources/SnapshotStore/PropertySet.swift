import QMP
import Synchronization

/// The props of one CPU-model expansion, sorted by name.
///
/// A harvest of QEMU 7.2 x86_64 holds about 15,000 full expansions but only about 2,400
/// distinct property sets; snapshots store each distinct set once.
public struct PropertySet: Sendable, Hashable {
    /// One prop: its name and value.
    public struct Property: Sendable, Hashable {
        /// The QOM property name (`mpx`, `family`, `model-id`).
        public var name: String
        /// Its value.
        public var value: JSONValue
        /// Creates a prop.
        public init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }
    }

    private final class Storage: Sendable {
        let properties: [Property]
        private let cachedHash = Mutex<Int?>(nil)
        init(_ properties: [Property]) { self.properties = properties }
        /// The hash of all props, computed on first use.
        var hash: Int {
            if let h = cachedHash.withLock({ $0 }) { return h }
            var hasher = Hasher()
            hasher.combine(properties)
            let h = hasher.finalize()
            cachedHash.withLock { $0 = h }
            return h
        }
    }

    private let storage: Storage

    /// The props, sorted by name.
    public var properties: [Property] { storage.properties }

    /// Creates a set from a `props` object.
    public init(_ props: [String: JSONValue]) {
        storage = Storage(props.keys.sorted().map { Property(name: $0, value: props[$0]!) })
    }

    /// Creates a set from props that are already sorted by name.
    public init(sorted properties: [Property]) { storage = Storage(properties) }

    /// Equal when the props are equal; sets that share storage compare in constant time.
    public static func == (a: PropertySet, b: PropertySet) -> Bool {
        a.storage === b.storage || (a.storage.hash == b.storage.hash && a.storage.properties == b.storage.properties)
    }

    /// Hashes the precomputed hash of the props.
    public func hash(into hasher: inout Hasher) { hasher.combine(storage.hash) }

    /// The value of `name`, or nil.
    public subscript(name: String) -> JSONValue? {
        var lo = 0, hi = properties.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if properties[mid].name < name { lo = mid + 1 } else { hi = mid }
        }
        return lo < properties.count && properties[lo].name == name ? properties[lo].value : nil
    }

    /// The props as a JSON object (the last of props that share a name, which a set read from
    /// a snapshot never has: the reader refuses such shapes).
    public var json: JSONValue {
        .object(Dictionary(properties.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }))
    }

    /// Canonical text, usable as a content address.
    public var canonicalText: String { json.canonicalText }
}
