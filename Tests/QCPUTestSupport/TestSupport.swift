import Foundation
import Harvester
import QMP
import SnapshotStore

/// Paths and helpers shared by qcpu's test targets.
public enum TestSupport {
    /// The recorded-transcript directory `name` (`x86_64`, `aarch64`).
    public static func fixture(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// The package's root directory.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `qcpu` executable under test (`QCPU_BIN`, else the debug build).
    public static var qcpuBinary: String {
        ProcessInfo.processInfo.environment["QCPU_BIN"] ?? packageRoot + "/.build/debug/qcpu"
    }

    /// Debian's x86_64 QEMU.
    public static let qemuX86 = "/usr/bin/qemu-system-x86_64"

    /// Whether KVM works here.
    public static var kvmUsable: Bool { HostFingerprint.kvmUsable }

    /// A new empty temporary directory.
    public static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("qcpu-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Harvests the recorded transcripts of fixture `name` (no QEMU involved).
    public static func replay(_ name: String, epoch: Int64 = 0, configure: (inout HarvestOptions) -> Void = { _ in })
        async throws -> Snapshot
    {
        var options = HarvestOptions()
        options.replayDirectory = fixture(name)
        options.sourceDateEpoch = epoch
        configure(&options)
        return try await Harvester(options: options).run().snapshot
    }

    /// Writes a QEMU wrapper script into `directory`: it runs the real QEMU with `-name marker`
    /// added, and for the session whose arguments contain `trigger` runs `action` first
    /// (a shell snippet; `$$` is the QEMU's pid once it execs).
    public static func qemuWrapper(in directory: String, marker: String, trigger: String, action: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("qemu-system-x86_64")
        let script = """
            #!/bin/sh
            case "$*" in
              *\(trigger)*) \(action) ;;
            esac
            exec \(qemuX86) "$@" -name \(marker)
            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// Processes whose command line contains `marker` (zombies included).
    public static func processes(matching marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return cmdline.contains(marker) ? pid : nil
        }
    }

    /// Runs the built `qcpu` (or `executable`, e.g. a shell that runs it) with `arguments`.
    public static func runQCPU(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil,
                               executable: String? = nil)
        throws -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? qcpuBinary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SOURCE_DATE_EPOCH")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// The SHA-256 of a file, via `sha256sum`.
    public static func sha256(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? out.fileHandleForReading.close()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}

extension Snapshot {
    /// The expansion of `model` on `machine` under `accel` (type full, no variant), if stored.
    public func props(_ model: String, machine: String, accel: String = "tcg",
                      binary: String = "qemu-system-x86_64", type: String = "full") -> PropertySet? {
        let key = ExpansionRecord.Key(session: SessionKey(binary: binary, machine: machine, accel: accel),
                                      model: model, type: type)
        guard let e = expansions.first(where: { $0.key == key }), case .expanded(_, let props) = e.outcome else {
            return nil
        }
        return props
    }

    /// The `query-cpu-definitions` row of `model` on `machine` under `accel`.
    public func definition(_ model: String, machine: String, accel: String = "tcg",
                           binary: String = "qemu-system-x86_64") -> CPUDefinitionRecord? {
        definitions.first { $0.name == model && $0.session == SessionKey(binary: binary, machine: machine, accel: accel) }
    }
}

extension TestSupport {
    /// The AMD EPYC KVM guest's recordings (`Fixtures/host-amd-epyc-kvm-guest.tar.gz`, copied
    /// unchanged from shared/hosts), unpacked once per test process: `qemu-7.2.22`, `qemu-10.0.2`,
    /// `libvirt-probe-7.2.22`.
    public static let amdRecordings: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qcpu-amd-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-xzf", fixture("host-amd-epyc-kvm-guest.tar.gz"), "-C", dir]
        try? tar.run()
        tar.waitUntilExit()
        return dir + "/amd-epyc-kvm-guest"
    }()

    /// Replays a recorded host capture directory into a (light) host record file.
    public static func replayedHostRecord(_ directory: String, named name: String) async throws -> String {
        var options = HarvestOptions()
        options.replayDirectory = directory
        options.sourceDateEpoch = 0
        let result = try await HostCapture(options: options).run()
        let path = try temporaryDirectory() + "/\(name).sqlite"
        try SnapshotWriter().write(result.snapshot, to: path)
        return path
    }

    /// A host record of the format before light records, written to `path`: what the old capture
    /// wrote (a KVM-only harvest of every model's full expansion of `Fixtures/host-x86_64`, plus
    /// the realize probe's extra features found on that Intel host).
    public static func writeOldFormatHostRecord(to path: String) async throws {
        var options = HarvestOptions()
        options.replayDirectory = fixture("host-x86_64")
        options.accelerators = ["kvm"]
        options.expansionTypes = ["full"]
        options.qomTypes = false
        options.sourceDateEpoch = 0
        var snapshot = try await Harvester(options: options).run().snapshot
        snapshot.meta.hostExtraFeatures = ["kvm-hint-dedicated", "topoext"]
        try SnapshotWriter().write(snapshot, to: path)
    }

    /// Replays the recorded host capture (`Fixtures/host-x86_64`) into a host record file.
    public static func recordedHostRecord(named name: String = "recorded") async throws -> String {
        try await replayedHostRecord(fixture("host-x86_64"), named: name)
    }

    /// Captures this host live under KVM (every machine type unless `machines` says otherwise).
    public static func liveHostRecord(machines: [String] = []) async throws -> String {
        var options = HarvestOptions()
        options.binaries = [qemuX86]
        options.machineGlobs = machines
        options.sourceDateEpoch = 0
        let result = try await HostCapture(options: options).run()
        let path = try temporaryDirectory() + "/local.sqlite"
        try SnapshotWriter().write(result.snapshot, to: path)
        return path
    }
}

/// A small deterministic generator (SplitMix64), so random samples and fuzz cases are the same on
/// every machine and every run (Swift's `SystemRandomNumberGenerator` cannot be seeded).
public struct SplitMix: RandomNumberGenerator, Sendable {
    /// The generator's state; the seed.
    public var state: UInt64
    /// Creates a generator from a seed.
    public init(state: UInt64) { self.state = state }
    /// The next number.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// A real QEMU started under KVM with a `-cpu` line and `enforce`, resumed and asked to quit: the
/// proof that a proposed line runs (not only that QEMU accepts it).
public struct QEMURun: Sendable {
    /// Whether QEMU sent a RESUME event after `cont`.
    public var resumed: Bool
    /// QEMU's exit status (0 after `quit` when all went well).
    public var status: Int32
    /// QEMU's stderr.
    public var stderr: String

    /// Starts `qemu` paused with `-cpu <cpu>,enforce` on `machine` under KVM, `cont`s it, lets the
    /// vCPU run for `runFor`, then `quit`s; reaps it (killed after 30 s at most).
    public static func start(cpu: String, machine: String, qemu: String = TestSupport.qemuX86,
                             extraArguments: [String] = [], runFor: Duration = .milliseconds(300)) async throws -> QEMURun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: qemu)
        process.arguments = ["-S", "-nodefaults", "-no-user-config", "-display", "none", "-machine", "\(machine),accel=kvm",
                             "-cpu", cpu + ",enforce", "-qmp", "stdio"] + extraArguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(30))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        func send(_ line: String) { try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) }
        send(#"{"execute":"qmp_capabilities"}"#)
        send(#"{"execute":"cont"}"#)
        try await Task.sleep(for: runFor)
        send(#"{"execute":"query-status"}"#)
        send(#"{"execute":"quit"}"#)
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        let text = String(decoding: out, as: UTF8.self)
        return QEMURun(resumed: text.contains(#""event": "RESUME""#) || text.contains(#""event":"RESUME""#),
                       status: process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus,
                       stderr: String(decoding: err, as: UTF8.self))
    }

    /// Whether it resumed and exited 0.
    public var ran: Bool { resumed && status == 0 }
}
