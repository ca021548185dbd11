import Foundation
import QMP

/// Records the CPU part of libvirt's capabilities probe of one QEMU binary, from the real QEMU,
/// as one `.replies` file in libvirt's layout (`caps_<version>_<arch>.replies`).
///
/// Phase 1 starts `-machine none,accel=kvm:tcg` (or `tcg`) and asks, in libvirt's order,
/// `query-version`, `query-target`, `query-kvm`, `query-machines`, `query-cpu-definitions` and
/// the expansions libvirt asks for that architecture (``expansions(arch:model:hardware:)``):
/// `host` when KVM is in use, else `max`. When KVM was in use, phase 2 starts
/// `-machine none,accel=tcg` and asks `query-cpu-definitions`, the `max` expansions and
/// `query-machines`, as libvirt's TCG probe does. Error replies are recorded as QEMU gave them.
/// Next to the transcript, `<name>.recording.json` says it is qcpu's recording of the real QEMU.
public struct LibvirtProbeRecorder: Sendable {
    /// The QEMU binary (a path).
    public var qemu: String
    /// Whether phase 1 may use KVM (`accel=kvm:tcg`); the default is whether `/dev/kvm` is usable.
    public var useKVM: Bool
    /// Extra arguments for both QEMU command lines (e.g. `-L DIR`).
    public var extraArguments: [String] = []
    /// The per-command timeout.
    public var timeout: Duration = .seconds(30)
    /// Models expanded (`static`) at the end of phase 1 beyond libvirt's own requests; an unknown
    /// name records QEMU's real error reply.
    public var extraExpansions: [String] = []

    /// What a recording gives back.
    public struct Recording: Sendable {
        /// The conversation, both phases.
        public var transcript: Transcript
        /// `query-version` (`7.2.22`) and its package string.
        public var qemuVersion: String, qemuPackage: String
        /// `query-target`'s arch.
        public var arch: String
        /// Whether phase 1 ran under KVM (and so phase 2 exists).
        public var kvm: Bool
        /// libvirt's file name: `caps_<version>_<arch>.replies`.
        public var fileName: String { "caps_\(qemuVersion)_\(arch).replies" }
    }

    /// Creates a recorder for `qemu`.
    public init(qemu: String, useKVM: Bool = HostFingerprint.kvmUsable) {
        self.qemu = qemu
        self.useKVM = useKVM
    }

    /// The expansions libvirt's probe asks of `model` on `arch` (`virQEMUCapsProbeQMPHostCPU`):
    /// x86 `static`, `static` with `migratable=false`, and under a hardware accelerator `full`
    /// with `migratable=false,hv-passthrough=true`; s390x and loongarch64 `static`; Arm `full`;
    /// no other architecture is expanded.
    public static func expansions(arch: String, model: String, hardware: Bool) -> [JSONValue] {
        let name: JSONValue = ["name": .string(model)]
        func with(_ props: JSONValue) -> JSONValue { ["name": .string(model), "props": props] }
        switch arch {
        case "x86_64", "i386":
            var list: [JSONValue] = [["type": "static", "model": name], ["type": "static", "model": with(["migratable": false])]]
            if hardware {
                list.append(["type": "full", "model": with(["migratable": false, "hv-passthrough": true])])
            }
            return list
        case "s390x", "loongarch64": return [["type": "static", "model": name]]
        case "aarch64", "arm": return [["type": "full", "model": name]]
        default: return []
        }
    }

    /// Starts QEMU (twice when KVM is in use) and records the conversation.
    public func record() async throws -> Recording {
        var info: (version: String, package: String, arch: String, kvm: Bool) = ("?", "", "unknown", false)
        let phase1 = try await session(accel: useKVM ? "kvm:tcg" : "tcg") { client in
            (info.version, info.package) = ReplyRecords.version(try await client.execute("query-version"))
            info.arch = try await client.execute("query-target")["arch"]?.stringValue ?? "unknown"
            info.kvm = (try await client.execute("query-kvm"))["enabled"]?.boolValue ?? false
            _ = try await client.attempt("query-machines")
            _ = try await client.attempt("query-cpu-definitions")
            let model = info.kvm ? "host" : "max"
            for args in Self.expansions(arch: info.arch, model: model, hardware: info.kvm) {
                _ = try await client.attempt("query-cpu-model-expansion", arguments: args)
            }
            for name in extraExpansions {
                _ = try await client.attempt("query-cpu-model-expansion",
                                             arguments: ["type": "static", "model": ["name": .string(name)]])
            }
        }
        var transcript = phase1
        if info.kvm {
            let arch = info.arch
            transcript.exchanges += try await session(accel: "tcg") { client in
                _ = try await client.attempt("query-cpu-definitions")
                for args in Self.expansions(arch: arch, model: "max", hardware: false) {
                    _ = try await client.attempt("query-cpu-model-expansion", arguments: args)
                }
                _ = try await client.attempt("query-machines")
            }.exchanges
        }
        return Recording(transcript: transcript, qemuVersion: info.version, qemuPackage: info.package,
                         arch: info.arch, kvm: info.kvm)
    }

    /// Records and writes `caps_<version>_<arch>.replies` (and its `.recording.json`) into
    /// `directory`; returns the transcript's path.
    public func record(into directory: String) async throws -> String {
        let recording = try await record()
        let binary = try await BinaryFile.measure(qemu)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(recording.fileName)
        let about: JSONValue = [
            "recorded-by": .string("qcpu \(Harvester.qcpuVersion) (LibvirtProbeRecorder)"),
            "what": "a recording of the real QEMU's answers to the CPU part of libvirt's capabilities probe; nothing in it is hand-written",
            "binary": .string(binary.name), "size": .number(String(binary.size)), "sha256": .string(binary.sha256),
            "qemu-version": .string(recording.qemuVersion), "qemu-package": .string(recording.qemuPackage),
            "phases": .array((recording.kvm ? ["none,accel=kvm:tcg", "none,accel=tcg"]
                              : [useKVM ? "none,accel=kvm:tcg" : "none,accel=tcg"]).map { .string($0) }),
        ]
        try Data((about.prettyText + "\n").utf8).write(
            to: URL(fileURLWithPath: (path as NSString).deletingPathExtension + ".recording.json"), options: .atomic)
        try Data(recording.transcript.libvirtText.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }

    /// One QEMU process under `-machine none,accel=<accel>`, recorded; `quit` is left out, as in
    /// libvirt's files.
    private func session(accel: String, body: (QMPClient) async throws -> Void) async throws -> Transcript {
        var recorder: RecordingTransport?
        try await QEMUProcess.withSession(
            executable: qemu, arguments: QEMUProcess.standardArguments(machine: "none", accel: accel) + extraArguments,
            timeout: timeout,
            wrap: { inner in
                let r = RecordingTransport(recording: inner)
                recorder = r
                return r
            }, body: body)
        var transcript = recorder?.transcript ?? Transcript()
        transcript.exchanges.removeAll { $0.command["execute"]?.stringValue == "quit" }
        return transcript
    }
}
