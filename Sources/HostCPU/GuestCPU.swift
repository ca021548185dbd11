import Foundation
import CPUQuery

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

    /// Reads a `-cpu` string (`Model,+f,-g,h=on,k=off`) or a libvirt `<cpu>` element.
    public static func parse(_ text: String) throws(HostCPUError) -> GuestCPU {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasPrefix("<") ? try parseXML(trimmed) : try parseOption(trimmed)
    }

    /// Options of `-cpu` that are not features.
    static let flags: Set<String> = ["enforce", "check", "migratable"]

    static func parseOption(_ text: String) throws(HostCPUError) -> GuestCPU {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let model = parts.first, !model.isEmpty, !model.contains("=") else {
            throw HostCPUError(.badGuest, "'\(text)': a -cpu string starts with a model name (Model,+feature,-feature,feature=on)")
        }
        var guest = GuestCPU(model: model)
        for part in parts.dropFirst() {
            if part.isEmpty { throw HostCPUError(.badGuest, "'\(text)': empty element between commas") }
            if part.hasPrefix("+") || part.hasPrefix("-") {
                let name = String(part.dropFirst())
                guard !name.isEmpty else { throw HostCPUError(.badGuest, "'\(text)': '\(part)' names no feature") }
                if part.hasPrefix("+") { guest.plus.append(name) } else { guest.minus.append(name) }
                continue
            }
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 1, flags.contains(kv[0]) { continue }
            guard kv.count == 2 else { throw HostCPUError(.badGuest, "'\(text)': '\(part)' is neither +feature, -feature nor feature=on|off") }
            switch kv[1] {
            case "on", "true", "yes": guest.plus.append(kv[0])
            case "off", "false", "no": guest.minus.append(kv[0])
            default:
                if flags.contains(kv[0]) { continue }
                throw HostCPUError(.badGuest, "'\(text)': '\(part)': only boolean features can be compared (on/off)")
            }
        }
        return guest
    }

    /// Reads libvirt's `<cpu mode='custom'><model>M</model><feature policy='...' name='f'/></cpu>`.
    static func parseXML(_ text: String) throws(HostCPUError) -> GuestCPU {
        guard let cpu = XMLTag.first("cpu", in: text) else {
            throw HostCPUError(.badGuest, "no <cpu> element in the XML")
        }
        guard text.contains("</cpu>") || cpu.selfClosing else { throw HostCPUError(.badGuest, "<cpu> is not closed") }
        if let mode = cpu.attributes["mode"], mode != "custom" {
            throw HostCPUError(.badGuest, "<cpu mode='\(mode)'>: only mode='custom' names a model to compare")
        }
        guard let modelTag = XMLTag.first("model", in: text), let model = modelTag.text?.trimmingCharacters(in: .whitespaces),
              !model.isEmpty else {
            throw HostCPUError(.badGuest, "<cpu> has no <model>NAME</model>")
        }
        var guest = GuestCPU(model: model)
        for f in XMLTag.all("feature", in: text) {
            guard let name = f.attributes["name"] else { throw HostCPUError(.badGuest, "<feature> without a name") }
            switch f.attributes["policy"] ?? "require" {
            case "require", "force": guest.plus.append(name)
            case "disable", "forbid": guest.minus.append(name)
            case "optional": break
            case let p: throw HostCPUError(.badGuest, "<feature name='\(name)' policy='\(p)'>: unknown policy (require, force, optional, disable, forbid)")
            }
        }
        return guest
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
        var lines = ["<cpu mode='custom' match='exact' check='full'>", "  <model fallback='forbid'>\(model)</model>"]
        lines += plus.map { "  <feature policy='require' name='\($0)'/>" }
        lines += minus.map { "  <feature policy='disable' name='\($0)'/>" }
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
