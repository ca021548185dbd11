import Foundation
import Harvester
import QMP

/// One libvirt `.replies` file (`tests/qemucapabilitiesdata/caps_<version>_<arch>.replies`, or
/// one qcpu's ``Harvester/LibvirtProbeRecorder`` wrote), cut into its QEMU processes.
///
/// Commands and replies pair by position; the ids must agree. A new process starts at every
/// `qmp_capabilities`. Phase 1 ran `-machine none,accel=kvm:tcg` (or `hvf:tcg`), phase 2, when
/// present, `-machine none,accel=tcg`. Which accelerator phase 1 used is read as libvirt reads it:
/// `kvm` when `query-kvm` says enabled; otherwise, when a TCG phase follows, a hardware
/// accelerator that is not KVM, named by the file name's variant (`+hvf`, `+mshv`) and `hvf` when
/// it names none; otherwise `tcg`.
public struct LibvirtReplies: Sendable {
    /// One QEMU process of the probe.
    public struct Phase: Sendable {
        /// The accelerator the process ran under (`kvm`, `hvf`, `tcg`).
        public var accel: String
        /// Its commands and replies, `qmp_capabilities` first.
        public var exchanges: [Transcript.Exchange]

        /// The reply of the first `command`, if it was asked.
        public func reply(_ command: String) -> JSONValue? {
            exchanges.first { $0.command["execute"]?.stringValue == command }?.reply
        }
    }

    /// The file's base name.
    public var file: String
    /// `query-version`: `major.minor.micro` and the package string.
    public var qemuVersion: String, qemuPackage: String
    /// `query-target`'s arch.
    public var arch: String
    /// The processes, in order.
    public var phases: [Phase]
    /// The commands phase 1's `query-qmp-schema` lists, or nil when the file does not have it
    /// (libvirt's files do; qcpu's recordings do not). libvirt asks only what is in the schema,
    /// so a CPU command missing from it was never asked: QEMU lacks it (sparc: both
    /// `query-cpu-definitions` and `query-cpu-model-expansion`; ppc64: the expansion).
    public var schemaCommands: Set<String>?

    /// The binary the file is about (`qemu-system-<arch>`).
    public var binary: String { "qemu-system-\(arch)" }

    /// Reads and checks `path` (a regular file of at most ``Transcript/maxBytes``).
    public init(path: String) throws(LibvirtImportError) {
        let name = (path as NSString).lastPathComponent
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path, maxBytes: Transcript.maxBytes) } catch {
            throw LibvirtImportError(error.kind == .unreadable ? .unreadable : .badFile, file: path, error.message)
        }
        try self.init(parsing: bytes, file: name, label: path)
    }

    /// Parses the text of a `.replies` file named `file`; errors name `label`.
    public init(parsing text: String, file: String, label: String? = nil) throws(LibvirtImportError) {
        try self.init(parsing: Array(text.utf8), file: file, label: label)
    }

    /// Parses the bytes of a `.replies` file named `file`; errors name `label`.
    public init(parsing bytes: [UInt8], file: String, label: String? = nil) throws(LibvirtImportError) {
        let label = label ?? file
        func bad(_ message: String) -> LibvirtImportError { LibvirtImportError(.badFile, file: label, message) }
        let transcript: Transcript
        do { transcript = try Transcript(parsing: bytes, name: label) } catch {
            throw bad("not a libvirt .replies transcript: \(error.message.replacingOccurrences(of: label + ": ", with: ""))")
        }
        guard !transcript.exchanges.isEmpty else { throw bad("empty: no commands") }
        for (i, e) in transcript.exchanges.enumerated() {
            guard e.reply["return"] != nil || e.reply["error"] != nil else {
                throw bad("object \(2 * i + 2) is not a reply (neither return nor error)")
            }
            guard e.reply["id"] == e.command["id"] else {
                func shown(_ id: JSONValue?) -> String { id.map { InputExcerpt.quoted($0.stringValue ?? $0.canonicalText, limit: 40) } ?? "none" }
                let reply = shown(e.reply["id"]), command = shown(e.command["id"])
                throw bad("object \(2 * i + 2): reply id \(reply) does not match command id \(command)")
            }
        }
        let processes = transcript.processes
        guard transcript.exchanges[0].command["execute"]?.stringValue == "qmp_capabilities" else {
            throw bad("does not start with qmp_capabilities")
        }
        guard processes.count <= 2 else {
            throw bad("\(processes.count) QEMU processes; libvirt's probe runs one or two")
        }
        let first = processes[0]
        func phaseReply(_ command: String) -> JSONValue? {
            first.exchanges.first { $0.command["execute"]?.stringValue == command }?.reply["return"]
        }
        guard let version = phaseReply("query-version") else { throw bad("phase 1 has no query-version reply") }
        guard let arch = phaseReply("query-target")?["arch"]?.stringValue else {
            throw bad("phase 1 has no query-target reply")
        }
        // It names the binary (qemu-system-<arch>) and so files, messages and rows.
        guard !arch.isEmpty, arch.utf8.count <= 32, arch.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }) else {
            throw bad("query-target's arch \(InputExcerpt.quoted(arch, limit: 40)) is not a QEMU target name")
        }
        let kvm = phaseReply("query-kvm")?["enabled"]?.boolValue ?? false
        var hardware = "tcg"
        if kvm {
            hardware = "kvm"
        } else if processes.count == 2 {
            hardware = file.contains("+mshv") ? "mshv" : "hvf"
        }
        self.file = file
        (qemuVersion, qemuPackage) = ReplyRecords.version(version)
        self.arch = arch
        schemaCommands = phaseReply("query-qmp-schema")?.arrayValue.map { entries in
            Set(entries.filter { $0["meta-type"]?.stringValue == "command" }.compactMap { $0["name"]?.stringValue })
        }
        phases = processes.enumerated().map { Phase(accel: $0.offset == 0 ? hardware : "tcg", exchanges: $0.element.exchanges) }
    }
}
