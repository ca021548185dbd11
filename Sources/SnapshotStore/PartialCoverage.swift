import QMP

/// What an imported snapshot covers when it is not a full harvest: the part of QEMU's answers
/// its source probed. Stored in `meta.coverage` (keys `source`, `covers`, `files`); harvests
/// have none.
public struct PartialCoverage: Sendable, Equatable {
    /// Where the rows came from: `libvirt-probe` (libvirt's capabilities probe, `.replies` files).
    public var source: String
    /// The machine types that have sessions (`none` for a libvirt probe).
    public var machineTypes: [String]
    /// The models whose expansions were asked for (`host`, `max`).
    public var expandedModels: [String]
    /// The files the rows were imported from (base names).
    public var files: [String]

    /// Creates a coverage record.
    public init(source: String, machineTypes: [String], expandedModels: [String], files: [String]) {
        self.source = source
        self.machineTypes = machineTypes.sorted()
        self.expandedModels = expandedModels.sorted()
        self.files = files.sorted()
    }

    /// One line for messages: what the snapshot covers and what not.
    public var summary: String {
        let what = source == "libvirt-probe" ? "libvirt probe data" : source
        let machines = machineTypes.map { "'\($0)'" }.joined(separator: ", ")
        let asker = source == "libvirt-probe" ? "libvirt" : "it"
        let expansions = expandedModels.isEmpty ? "no expansions"
            : "the \(expandedModels.joined(separator: "/")) expansions \(asker) asked for"
        return "was imported from \(what) and covers only machine type \(machines) (its CPU definitions), "
            + "the machine-type list and \(expansions)"
    }

    /// Whether rows of `machine` are covered.
    public func covers(machine: String) -> Bool { machineTypes.contains(machine) }

    /// Whether an expansion of `model` is covered.
    public func covers(expansionOf model: String) -> Bool { expandedModels.contains(model) }

    /// The members added to `meta.coverage`.
    public var jsonMembers: [String: JSONValue] {
        ["source": .string(source),
         "covers": ["machine-types": .array(machineTypes.map { .string($0) }),
                    "expanded-models": .array(expandedModels.map { .string($0) })],
         "files": .array(files.map { .string($0) })]
    }

    /// Reads the coverage back from `meta.coverage`; nil for a harvest (no `source`).
    public init?(coverage: JSONValue) {
        guard let source = coverage["source"]?.stringValue else { return nil }
        func strings(_ v: JSONValue?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }
        self.init(source: source, machineTypes: strings(coverage["covers"]?["machine-types"]),
                  expandedModels: strings(coverage["covers"]?["expanded-models"]), files: strings(coverage["files"]))
    }

    /// The union of several coverages of one source.
    public static func union(_ parts: [PartialCoverage]) -> PartialCoverage? {
        guard let first = parts.first else { return nil }
        return PartialCoverage(source: first.source,
                               machineTypes: Array(Set(parts.flatMap(\.machineTypes))),
                               expandedModels: Array(Set(parts.flatMap(\.expandedModels))),
                               files: Array(Set(parts.flatMap(\.files))))
    }
}

extension PartialCoverage {
    /// Reads the coverage back from `meta.coverage` as ``init(coverage:)`` does, refusing lists
    /// that are not JSON arrays of strings instead of reading them as empty.
    static func checked(_ coverage: JSONValue) throws(BadData) -> PartialCoverage? {
        guard let source = coverage["source"] else { return nil }
        guard source.stringValue != nil else { throw BadData("meta coverage: source is not a string") }
        func strings(_ v: JSONValue?, _ what: String) throws(BadData) -> [String] {
            guard let v else { return [] }
            return try StoredJSON.strings(v, "meta coverage: \(what)")
        }
        _ = try strings(coverage["covers"]?["machine-types"], "covers.machine-types")
        _ = try strings(coverage["covers"]?["expanded-models"], "covers.expanded-models")
        _ = try strings(coverage["files"], "files")
        return PartialCoverage(coverage: coverage)
    }
}

extension SnapshotReader {
    /// The file's partial coverage (an imported snapshot), or nil for a harvest.
    public func partialCoverage() throws -> PartialCoverage? {
        let coverage = try coverage()
        do throws(BadData) { return try PartialCoverage.checked(coverage) } catch {
            throw SnapshotError(.corrupt, path: path, error.reason)
        }
    }
}
