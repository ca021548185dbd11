import Foundation
import Harvester
import QMP
import SnapshotStore

/// Builds a snapshot from libvirt `.replies` files: what libvirt's capabilities probe learned.
///
/// Each file gives one binary (`qemu-system-<arch>`, size 0 and no SHA-256: the file does not
/// say), its machine types (`query-machines`), and one session on machine type `none` per
/// phase: its `query-cpu-definitions` and every `query-cpu-model-expansion` it holds, keyed by
/// model, type and variant (the input props, e.g. `migratable=off`). Error replies are kept as
/// failed expansions, or as `unsupported` when they mean the target lacks the command; so are
/// the CPU commands missing from the file's `query-qmp-schema`, which libvirt does not ask.
/// Sessions under a hardware accelerator get a host record from the `host` full expansion
/// (vendor, family, model, stepping, model-id) where there is one. Several files (arches of one
/// QEMU build) merge into one snapshot; `meta.coverage` says what the snapshot covers.
public struct LibvirtImporter: Sendable {
    /// The time stored in the snapshot (`SOURCE_DATE_EPOCH`), or nil for now.
    public var sourceDateEpoch: Int64?

    /// The source name stored in `meta.coverage`.
    public static let source = "libvirt-probe"

    /// Creates an importer.
    public init(sourceDateEpoch: Int64? = nil) { self.sourceDateEpoch = sourceDateEpoch }

    /// Reads `paths` and builds the snapshot.
    public func snapshot(from paths: [String]) throws(LibvirtImportError) -> Snapshot {
        var files: [LibvirtReplies] = []
        for path in paths { files.append(try LibvirtReplies(path: path)) }
        return try snapshot(of: files)
    }

    /// Builds the snapshot of parsed files.
    public func snapshot(of files: [LibvirtReplies]) throws(LibvirtImportError) -> Snapshot {
        guard let first = files.first else { throw LibvirtImportError(.noInput, "no .replies file given") }
        var seen: [String: String] = [:]
        for f in files {
            guard f.qemuVersion == first.qemuVersion, f.qemuPackage == first.qemuPackage else {
                let mine = "QEMU \(f.qemuVersion) (\(InputExcerpt.of(f.qemuPackage)))"
                let theirs = "QEMU \(first.qemuVersion) (\(InputExcerpt.of(first.qemuPackage)))"
                throw LibvirtImportError(.mixedBuilds, file: f.file,
                    "\(mine) differs from \(first.file)'s \(theirs); import each QEMU build into its own snapshot")
            }
            if let other = seen[f.binary] {
                throw LibvirtImportError(.duplicateBinary, file: f.file, "\(other) is also of \(f.binary); one file per architecture")
            }
            seen[f.binary] = f.file
        }
        var snapshot = Snapshot(meta: SnapshotMeta(
            qcpuVersion: Harvester.qcpuVersion, qemuVersion: first.qemuVersion, qemuPackage: first.qemuPackage,
            harvestTime: sourceDateEpoch ?? Int64(Date().timeIntervalSince1970)))
        let cache = ExpansionCache()
        for f in files {
            do { try add(f, to: &snapshot, cache: cache) } catch {
                throw LibvirtImportError(.badFile, file: f.file, "bad reply: \(error)")
            }
        }
        snapshot.meta.partialCoverage = PartialCoverage(
            source: Self.source, machineTypes: Array(Set(snapshot.sessions.map(\.key.machine))),
            expandedModels: Array(Set(snapshot.expansions.map(\.key.model))), files: files.map(\.file))
        snapshot.normalize()
        return snapshot
    }

    private func add(_ f: LibvirtReplies, to s: inout Snapshot, cache: ExpansionCache) throws(QMPError) {
        s.binaries.append(BinaryRecord(name: f.binary, arch: f.arch, size: 0, sha256: "",
                                       accelerators: Set(f.phases.map(\.accel)).sorted()))
        var machines: [String: MachineRecord] = [:]
        for phase in f.phases.reversed() {
            if let reply = phase.reply("query-machines")?["return"] {
                for m in ReplyRecords.machines(reply, binary: f.binary) { machines[m.name] = m }
            }
        }
        // Every session is on machine type none (libvirt probes with -machine none): it must be listed.
        guard machines["none"] != nil else {
            throw QMPError(.badTranscript, "no query-machines reply lists machine type none, which libvirt's probe runs")
        }
        s.machines += machines.values
        var qom: [String: QOMTypeRecord] = [:]
        for phase in f.phases {
            let key = SessionKey(binary: f.binary, machine: "none", accel: phase.accel)
            var session = SessionRecord(key: key, host: nil)
            var expansions: [ExpansionRecord.Key: ExpansionRecord] = [:]
            var definitionsAsked: JSONValue?
            for e in phase.exchanges {
                let args = e.command["arguments"]
                let result: Result<QMPClient.Reply, QMPError>
                if let value = e.reply["return"] {
                    result = .success(.value(value))
                } else {
                    let error = e.reply["error"]
                    result = .failure(QMPError(.commandFailed, "\(e.command["execute"]?.stringValue ?? "?") failed",
                                               errorClass: error?["class"]?.stringValue ?? "unknown",
                                               errorDescription: error?["desc"]?.stringValue ?? ""))
                }
                switch e.command["execute"]?.stringValue {
                case "query-cpu-definitions":
                    // libvirt asks once per QEMU process; two answers would give two rows per model.
                    if let first = definitionsAsked {
                        throw QMPError(.badTranscript, "the \(phase.accel) phase asks query-cpu-definitions twice "
                            + "(ids \(Self.excerpt(first)) and \(Self.excerpt(e.command["id"]))); libvirt asks it once per QEMU process")
                    }
                    definitionsAsked = e.command["id"] ?? .null
                    switch result {
                    case .success(let reply):
                        var names = Set<String>()
                        for d in try reply.parsed().arrayValue ?? [] {
                            guard let name = d["name"]?.stringValue else { continue }
                            // Swift compares names canonically (Unicode), SQLite by bytes: either way, one row per model.
                            guard names.insert(name).inserted else {
                                throw QMPError(.badTranscript, "query-cpu-definitions of the \(phase.accel) phase lists model "
                                    + "\(InputExcerpt.quoted(name)) twice")
                            }
                            s.definitions.append(ReplyRecords.definition(d, name: name, key: key))
                        }
                    case .failure(let error):
                        session.unsupported.append(error.isUnsupported ? "query-cpu-definitions"
                            : "query-cpu-definitions (\(error.errorClass ?? ""): \(error.errorDescription ?? ""))")
                    }
                case "query-cpu-model-expansion":
                    guard let type = args?["type"]?.stringValue, let model = args?["model"]?["name"]?.stringValue else { continue }
                    if case .failure(let error) = result, error.isUnsupported {
                        session.unsupported.append("query-cpu-model-expansion \(type)")
                        continue
                    }
                    let k = ExpansionRecord.Key(session: key, model: model, type: type,
                                                variant: ReplyRecords.variant(args?["model"]?["props"]))
                    if expansions[k] == nil { expansions[k] = try ReplyRecords.expansion(result, key: k, cache: cache) }
                case "qom-list-properties":
                    guard let typename = args?["typename"]?.stringValue, typename.hasSuffix("-cpu"),
                          case .success(let reply) = result else { continue }
                    qom[typename] = ReplyRecords.qomType(try reply.parsed(), binary: f.binary, typename: typename)
                default: continue
                }
            }
            if let commands = f.schemaCommands {
                // Not in QEMU's schema, so libvirt never asked: unsupported, as a harvest records it.
                if !commands.contains("query-cpu-definitions") { session.unsupported.append("query-cpu-definitions") }
                if !commands.contains("query-cpu-model-expansion") {
                    session.unsupported += ["query-cpu-model-expansion full", "query-cpu-model-expansion static"]
                }
            }
            session.unsupported = Set(session.unsupported).sorted()
            if phase.accel != "tcg" { session.host = Self.host(expansions.values) }
            s.sessions.append(session)
            s.expansions += expansions.values
        }
        s.qomTypes += qom.values
        Self.keepOwnTypenames(&s.definitions, binary: f.binary)
    }

    /// A short excerpt of a command id, for messages.
    static func excerpt(_ id: JSONValue?) -> String { InputExcerpt.of(id?.stringValue ?? id?.canonicalText ?? "none") }

    /// A snapshot stores one QOM type per model, but under KVM on ppc64 QEMU points the host's
    /// model at the host CPU type (libvirt's caps_7.1.0_ppc64.replies: `power9` is
    /// `host-powerpc64-cpu` under KVM and `power9_v2.0-powerpc64-cpu` under TCG). The TCG
    /// phase's type, the model's own, is kept for every session of `binary`.
    static func keepOwnTypenames(_ definitions: inout [CPUDefinitionRecord], binary: String) {
        var own: [String: String] = [:]
        for d in definitions where d.session.binary == binary && d.session.accel == "tcg" { own[d.name] = d.typename }
        for i in definitions.indices where definitions[i].session.binary == binary {
            if let typename = own[definitions[i].name] { definitions[i].typename = typename }
        }
    }

    /// The recording host as far as the `host` full expansion tells (x86 gives vendor, family,
    /// model, stepping and model-id); the rest is not in the file.
    static func host(_ expansions: some Sequence<ExpansionRecord>) -> HostRecord {
        var host = HostRecord(vendor: "unknown", family: 0, model: 0, stepping: 0,
                              modelName: "not recorded (libvirt probe data)", microcode: "", kernel: "")
        for e in expansions where e.key.model == "host" && e.key.type == "full" {
            guard case .expanded(_, let props) = e.outcome else { continue }
            let p = Dictionary(props.properties.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            if let v = p["vendor"]?.stringValue { host.vendor = v }
            if let v = p["family"]?.intValue { host.family = v }
            if let v = p["model"]?.intValue { host.model = v }
            if let v = p["stepping"]?.intValue { host.stepping = v }
            if let v = p["model-id"]?.stringValue { host.modelName = v }
        }
        return host
    }
}
