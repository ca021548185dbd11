import Foundation
import HostCPU
import QMP

/// libvirt's QEMU capabilities cache: `/var/cache/libvirt/qemu/capabilities/<hash>.xml`, the same
/// format as libvirt's `tests/qemucapabilitiesdata/caps_<version>_<arch>.xml`
/// (`virQEMUCapsFormatCache` writes it, `virQEMUCapsLoadCache` reads it).
///
/// What is read: `<version>` (QEMU's version as major·10⁶ + minor·10³ + micro), `<package>`,
/// `<arch>`, `<microcodeVersion>` (the host's microcode revision as a decimal number, 0 when
/// libvirt could not read it; libvirt's own test files carry a fake one made from the file name),
/// `<hostCPUSignature>` (`vendor, model name, family: F, model: M, stepping: S` from the host's
/// `/proc/cpuinfo`; absent in libvirt's test files), `<kernelVersion>` (`uname -r` and `-v`), and
/// each `<hostCPU>` element (``LibvirtHostCPU``). The `<cpu>` elements' `usable` and `<blocker>`
/// lists are libvirt's verdicts; they are kept in ``recordedModels`` for checking an import and
/// never used to build one.
public struct LibvirtCapsXML: Sendable {
    /// One `<cpu>` element: a CPU definition and libvirt's verdict on it.
    public struct RecordedModel: Sendable, Equatable {
        /// The model name.
        public var name: String
        /// `usable='yes'`/`'no'`/`'unknown'`.
        public var usable: String
        /// The `<blocker>` names: QEMU's `unavailable-features` at probe time.
        public var blockers: [String]
    }

    /// The file's base name.
    public var file: String
    /// `<emulator>`: the binary libvirt probed.
    public var emulator: String
    /// QEMU's version (`7.2.0`), from `<version>`.
    public var qemuVersion: String
    /// `<package>`, or "" when absent.
    public var qemuPackage: String
    /// The QEMU target architecture (`x86_64`; libvirt's `i686` is QEMU's `i386`).
    public var arch: String
    /// `<microcodeVersion>`, nil when 0 or absent.
    public var microcodeVersion: UInt32?
    /// `<hostCPUSignature>`, if present.
    public var hostCPUSignature: String?
    /// `<kernelVersion>`, if present.
    public var kernelVersion: String?
    /// The `<hostCPU>` elements, by accelerator.
    public var hostCPUs: [String: LibvirtHostCPU]
    /// The `<cpu>` elements by accelerator: libvirt's verdicts (the test oracle; not imported).
    public var recordedModels: [String: [RecordedModel]]

    /// The binary the file is about (`qemu-system-<arch>`).
    public var binary: String { "qemu-system-\(arch)" }

    /// Reads and checks `path`.
    public init(path: String) throws(LibvirtImportError) {
        let bytes: [UInt8]
        do { bytes = try InputFile.read(path, maxBytes: BoundedXML.Limits().maxBytes) } catch {
            throw LibvirtImportError(error.kind == .unreadable ? .unreadable : .badFile, file: path, error.message)
        }
        try self.init(bytes: bytes, file: (path as NSString).lastPathComponent, label: path)
    }

    /// Parses the bytes of a capabilities file named `file`; errors name `label`.
    public init(bytes: [UInt8], file: String, label: String? = nil) throws(LibvirtImportError) {
        let label = label ?? file
        func bad(_ message: String) -> LibvirtImportError { LibvirtImportError(.badFile, file: label, message) }
        let root: BoundedXML.Element
        do { root = try BoundedXML().parse(bytes) } catch { throw bad("not well-formed XML: \(error)") }
        guard root.name == "qemuCaps" else {
            throw bad("root element <\(root.name)> (line \(root.line)): not a libvirt QEMU capabilities file (<qemuCaps>)")
        }
        func text(_ name: String) -> String? { root.child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) } }
        guard let versionText = text("version") else { throw bad("no <version>") }
        guard let version = Int(versionText), version > 0 else { throw bad("<version>\(InputExcerpt.of(versionText))</version> is not a number") }
        guard let arch = text("arch"), !arch.isEmpty else { throw bad("no <arch>") }
        self.file = file
        emulator = text("emulator") ?? ""
        qemuVersion = "\(version / 1_000_000).\(version / 1_000 % 1_000).\(version % 1_000)"
        qemuPackage = text("package") ?? ""
        self.arch = Self.qemuArch[arch] ?? arch
        if let m = text("microcodeVersion") {
            guard let n = UInt32(m) else { throw bad("<microcodeVersion>\(InputExcerpt.of(m))</microcodeVersion> is not a 32-bit number") }
            microcodeVersion = n == 0 ? nil : n
        }
        hostCPUSignature = text("hostCPUSignature")
        kernelVersion = text("kernelVersion")
        hostCPUs = [:]
        for e in root.children("hostCPU") {
            let cpu: LibvirtHostCPU
            do { cpu = try LibvirtHostCPU(element: e) } catch { throw bad(error.message) }
            guard hostCPUs[cpu.accel] == nil else { throw bad("line \(e.line): a second <hostCPU type='\(InputExcerpt.of(cpu.accel))'>") }
            hostCPUs[cpu.accel] = cpu
        }
        recordedModels = [:]
        for e in root.children("cpu") {
            guard let accel = e["type"], let name = e["name"] else { throw bad("line \(e.line): <cpu> without type or name") }
            recordedModels[accel, default: []].append(RecordedModel(
                name: name, usable: e["usable"] ?? "unknown", blockers: e.children("blocker").compactMap { $0["name"] }))
        }
    }

    /// libvirt's architecture names that differ from QEMU's target names.
    static let qemuArch = ["i686": "i386", "ppc64le": "ppc64", "armv7l": "arm", "armv6l": "arm"]

    /// The host's CPU from `<hostCPUSignature>` on x86: vendor, model name, family, model, stepping.
    public var signature: (vendor: String, modelName: String, family: Int, model: Int, stepping: Int)? {
        // "AuthenticAMD, AMD EPYC 7601 32-Core Processor, family: 23, model: 1, stepping: 2";
        // the model name may hold commas, so the numbers are taken from the end.
        guard var rest = hostCPUSignature else { return nil }
        var numbers: [Int] = []
        for key in ["stepping", "model", "family"] {
            guard let r = rest.range(of: ", \(key): ", options: .backwards), let n = Int(rest[r.upperBound...]) else { return nil }
            numbers.append(n)
            rest = String(rest[..<r.lowerBound])
        }
        guard let comma = rest.range(of: ", ") else { return nil }
        return (String(rest[..<comma.lowerBound]), String(rest[comma.upperBound...]), numbers[2], numbers[1], numbers[0])
    }
}
