import HostCPU
import QMP
import SnapshotStore

/// libvirt's host CPU data for one accelerator: the `<hostCPU>` element of its capabilities cache.
///
/// libvirt (`virQEMUCapsProbeQMPHostCPU` in `src/qemu/qemu_capabilities.c`) asks QEMU for the
/// static expansion of `host` twice on x86 (`max` under TCG), migratable and with
/// `migratable=off`, and keeps one property list: each property of the migratable answer, and
/// for a boolean that is `false` there but `true` in the `migratable=off` answer, `value='true'
/// migratable='no'`; a boolean `true` in the migratable answer gets `migratable='yes'`
/// (`migratability='yes'` on the element says the second answer was there). So both answers come
/// back exactly: the migratable one has the booleans marked `migratable='yes'` on, the
/// `migratable=off` one every boolean whose `value` is `true`; numbers and strings (`family`,
/// `model`, `stepping`, `vendor`, `model-id`, `min-level`, `min-xlevel`) are in both.
public struct LibvirtHostCPU: Sendable, Equatable {
    /// One `<property>`: QEMU's value and, for booleans, libvirt's migratability mark.
    public struct Property: Sendable, Equatable {
        /// The QOM property name.
        public var name: String
        /// The value (`true`/`false`, a number or a string).
        public var value: JSONValue
        /// `migratable='yes'`/`'no'`, nil when absent.
        public var migratable: Bool?
    }

    /// The accelerator (`kvm`, `hvf`, `tcg`).
    public var accel: String
    /// The model of the static expansion (`base` on x86).
    public var model: String
    /// Whether the `migratable=off` answer was merged in (`migratability='yes'`).
    public var migratability: Bool
    /// The properties, in libvirt's order.
    public var properties: [Property]

    /// Reads a `<hostCPU>` element.
    public init(element: BoundedXML.Element) throws(LibvirtImportError) {
        func bad(_ message: String) -> LibvirtImportError {
            LibvirtImportError(.badFile, "line \(element.line): <hostCPU>: \(message)")
        }
        guard let accel = element["type"] else { throw bad("no type attribute") }
        guard let model = element["model"] else { throw bad("no model attribute") }
        guard let m = element["migratability"], m == "yes" || m == "no" else { throw bad("migratability is not yes or no") }
        self.accel = accel
        self.model = model
        migratability = m == "yes"
        var seen = Set<String>()
        properties = []
        for p in element.children("property") {
            guard let name = p["name"], let type = p["type"], let text = p["value"] else {
                throw bad("line \(p.line): a property without name, type or value")
            }
            guard seen.insert(name).inserted else { throw bad("line \(p.line): property \(InputExcerpt.of(name)) twice") }
            let value: JSONValue
            switch type {
            case "boolean":
                guard text == "true" || text == "false" else { throw bad("line \(p.line): \(InputExcerpt.of(name)): boolean value \(InputExcerpt.quoted(text))") }
                value = .bool(text == "true")
            case "number":
                guard let n = Int64(text) else { throw bad("line \(p.line): \(InputExcerpt.of(name)): number value \(InputExcerpt.quoted(text))") }
                value = .number(String(n))
            case "string": value = .string(text)
            default: throw bad("line \(p.line): \(InputExcerpt.of(name)): unknown type \(InputExcerpt.quoted(type))")
            }
            var migratable: Bool?
            if let mark = p["migratable"] {
                guard mark == "yes" || mark == "no" else { throw bad("line \(p.line): \(InputExcerpt.of(name)): migratable='\(InputExcerpt.of(mark))'") }
                migratable = mark == "yes"
            }
            properties.append(Property(name: name, value: value, migratable: migratable))
        }
        guard !properties.isEmpty else { throw bad("no properties") }
    }

    /// Merges QEMU's two static expansions of the host model as libvirt does.
    ///
    /// - Parameters:
    ///   - migratable: the `{"name": "host"}` static answer (`model` and `props`).
    ///   - nonMigratable: the `{"name": "host", "props": {"migratable": false}}` one, if asked.
    public init(accel: String, migratable: JSONValue, nonMigratable: JSONValue?) throws(LibvirtImportError) {
        guard let model = migratable["name"]?.stringValue, case .object(let props)? = migratable["props"] else {
            throw LibvirtImportError(.badFile, "the host model's static expansion has no model name or props")
        }
        let other: [String: JSONValue]
        if case .object(let o)? = nonMigratable?["props"] { other = o } else { other = [:] }
        self.accel = accel
        self.model = model
        let merged = nonMigratable != nil
        migratability = merged
        properties = props.keys.sorted().map { name in
            let value = props[name]!
            guard merged, case .bool(let on) = value, let off = other[name]?.boolValue else {
                return Property(name: name, value: value, migratable: nil)
            }
            if on { return Property(name: name, value: .bool(true), migratable: true) }
            return off ? Property(name: name, value: .bool(true), migratable: false) : Property(name: name, value: value, migratable: nil)
        }
    }

    /// QEMU's static expansion props: with `migratable=off` (every boolean whose value is true),
    /// or migratable (only the booleans marked `migratable='yes'`).
    public func staticProps(migratable: Bool) -> PropertySet {
        var props: [String: JSONValue] = [:]
        for p in properties {
            if migratable, migratability, p.value.boolValue == true, p.migratable != true { props[p.name] = .bool(false) } else { props[p.name] = p.value }
        }
        return PropertySet(props)
    }

    /// The CPU identity QEMU gives the host model: vendor, family, model, stepping, model-id.
    public var identity: (vendor: String?, family: Int?, model: Int?, stepping: Int?, modelID: String?) {
        let p = Dictionary(properties.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        return (p["vendor"]?.stringValue, p["family"]?.intValue, p["model"]?.intValue, p["stepping"]?.intValue,
                p["model-id"]?.stringValue)
    }
}
