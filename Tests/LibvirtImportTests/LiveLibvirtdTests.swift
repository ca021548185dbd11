import Foundation
import QMP
import Harvester
import LibvirtImport
import QCPUTestSupport
import SnapshotStore
import Testing

/// A real libvirtd probes this machine's QEMU under KVM; its capabilities cache is imported.
@Suite(.serialized) struct LiveLibvirtdTests {
    /// Starts libvirtd, makes it probe /usr/bin/qemu-system-x86_64, stops it; the cache file's path
    /// (in `into`), or nil with a note when libvirt or KVM is not there.
    static func probedCacheFile(into dir: String) throws -> String? {
        if let missing = LibvirtDaemon.missing {
            print("note: \(missing): the live libvirtd tests are skipped")
            return nil
        }
        guard TestSupport.kvmUsable else {
            print("note: /dev/kvm is not usable here: libvirt would probe without KVM; the live libvirtd tests are skipped")
            return nil
        }
        let daemon = try LibvirtDaemon()
        defer { daemon.remove() }
        let caps = try daemon.virsh(["domcapabilities", "--virttype", "kvm", "--emulatorbin", TestSupport.qemuX86])
        #expect(caps.status == 0 && caps.output.contains("<domain>kvm</domain>"), "\(caps.output.prefix(300))")
        #expect(daemon.pidFromFile != nil)
        let names = try FileManager.default.contentsOfDirectory(atPath: daemon.capabilitiesDirectory).filter { $0.hasSuffix(".xml") }
        var found: String?
        for name in names {
            let path = daemon.capabilitiesDirectory + "/" + name
            if try String(contentsOfFile: path, encoding: .utf8).contains("<emulator>\(TestSupport.qemuX86)</emulator>") { found = path }
        }
        daemon.stop()
        if let pid = daemon.pidFromFile { #expect(kill(pid, 0) != 0, "libvirtd \(pid) still runs") }
        guard let found else {
            Issue.record("libvirtd wrote no capabilities cache for \(TestSupport.qemuX86) (\(names))")
            return nil
        }
        let copy = dir + "/" + (found as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: found, toPath: copy)
        return copy
    }

    /// The cache describes this host as /proc/cpuinfo and uname do, and its host CPU data is what
    /// QEMU answers libvirt's questions with right now (qcpu's recorder of libvirt's probe).
    @Test func libvirtdsCacheImportsAsThisHostWithQEMUsOwnAnswers() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let cache = try Self.probedCacheFile(into: dir) else { return }
        let importer = HostRecordImporter(sourceDateEpoch: 0)
        let data = try importer.read(cache)
        #expect(data.kind == .capsXML)
        let record = try importer.record(of: data)
        #expect(record.sessions.first?.host == HostFingerprint.current())
        let recorder = LibvirtProbeRecorder(qemu: TestSupport.qemuX86, useKVM: true)
        let replies = try await recorder.record(into: dir)
        let probed = try importer.record(of: try importer.read(replies))
        #expect(data.qemuVersion == probed.meta.qemuVersion && data.qemuPackage == probed.meta.qemuPackage)
        #expect(record.expansions == probed.expansions)
        #expect(!record.expansions.isEmpty)
    }

    /// The imported cache answers like a native capture of this host on machine type none: every
    /// model's blockers, and the supported set. (The capture of `none` runs its realize and runtime
    /// probes on the default machine type: x86 `-machine none` starts no vCPU.)
    @Test func libvirtdsCacheAnswersLikeANativeCaptureOnNone() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let cache = try Self.probedCacheFile(into: dir) else { return }
        let imported = try TestSupport.runQCPU(["host", "import", cache, "-o", dir + "/imported.sqlite"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let native = try TestSupport.runQCPU(["host", "capture", "--qemu", TestSupport.qemuX86, "--machine", "none",
                                              "-q", "-o", dir + "/native.sqlite"])
        #expect(native.status == 0, "\(native.stderr)")
        func answer(_ question: [String], _ record: String) throws -> JSONValue? {
            let run = try TestSupport.runQCPU(question + ["--host", dir + "/\(record).sqlite", "--machine", "none", "--format", "json"])
            #expect(run.status == 0, "\(question) \(record): \(run.stderr)")
            return try JSONParser.parse(run.stdout)["hosts"]?.arrayValue?.first
        }
        let a = try answer(["models"], "imported")?["models"], b = try answer(["models"], "native")?["models"]
        #expect(a != nil && a == b)
        #expect((a?.arrayValue?.count ?? 0) > 100)
        #expect(try answer(["host", "show"], "imported")?["supported"] == answer(["host", "show"], "native")?["supported"])
    }
}
