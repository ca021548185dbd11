import Foundation
import HostCPU
import Harvester
import QMP
import SnapshotStore

/// Builds a light host record (`host_record` 2) from libvirt's host data: a QEMU capabilities
/// cache file (``LibvirtCapsXML``) or a `.replies` file with a KVM phase (``LibvirtReplies``).
///
/// libvirt probes with `-machine none`, so the record has machine type `none` and only it: one
/// binary (`qemu-system-<arch>`, accelerators `kvm`), one session (binary, `none`, `kvm`) with the
/// host's fingerprint, and these expansions rebuilt from libvirt's host CPU data
/// (``LibvirtHostCPU``): `host` static, migratable and `migratable=off` (QEMU's own answers to
/// libvirt, exactly); `host` full, migratable and `migratable=off`, with the same props (canonical
/// feature names and the CPU identity: QEMU's other spellings and non-feature props are not in
/// libvirt's data); and `max` static, the migratable host static answer (under KVM on x86 QEMU
/// expands `max` exactly like `host`: checked on this project's recordings of QEMU 7.2.22 and
/// 10.0.2). Model definitions come from the release snapshot, as for every light record; libvirt's
/// `<blocker>` lists and `unavailable-features` are never read. The realize and runtime probes of a
/// native capture cannot run on a file: `host_extra_features` and `host_runtime_refused` are not
/// written, and `host_not_probed` says why.
public struct HostRecordImporter: Sendable {
    /// The kind of file a record came from (stored in `meta.host_source`).
    public enum Kind: String, Sendable {
        /// libvirt's QEMU capabilities cache XML.
        case capsXML = "libvirt-qemu-capabilities-xml"
        /// A libvirt `.replies` transcript.
        case replies = "libvirt-replies"
    }

    /// What a record is built from, whichever kind of file held it.
    public struct HostData: Sendable {
        /// The kind of file.
        public var kind: Kind
        /// The file's base name.
        public var file: String
        /// The binary (`qemu-system-x86_64`) and its target.
        public var binary: String, arch: String
        /// QEMU's version (`7.2.0`) and package string.
        public var qemuVersion: String, qemuPackage: String
        /// The host CPU data of the KVM probe, or nil when the file has none.
        public var kvmHostCPU: LibvirtHostCPU?
        /// The accelerators the file has host CPU data for (for messages).
        public var accelerators: [String]
        /// The host as the file describes it.
        public var fingerprint: HostRecord
        /// Machine type `none`'s `query-machines` entry (just its name when the file lacks it).
        public var noneMachine: JSONValue
    }

    /// The time stored in the record (`SOURCE_DATE_EPOCH`), or nil for now.
    public var sourceDateEpoch: Int64?

    /// Creates an importer.
    public init(sourceDateEpoch: Int64? = nil) { self.sourceDateEpoch = sourceDateEpoch }

    /// Reads `path`, a capabilities XML or a `.replies` file (told apart by their first character).
    public func read(_ path: String) throws(LibvirtImportError) -> HostData {
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path, maxBytes: max(Transcript.maxBytes, BoundedXML.Limits().maxBytes)) } catch {
            throw LibvirtImportError(error.kind == .unreadable ? .unreadable : .badFile, file: path, error.message)
        }
        let name = (path as NSString).lastPathComponent
        switch bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D }) {
        case UInt8(ascii: "<"), 0xEF: return Self.data(try LibvirtCapsXML(bytes: bytes, file: name, label: path))
        case UInt8(ascii: "{"):
            return try Self.data(try LibvirtReplies(parsing: bytes, file: name, label: path),
                                 label: path)
        case nil: throw LibvirtImportError(.badFile, file: path, "empty file")
        default:
            throw LibvirtImportError(.badFile, file: path,
                                     "neither libvirt's QEMU capabilities XML nor a .replies transcript (it starts with neither '<' nor '{')")
        }
    }

    /// The host data of a capabilities file.
    public static func data(_ caps: LibvirtCapsXML) -> HostData {
        let cpu = caps.hostCPUs["kvm"]
        var host = fingerprint(cpu)
        if let s = caps.signature {
            (host.vendor, host.modelName, host.family, host.model, host.stepping) = (s.vendor, s.modelName, s.family, s.model, s.stepping)
        }
        if let m = caps.microcodeVersion { host.microcode = "0x" + String(m, radix: 16) }
        if let k = caps.kernelVersion?.split(separator: " ").first { host.kernel = String(k) }
        return HostData(kind: .capsXML, file: caps.file, binary: caps.binary, arch: caps.arch, qemuVersion: caps.qemuVersion,
                        qemuPackage: caps.qemuPackage, kvmHostCPU: cpu, accelerators: caps.hostCPUs.keys.sorted(),
                        fingerprint: host, noneMachine: ["name": "none"])
    }

    /// The host data of a `.replies` file: its KVM phase's static expansions of `host`, merged
    /// as libvirt merges them, and its `query-machines` entry of `none`.
    public static func data(_ replies: LibvirtReplies, label: String? = nil) throws(LibvirtImportError) -> HostData {
        var cpu: LibvirtHostCPU?
        var machine: JSONValue = ["name": "none"]
        if let phase = replies.phases.first(where: { $0.accel == "kvm" }) {
            var on: JSONValue?, off: JSONValue?
            for e in phase.exchanges where e.command["execute"]?.stringValue == "query-cpu-model-expansion" {
                guard let args = e.command["arguments"], args["type"]?.stringValue == "static",
                      args["model"]?["name"]?.stringValue == "host", let model = e.reply["return"]?["model"] else { continue }
                switch args["model"]?["props"]?.objectValue ?? [:] {
                case [:]: on = on ?? model
                case ["migratable": false]: off = off ?? model
                default: continue
                }
            }
            if let on { cpu = try LibvirtHostCPU(accel: "kvm", migratable: on, nonMigratable: off) }
            let machines = phase.reply("query-machines")?["return"]?.arrayValue ?? []
            if let none = machines.first(where: { $0["name"]?.stringValue == "none" }) { machine = none }
        }
        return HostData(kind: .replies, file: replies.file, binary: replies.binary, arch: replies.arch,
                        qemuVersion: replies.qemuVersion, qemuPackage: replies.qemuPackage, kvmHostCPU: cpu,
                        accelerators: replies.phases.map(\.accel), fingerprint: fingerprint(cpu), noneMachine: machine)
    }

    /// The fingerprint the host CPU data gives: QEMU's CPU identity of the host model; no
    /// microcode and kernel (`unknown`).
    static func fingerprint(_ cpu: LibvirtHostCPU?) -> HostRecord {
        let id = cpu?.identity
        var name = id?.modelID ?? "unknown"
        while name.hasSuffix(" ") { name.removeLast() }
        return HostRecord(vendor: id?.vendor ?? "unknown", family: id?.family ?? 0, model: id?.model ?? 0,
                          stepping: id?.stepping ?? 0, modelName: name, microcode: "unknown", kernel: "unknown")
    }

    /// The KVM host CPU data of `data`.
    ///
    /// - Throws: ``LibvirtImportError`` with ``LibvirtImportError/Code/noKVM`` when there is none.
    public static func kvmHostCPU(_ data: HostData) throws(LibvirtImportError) -> LibvirtHostCPU {
        guard let cpu = data.kvmHostCPU else {
            let what = data.kind == .capsXML ? "<hostCPU type='kvm'>" : "KVM phase with the host model's static expansion"
            throw LibvirtImportError(.noKVM, file: data.file,
                "no \(what) (the file has \(data.accelerators.joined(separator: ", "))): libvirt did not probe this QEMU under KVM, so it describes no KVM host")
        }
        return cpu
    }

    /// The light host record of `data`.
    ///
    /// - Throws: ``LibvirtImportError`` with ``LibvirtImportError/Code/noKVM`` when the file has
    ///   no KVM host CPU data, or ``LibvirtImportError/Code/badFile`` when it lacks the
    ///   `migratable=off` answer.
    public func record(of data: HostData) throws(LibvirtImportError) -> Snapshot {
        let cpu = try Self.kvmHostCPU(data)
        guard cpu.migratability else {
            throw LibvirtImportError(.badFile, file: data.file,
                "the KVM host CPU data has no migratability (libvirt got no migratable=off answer): the host's full feature set is unknown")
        }
        var meta = SnapshotMeta(qcpuVersion: Harvester.qcpuVersion, qemuVersion: data.qemuVersion, qemuPackage: data.qemuPackage,
                                harvestTime: sourceDateEpoch ?? Int64(Date().timeIntervalSince1970))
        meta.extra[HostRecordKeys.format] = HostRecordKeys.light
        meta.extra[HostRecordKeys.source] = JSONValue.object(["kind": .string(data.kind.rawValue), "file": .string(data.file)]).canonicalText
        meta.extra[HostRecordKeys.notProbed] = "imported from \(data.kind.rawValue) \(data.file): the realize and runtime probes run only on the host itself"
        var s = Snapshot(meta: meta)
        s.binaries = [BinaryRecord(name: data.binary, arch: data.arch, size: 0, sha256: "", accelerators: ["kvm"])]
        s.machines = [MachineRecord(binary: data.binary, name: "none", info: data.noneMachine)]
        let key = SessionKey(binary: data.binary, machine: "none", accel: "kvm")
        s.sessions = [SessionRecord(key: key, host: data.fingerprint)]
        let migratable = cpu.staticProps(migratable: true), all = cpu.staticProps(migratable: false)
        func row(_ model: String, _ type: String, _ variant: String, _ name: String, _ props: PropertySet) -> ExpansionRecord {
            ExpansionRecord(key: .init(session: key, model: model, type: type, variant: variant),
                            outcome: .expanded(model: name, props: props))
        }
        s.expansions = [
            row("host", "static", "", cpu.model, migratable), row("host", "static", "migratable=off", cpu.model, all),
            row("host", "full", "", "host", migratable), row("host", "full", "migratable=off", "host", all),
            row("max", "static", "", cpu.model, migratable),
        ]
        s.normalize()
        return s
    }
}
