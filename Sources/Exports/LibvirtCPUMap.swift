import Foundation
import HostCPU
import LibvirtImport

/// The x86 part of an installed libvirt's CPU map (`/usr/share/libvirt/cpu_map/`), read at run time
/// as libvirt reads it: `index.xml` names the vendor, feature and model files of each architecture,
/// in order; a model may start from an ancestor model (`<model name='X'/>` inside it).
///
/// qcpu never ships a copy of the map: the map of the libvirt that will run the guests is the one
/// that decides what that libvirt accepts.
public struct LibvirtCPUMap: Sendable {
    /// libvirt's default location of the map.
    public static let defaultDirectory = "/usr/share/libvirt/cpu_map"

    /// A CPU vendor: libvirt's name and the CPUID vendor string.
    public struct Vendor: Sendable, Equatable {
        /// libvirt's name (`Intel`).
        public var name: String
        /// The CPUID string (`GenuineIntel`).
        public var cpuid: String
    }

    /// A feature: libvirt's name, the QEMU spellings the map gives for it, and whether it is migratable.
    public struct Feature: Sendable, Equatable {
        /// libvirt's name (`lahf_lm`).
        public var name: String
        /// `<alias name='...' source='qemu'/>` entries (libvirt 9 and later maps).
        public var qemuAliases: [String]
        /// False for `migratable='no'` features (`invtsc`).
        public var migratable: Bool
    }

    /// A family/model signature, with the steppings it covers (nil: every stepping).
    public struct Signature: Sendable, Equatable {
        /// The CPU family.
        public var family: Int
        /// The CPU model number.
        public var model: Int
        /// The steppings (`stepping='5-7'`), nil when not restricted.
        public var steppings: Set<Int>?

        /// Whether a CPU of this family, model and stepping matches.
        public func matches(family: Int, model: Int, stepping: Int) -> Bool {
            self.family == family && self.model == model && (steppings?.contains(stepping) ?? true)
        }
    }

    /// A CPU model as the map defines it.
    public struct Model: Sendable, Equatable {
        /// The model's name.
        public var name: String
        /// libvirt's vendor name, if the model has one.
        public var vendor: String?
        /// Family/model signatures.
        public var signatures: [Signature]
        /// `<decode host='on'>`: may describe a host CPU.
        public var decodeHost: Bool
        /// `<decode guest='on'>`: may describe a guest CPU (domcapabilities' host-model).
        public var decodeGuest: Bool
        /// The model's features in libvirt's names (the ancestor's first), removed ones left out.
        public var features: [String]
        /// Features marked `removed='yes'` (libvirt disables them explicitly).
        public var removed: [String]
    }

    /// The directory read.
    public var directory: String
    /// Vendors, in the map's order.
    public var vendors: [Vendor]
    /// Features, in the map's order (the order libvirt lists features in).
    public var features: [Feature]
    /// Models, in the map's order (`index.xml`'s; libvirt walks them newest, i.e. last, first).
    public var models: [Model]

    private var featureIndex: [String: Int] = [:]
    private var aliasIndex: [String: String] = [:]
    private var modelIndex: [String: Int] = [:]

    /// Reads the x86 map in `directory`.
    ///
    /// - Throws: ``ExportError`` `.mapNotFound` when `index.xml` or an included file cannot be
    ///   read, `.badMap` for a file libvirt would refuse too.
    public init(directory: String = Self.defaultDirectory) throws(ExportError) {
        self.directory = directory
        vendors = []
        features = []
        models = []
        let index = try Self.read(directory, "index.xml")
        guard let arch = index.children("arch").first(where: { $0["name"] == "x86" }) else {
            throw ExportError(.badMap, "\(directory)/index.xml has no <arch name='x86'>")
        }
        for include in arch.children("include") {
            guard let file = include["filename"], !file.contains("/"), !file.hasPrefix(".") else {
                throw ExportError(.badMap, "\(directory)/index.xml line \(include.line): bad <include filename>")
            }
            let root = try Self.read(directory, file)
            for element in root.children {
                switch element.name {
                case "vendor": try addVendor(element, file)
                case "feature": try addFeature(element, file)
                case "model": try addModel(element, file)
                default: continue
                }
            }
        }
        guard !features.isEmpty, !models.isEmpty else {
            throw ExportError(.badMap, "\(directory): the x86 map has no features or no models")
        }
    }

    /// Whether a map is installed in `directory`.
    public static func exists(_ directory: String = defaultDirectory) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/index.xml")
    }

    /// The feature named `name` (libvirt's name).
    public func feature(_ name: String) -> Feature? { featureIndex[name].map { features[$0] } }

    /// The model named `name`.
    public func model(_ name: String) -> Model? { modelIndex[name].map { models[$0] } }

    /// The position of feature `name` in the map (libvirt lists features in this order).
    public func position(of name: String) -> Int? { featureIndex[name] }

    /// libvirt's vendor name of a CPUID vendor string (`AuthenticAMD` → `AMD`).
    public func vendorName(cpuid: String) -> String? { vendors.first { $0.cpuid == cpuid }?.name }

    /// libvirt's name for a QEMU feature name, nil when the map has no such feature: libvirt's own
    /// translation table first (``LibvirtFeatureNames``), then the map's names, then its QEMU aliases.
    public func libvirtName(qemu name: String) -> String? {
        let translated = LibvirtFeatureNames.fromQEMU(name)
        if featureIndex[translated] != nil { return translated }
        return aliasIndex[name]
    }

    static func read(_ directory: String, _ file: String) throws(ExportError) -> BoundedXML.Element {
        let path = directory + "/" + file
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportError(.mapNotFound, "cannot read libvirt's CPU map file \(path)")
        }
        do {
            return try BoundedXML().parse([UInt8](data))
        } catch {
            throw ExportError(.badMap, "\(path): \(error)")
        }
    }

    private mutating func addVendor(_ e: BoundedXML.Element, _ file: String) throws(ExportError) {
        guard let name = e["name"], let cpuid = e["string"] else {
            throw ExportError(.badMap, "\(directory)/\(file) line \(e.line): <vendor> needs name and string")
        }
        vendors.append(Vendor(name: name, cpuid: cpuid))
    }

    private mutating func addFeature(_ e: BoundedXML.Element, _ file: String) throws(ExportError) {
        guard let name = e["name"] else { throw ExportError(.badMap, "\(directory)/\(file) line \(e.line): <feature> without a name") }
        let aliases = e.children("alias").filter { $0["source"] == "qemu" }.compactMap { $0["name"] }
        featureIndex[name] = features.count
        for a in aliases where aliasIndex[a] == nil { aliasIndex[a] = name }
        features.append(Feature(name: name, qemuAliases: aliases, migratable: e["migratable"] != "no"))
    }

    private mutating func addModel(_ e: BoundedXML.Element, _ file: String) throws(ExportError) {
        func bad(_ why: String) -> ExportError { ExportError(.badMap, "\(directory)/\(file) line \(e.line): \(why)") }
        guard let name = e["name"] else { throw bad("<model> without a name") }
        var model = Model(name: name, vendor: nil, signatures: [], decodeHost: true, decodeGuest: true, features: [], removed: [])
        if let ancestor = e.child("model") {
            guard let parent = ancestor["name"].flatMap({ self.model($0) }) else {
                throw bad("ancestor model \(ancestor["name"] ?? "?") of \(name) is not defined before it")
            }
            model.vendor = parent.vendor
            model.signatures = parent.signatures
            model.features = parent.features
        }
        if let decode = e.child("decode") {
            model.decodeHost = decode["host"] != "off"
            model.decodeGuest = decode["guest"] != "off"
        }
        let signatures = try e.children("signature").map { s throws(ExportError) -> Signature in
            guard let family = s["family"].flatMap(Int.init), let number = s["model"].flatMap(Int.init) else {
                throw bad("<signature> of \(name) needs numeric family and model")
            }
            return Signature(family: family, model: number, steppings: try s["stepping"].map { t throws(ExportError) in
                guard let set = Self.steppings(t) else { throw bad("bad stepping '\(t.prefix(20))'") }
                return set
            })
        }
        if !signatures.isEmpty { model.signatures = signatures }
        if let vendor = e.child("vendor")?["name"] {
            guard vendors.contains(where: { $0.name == vendor }) else { throw bad("unknown vendor \(vendor) of \(name)") }
            model.vendor = vendor
        }
        for f in e.children("feature") {
            guard let fname = f["name"], featureIndex[fname] != nil else {
                throw bad("feature \(f["name"] ?? "?") of \(name) is not in the map")
            }
            if f["removed"] == "yes" {
                model.removed.append(fname)
                model.features.removeAll { $0 == fname }
            } else if !model.features.contains(fname) {
                model.features.append(fname)
            }
        }
        modelIndex[name] = models.count
        models.append(model)
    }

    /// `5-7,9` → {5, 6, 7, 9}.
    static func steppings(_ text: String) -> Set<Int>? {
        var result = Set<Int>()
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!, low <= high, high < 16 else { return nil }
            result.formUnion(low...high)
        }
        return result.isEmpty ? nil : result
    }
}
