import CPUQuery
import Foundation
import QMP

/// A guest CPU as a user writes it: a model with features added and removed.
public struct GuestCPU: Sendable, Equatable {
    /// The CPU model.
    public var model: String
    /// Features turned on (`+f`, `f=on`; libvirt `require`/`force`).
    public var plus: [String]
    /// Features turned off (`-f`, `f=off`; libvirt `disable`/`forbid`).
    public var minus: [String]

    /// Creates a guest CPU.
    public init(model: String, plus: [String] = [], minus: [String] = []) {
        self.model = model
        self.plus = plus
        self.minus = minus
    }

    /// Longest `-cpu` string or `<cpu>` XML read, bytes.
    public static let maxLength = 4 << 20
    /// Most features one guest CPU names (x86 QEMU knows about 700 spellings).
    public static let maxFeatures = 4096

    /// Reads a `-cpu` string (`Model,+f,-g,h=on,k=off`) or a libvirt `<cpu>` element (alone, or
    /// the first one in a document such as a domain XML). Linear in the input and bounded
    /// (``maxLength``, ``maxFeatures``); an error quotes at most a short excerpt.
    public static func parse(_ text: String) throws(HostCPUError) -> GuestCPU {
        guard text.utf8.count <= maxLength else {
            throw HostCPUError(.badGuest, "a guest CPU of \(text.utf8.count) bytes: longer than the limit of \(maxLength)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasPrefix("<") ? try parseXML(trimmed) : try parseOption(trimmed)
    }

    /// Options of `-cpu` that are not features.
    static let flags: Set<String> = ["enforce", "check", "migratable"]

    static func parseOption(_ text: String) throws(HostCPUError) -> GuestCPU {
        let quoted = InputExcerpt.quoted(text)
        func bad(_ message: String) -> HostCPUError { HostCPUError(.badGuest, "\(quoted): \(message)") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard let model = parts.first, !model.isEmpty, !model.contains("=") else {
            throw bad("a -cpu string starts with a model name (Model,+feature,-feature,feature=on)")
        }
        guard parts.count <= maxFeatures + 1 else { throw bad("more than \(maxFeatures) features") }
        guard isName(model) else { throw bad("\(InputExcerpt.quoted(model)) \(notAName)") }
        var guest = GuestCPU(model: String(model))
        for part in parts.dropFirst() {
            let shown = InputExcerpt.quoted(part)
            if part.isEmpty { throw bad("empty element between commas") }
            if part.hasPrefix("+") || part.hasPrefix("-") {
                let name = String(part.dropFirst())
                guard !name.isEmpty else { throw bad("\(shown) names no feature") }
                guard isName(name) else { throw bad("\(shown) \(notAName)") }
                if part.hasPrefix("+") { guest.plus.append(name) } else { guest.minus.append(name) }
                continue
            }
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 1, flags.contains(kv[0]) { continue }
            guard kv.count == 2 else { throw bad("\(shown) is neither +feature, -feature nor feature=on|off") }
            guard isName(kv[0]) else { throw bad("\(shown) \(notAName)") }
            switch kv[1] {
            case "on", "true", "yes": guest.plus.append(kv[0])
            case "off", "false", "no": guest.minus.append(kv[0])
            default:
                if flags.contains(kv[0]) { continue }
                throw bad("\(shown): only boolean features can be compared (on/off)")
            }
        }
        return guest
    }

    /// Reads libvirt's `<cpu mode='custom'><model>M</model><feature policy='...' name='f'/></cpu>`
    /// with ``BoundedXML``: well-formed XML only, one pass.
    static func parseXML(_ text: String) throws(HostCPUError) -> GuestCPU {
        var limits = BoundedXML.Limits()
        limits.maxBytes = maxLength
        let root: BoundedXML.Element
        do { root = try BoundedXML(limits: limits).parse(Array(text.utf8)) } catch {
            throw HostCPUError(.badGuest, "the <cpu> XML is not well-formed: \(error)")
        }
        guard let cpu = first("cpu", in: root) else { throw HostCPUError(.badGuest, "no <cpu> element in the XML") }
        if let mode = cpu["mode"], mode != "custom" {
            throw HostCPUError(.badGuest, "<cpu mode='\(InputExcerpt.of(mode))'>: only mode='custom' names a model to compare")
        }
        guard let model = cpu.child("model")?.text.trimmingCharacters(in: .whitespacesAndNewlines), !model.isEmpty else {
            throw HostCPUError(.badGuest, "<cpu> has no <model>NAME</model>")
        }
        let features = cpu.children("feature")
        guard features.count <= maxFeatures else { throw HostCPUError(.badGuest, "<cpu> has more than \(maxFeatures) features") }
        guard isName(model) else { throw HostCPUError(.badGuest, "<model>\(InputExcerpt.of(model))</model>: \(notAName)") }
        var guest = GuestCPU(model: model)
        for f in features {
            guard let name = f["name"] else { throw HostCPUError(.badGuest, "<feature> without a name (line \(f.line))") }
            guard isName(name) else {
                throw HostCPUError(.badGuest, "<feature name='\(InputExcerpt.of(name))'> (line \(f.line)): \(notAName)")
            }
            switch f["policy"] ?? "require" {
            case "require", "force": guest.plus.append(name)
            case "disable", "forbid": guest.minus.append(name)
            case "optional": break
            case let p:
                throw HostCPUError(.badGuest, "<feature name='\(InputExcerpt.of(name))' policy='\(InputExcerpt.of(p))'> (line \(f.line)): "
                                   + "unknown policy (require, force, optional, disable, forbid)")
            }
        }
        return guest
    }

    /// Whether `s` can be a QEMU CPU model or feature name: printable ASCII, no space or comma.
    static func isName(_ s: some StringProtocol) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }
    }

    /// Why a name is refused.
    static let notAName = "is not a CPU model or feature name (printable ASCII, no spaces or commas)"

    /// The first element named `name` in document order: `root` itself or a descendant.
    static func first(_ name: String, in root: BoundedXML.Element) -> BoundedXML.Element? {
        var stack = [root]
        while let e = stack.popLast() {
            if e.name == name { return e }
            stack += e.children.reversed()
        }
        return nil
    }

    /// The feature set on `sets`'s machine type, with every name checked.
    public func features(in sets: ModelFeatureSets, context: String) throws(HostCPUError) -> Set<String> {
        guard var result = sets.models[model] else {
            throw .unknown("CPU model", model, among: Array(sets.models.keys), context: context)
        }
        result.formUnion(try sets.space.canonical(plus, context: context))
        result.subtract(try sets.space.canonical(minus, context: context))
        return result
    }

    /// The `-cpu` string.
    public var option: String { ([model] + plus.map { "+" + $0 } + minus.map { "-" + $0 }).joined(separator: ",") }

    /// The libvirt `<cpu mode='custom'>` element.
    public var libvirtXML: String {
        let escaped = BoundedXML.escaped
        var lines = ["<cpu mode='custom' match='exact' check='full'>", "  <model fallback='forbid'>\(escaped(model))</model>"]
        lines += plus.map { "  <feature policy='require' name='\(escaped($0))'/>" }
        lines += minus.map { "  <feature policy='disable' name='\(escaped($0))'/>" }
        return (lines + ["</cpu>"]).joined(separator: "\n")
    }
}

extension FeatureSpace {
    /// The canonical names of `names`, or an unknown-name error with suggestions.
    public func canonical(_ names: [String], context: String) throws(HostCPUError) -> [String] {
        var result: [String] = []
        for n in names {
            guard let c = resolve(n) else { throw .unknown("feature", n, among: self.names, context: context) }
            result.append(c)
        }
        return result
    }
}
