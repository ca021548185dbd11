import CPUQuery
import Foundation
import HostCPU
import LibvirtImport
import QCPUTestSupport
import QMP
import Testing

/// libvirt's test data records, for every CPU model, the features QEMU refused on the probing
/// host (`<blocker>`: QEMU's `unavailable-features` under KVM on `-machine none`). The import
/// never reads them; here qcpu's answers for the imported records must be exactly those.
@Suite struct UpstreamBlockerTests {
    static let shipped = ["qemu-7.2.22.sqlite", "qemu-10.0.2.sqlite"].map { TestSupport.packageRoot + "/Snapshots/" + $0 }

    /// Each x86_64 capabilities file with KVM data whose release series has a shipped snapshot
    /// with KVM rows on `none`.
    static func filesWithASnapshot() throws -> [String] {
        let releases = ReleaseSnapshots(locator: SnapshotLocator(explicitFiles: shipped))
        return try UpstreamData.x86XML.filter { path in
            let data = try HostRecordImporter().read(path)
            guard data.kvmHostCPU != nil else { return false }
            return (try? ReleaseSnapshotMatch.find(qemuVersion: data.qemuVersion, binary: data.binary, file: data.file, in: releases)) != nil
        }
    }

    @Test(.enabled(if: UpstreamData.available)) func everyModelIsBlockedByExactlyWhatLibvirtRecorded() throws {
        let files = try Self.filesWithASnapshot()
        #expect(files.map { ($0 as NSString).lastPathComponent }
                == ["caps_10.0.0_x86_64+amdsev.xml", "caps_10.0.0_x86_64.xml", "caps_7.2.0_x86_64.xml"])
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snapshots = Self.shipped.flatMap { ["--snapshot", $0] }
        for file in files {
            let name = (file as NSString).lastPathComponent
            let record = dir + "/" + name.replacingOccurrences(of: ".xml", with: ".sqlite")
            let imported = try TestSupport.runQCPU(["host", "import", file, "-o", record] + snapshots)
            #expect(imported.status == 0, "\(name): \(imported.stderr)")
            let run = try TestSupport.runQCPU(["models", "--host", record, "--machine", "none", "--format", "json"])
            #expect(run.status == 0, "\(name): \(run.stderr)")
            let answer = try JSONParser.parse(run.stdout)
            let models = answer["hosts"]?.arrayValue?.first?["models"]?.arrayValue ?? []
            var qcpu: [String: Set<String>] = [:]
            for m in models {
                guard let n = m["name"]?.stringValue else { continue }
                qcpu[n] = Set((m["blockers"]?.arrayValue ?? []).compactMap(\.stringValue))
            }
            let recorded = try #require(try LibvirtCapsXML(path: file).recordedModels["kvm"])
            #expect(recorded.count > 100)
            var blocked = 0
            for r in recorded {
                // QEMU names a feature once per CPUID word it is in: `mpx` three times on Snowridge.
                #expect(qcpu[r.name] == Set(r.blockers), "\(name): \(r.name)")
                if !r.blockers.isEmpty { blocked += 1 }
            }
            #expect(blocked > 10, "\(name)")
            #expect(Set(recorded.map(\.name)).isSubset(of: Set(qcpu.keys)), "\(name)")
        }
    }
}
