import CPUQuery
import Exports
import Foundation
import HostCPU
import LibvirtImport
import QCPUTestSupport
import Testing

/// qcpu's libvirt answers against a real libvirtd (Debian's) started by the test, for this host
/// captured live: `virsh domcapabilities`, `virsh hypervisor-cpu-compare` and the host-model
/// KubeVirt's node-labeller reads.
@Suite(.serialized) struct LiveLibvirtDomcapsTests {
    static let machine = "pc-q35-7.2"

    /// libvirtd's answers and a live host record, or nil with a note when libvirt, its map or KVM is missing.
    static func live(_ body: (LibvirtDaemon, String, LibvirtCPUMap) async throws -> Void) async throws {
        if let missing = LibvirtDaemon.missing {
            print("note: \(missing): the live libvirt comparison is skipped")
            return
        }
        guard TestSupport.kvmUsable, LibvirtCPUMap.exists() else {
            print("note: /dev/kvm is not usable or libvirt's CPU map is missing: the live libvirt comparison is skipped")
            return
        }
        let record = try await TestSupport.liveHostRecord(machines: [machine])
        defer { try? FileManager.default.removeItem(atPath: (record as NSString).deletingLastPathComponent) }
        let daemon = try LibvirtDaemon()
        defer { daemon.remove() }
        try await body(daemon, record, try LibvirtCPUMap())
    }

    static func parse(_ xml: String) throws -> BoundedXML.Element { try BoundedXML().parse(Array(xml.utf8)) }

    /// The custom models of a domcapabilities document: name, usable, vendor, in order.
    static func custom(_ doc: BoundedXML.Element) -> [String] {
        let mode = doc.child("cpu")?.children("mode").first { $0["name"] == "custom" }
        return (mode?.children("model") ?? []).map { "\($0.text) usable=\($0["usable"] ?? "?") vendor=\($0["vendor"] ?? "?")" }
    }

    static func hostModel(_ doc: BoundedXML.Element) -> (model: String, vendor: String, require: [String], disable: [String]) {
        let mode = doc.child("cpu")?.children("mode").first { $0["name"] == "host-model" }
        let features = mode?.children("feature") ?? []
        return (mode?.child("model")?.text ?? "", mode?.child("vendor")?.text ?? "",
                features.filter { $0["policy"] == "require" }.compactMap { $0["name"] },
                features.filter { $0["policy"] == "disable" }.compactMap { $0["name"] })
    }

    /// The done-when test: the custom list (names in order, usable, vendor) is virsh's.
    /// host-model is libvirt's choice too, less exactly the features a running vCPU refuses here
    /// (qcpu never offers them; libvirt does, and a guest with them aborts: docs/INTEGRATION.md).
    @Test func domcapsEqualVirshDomcapabilities() async throws {
        try await Self.live { daemon, record, map in
            let virsh = try daemon.virsh(["domcapabilities", "--machine", Self.machine, "--virttype", "kvm"])
            #expect(virsh.status == 0, "\(virsh.output.prefix(300))")
            let run = try TestSupport.runQCPU(["export", "libvirt-domcaps", "--host", record, "--machine", Self.machine])
            #expect(run.status == 0, "\(run.stderr)")
            let theirs = try Self.parse(virsh.output), ours = try Self.parse(run.stdout)
            #expect(Self.custom(ours) == Self.custom(theirs))
            #expect(Self.custom(ours).count > 40)
            let file = try HostRecordFile(path: record)
            let refused = Set(file.runtimeRefused.compactMap { map.libvirtName(qemu: $0) })
            let a = Self.hostModel(ours), b = Self.hostModel(theirs)
            #expect(a.model == b.model && a.vendor == b.vendor && a.disable == b.disable)
            #expect(a.require == b.require.filter { !refused.contains($0) })
            #expect(Set(b.require).subtracting(a.require) == refused)
            if !refused.isEmpty {
                print("note: this host's vCPUs refuse \(refused.sorted()): libvirt's host-model has them, qcpu's does not")
            }
        }
    }

    /// What the map's definition of each model lacks on the host is what libvirt's own
    /// comparison (virsh hypervisor-cpu-compare, as Nova's start-up check) reports.
    @Test func mapComparisonEqualsHypervisorCPUCompare() async throws {
        try await Self.live { daemon, record, map in
            let file = try HostRecordFile(path: record)
            let view = LibvirtView(record: file, profile: try file.profile(machine: Self.machine), map: map)
            var compared = 0
            for model in ["qemu64", "pentium3", "Skylake-Client", "Opteron_G2", "EPYC", "Haswell-noTSX"] {
                let xml = try TestSupport.temporaryDirectory() + "/cpu.xml"
                try "<cpu><model>\(model)</model></cpu>".write(toFile: xml, atomically: true, encoding: .utf8)
                let out = try daemon.virsh(["hypervisor-cpu-compare", "--virttype", "kvm", "--machine", Self.machine, "--error", xml])
                let marker = "does not provide required features: "
                let theirs = out.output.range(of: marker).map { r in
                    out.output[r.upperBound...].prefix { $0 != "\n" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                } ?? []
                #expect(view.missingForComparison(model) == theirs, "\(model): \(out.output.prefix(300))")
                compared += 1
            }
            #expect(compared == 6)
        }
    }

    /// KubeVirt's labels computed from the live libvirt the way its node-labeller does
    /// (domcapabilities + hypervisor-cpu-baseline --features) equal qcpu's, less the refused features.
    @Test func kubevirtLabelsEqualThoseFromLiveLibvirt() async throws {
        try await Self.live { daemon, record, map in
            let caps = try daemon.virsh(["domcapabilities", "--machine", "q35", "--virttype", "kvm"])
            let file = TestSupport.packageRoot + "/.build/kv-domcaps-\(getpid()).xml"
            try caps.output.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let baseline = try daemon.virsh(["hypervisor-cpu-baseline", "--features", "--machine", "q35", "--virttype", "kvm", file])
            #expect(baseline.status == 0, "\(baseline.output.prefix(300))")
            let doc = try Self.parse(caps.output), cpu = try Self.parse(baseline.output)
            var expected = Set<String>()
            for mode in doc.child("cpu")?.children("mode") ?? [] {
                for m in mode.children("model") where m["usable"] != nil && !KubeVirtLabels.defaultObsolete.contains(m.text) {
                    expected.insert(KubeVirtLabels.cpuModelMigration + m.text)
                    if m["usable"] != "no" { expected.insert(KubeVirtLabels.cpuModel + m.text) }
                }
            }
            let host = Self.hostModel(doc)
            for f in cpu.children("feature") where f["policy"] == "require" { expected.insert(KubeVirtLabels.cpuFeature + (f["name"] ?? "")) }
            for f in host.require { expected.insert(KubeVirtLabels.hostModelRequiredFeatures + f) }
            expected.insert(KubeVirtLabels.hostModelCPU + host.model)
            expected.insert(KubeVirtLabels.cpuVendor + host.vendor)
            if KubeVirtLabels.defaultObsolete.contains(host.model) { expected.insert(KubeVirtLabels.obsoleteHostModel) }
            let run = try TestSupport.runQCPU(["export", "kubevirt-labels", "--host", record])
            #expect(run.status == 0, "\(run.stderr)")
            let ours = Set(run.stdout.split(separator: "\n").map { String($0.dropLast(5)) })
            #expect(run.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("=true") })
            let refused = Set(try HostRecordFile(path: record).runtimeRefused.compactMap { map.libvirtName(qemu: $0) })
            let onlyTheirs = expected.subtracting(ours)
            #expect(ours.subtracting(expected).isEmpty, "\(ours.subtracting(expected).sorted())")
            #expect(onlyTheirs == Set(refused.flatMap { [KubeVirtLabels.cpuFeature + $0, KubeVirtLabels.hostModelRequiredFeatures + $0] }),
                    "\(onlyTheirs.sorted())")
        }
    }
}
