import SnapshotStore

/// The catalogue half of a release diff: machine types, models, aliases, default CPU types and
/// feature names.
extension ReleaseDiff {
    static func catalogue(_ a: DiffInput, _ b: DiffInput) -> [Change] {
        var out: [Change] = []
        let binaries = Set(a.binaries).intersection(b.binaries).sorted()
        for binary in binaries {
            let ma = Dictionary(a.machines.filter { $0.binary == binary }.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            let mb = Dictionary(b.machines.filter { $0.binary == binary }.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            for name in Set(ma.keys).union(mb.keys).sorted() {
                switch (ma[name], mb[name]) {
                case (nil, _?): out.append(Change(kind: "machine-added", binary: binary, subject: name))
                case (_?, nil): out.append(Change(kind: "machine-removed", binary: binary, subject: name))
                case (let x?, let y?):
                    if x.deprecated != y.deprecated {
                        out.append(Change(kind: y.deprecated ? "machine-deprecated" : "machine-undeprecated", binary: binary, subject: name))
                    }
                    if x.defaultCPUType != y.defaultCPUType {
                        out.append(Change(kind: "default-cpu-changed", binary: binary, subject: name,
                                          old: x.defaultCPUType, new: y.defaultCPUType))
                    }
                default: break
                }
            }
            // Models and their flags: any session's definitions (flags do not depend on the session).
            func models(_ s: DiffInput) -> [String: CPUDefinitionRecord] {
                var d: [String: CPUDefinitionRecord] = [:]
                for def in s.definitions where def.session.binary == binary && d[def.name] == nil { d[def.name] = def }
                return d
            }
            let da = models(a), db = models(b)
            for name in Set(da.keys).union(db.keys).sorted() {
                switch (da[name], db[name]) {
                case (nil, _?): out.append(Change(kind: "model-added", binary: binary, subject: name))
                case (_?, nil): out.append(Change(kind: "model-removed", binary: binary, subject: name))
                case (let x?, let y?) where x.deprecated != y.deprecated:
                    out.append(Change(kind: y.deprecated ? "model-deprecated" : "model-undeprecated", binary: binary, subject: name))
                default: break
                }
            }
            // alias-of per machine type (TCG sessions present in both).
            var aliasA: [String: String] = [:]
            for d in a.definitions where d.session.binary == binary && d.session.accel == "tcg" {
                aliasA["\(d.session.machine) \(d.name)"] = d.aliasOf ?? "-"
            }
            for d in b.definitions where d.session.binary == binary && d.session.accel == "tcg" {
                let key = "\(d.session.machine) \(d.name)"
                if let old = aliasA[key], old != (d.aliasOf ?? "-") {
                    out.append(Change(kind: "alias-changed", binary: binary, subject: key, old: old, new: d.aliasOf ?? "-"))
                }
            }
            let fa = a.featureNames(binary), fb = b.featureNames(binary)
            for f in fb.subtracting(fa).sorted() { out.append(Change(kind: "feature-added", binary: binary, subject: f)) }
            for f in fa.subtracting(fb).sorted() { out.append(Change(kind: "feature-removed", binary: binary, subject: f)) }
        }
        return out
    }
}
