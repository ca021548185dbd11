import CPUQuery
import Exports
import Foundation
import HostCPU
import QCPUTestSupport
import QMP
import Testing

/// KubeVirt's label names, os-traits' trait names, Proxmox's cpu-models.conf rules, checked
/// against each project's own definitions; on the recorded Intel host and its fleet.
@Suite struct ConsumerFormatTests {
    /// The label prefixes as KubeVirt defines them (staging/src/kubevirt.io/api/core/v1/types.go:
    /// CPUModelLabel, SupportedHostModelMigrationCPU, CPUFeatureLabel, HostModelCPULabel,
    /// HostModelRequiredFeaturesLabel, CPUModelVendorLabel, NodeHostModelIsObsoleteLabel) and its
    /// default obsolete models (pkg/virt-handler/node-labeller/util/util.go DefaultObsoleteCPUModels).
    @Test func kubevirtLabelNamesAreKubeVirts() async throws {
        let prefixes = ["cpu-model.node.kubevirt.io/", "cpu-model-migration.node.kubevirt.io/", "cpu-feature.node.kubevirt.io/",
                        "host-model-cpu.node.kubevirt.io/", "host-model-required-features.node.kubevirt.io/", "cpu-vendor.node.kubevirt.io/"]
        #expect([KubeVirtLabels.cpuModel, KubeVirtLabels.cpuModelMigration, KubeVirtLabels.cpuFeature, KubeVirtLabels.hostModelCPU,
                  KubeVirtLabels.hostModelRequiredFeatures, KubeVirtLabels.cpuVendor] == prefixes)
        #expect(KubeVirtLabels.obsoleteHostModel == "node-labeller.kubevirt.io/obsolete-host-model")
        let obsolete = ["486", "pentium", "pentium2", "pentium3", "pentiumpro", "coreduo", "n270", "core2duo", "Conroe", "athlon",
                        "phenom", "qemu64", "qemu32", "kvm64", "kvm32", "Opteron_G1", "Opteron_G2"]
        #expect(KubeVirtLabels.defaultObsolete == Set(obsolete + obsolete.map { $0 + "-v1" }))
        guard LibvirtCPUMap.exists() else { print("note: no libvirt CPU map: label values not checked"); return }
        let path = try await TestSupport.recordedHostRecord()
        let run = try TestSupport.runQCPU(["export", "kubevirt-labels", "--host", path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        // Kubernetes label keys: a DNS prefix, '/', a name of at most 63 of [A-Za-z0-9._-]; value true.
        for line in lines {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            #expect(parts.count == 2 && parts[1] == "true", "\(line)")
            let key = parts[0]
            #expect(prefixes.contains { key.hasPrefix($0) } || key == KubeVirtLabels.obsoleteHostModel, "\(line)")
            let name = key.split(separator: "/").last.map(String.init) ?? ""
            #expect(name.count <= 63 && name.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }, "\(line)")
        }
        #expect(lines.contains("cpu-vendor.node.kubevirt.io/Intel=true"))
        #expect(!lines.contains { $0.hasPrefix(KubeVirtLabels.cpuModel + "qemu64=") || $0.hasPrefix(KubeVirtLabels.cpuModelMigration + "486=") })
        // --obsolete replaces the defaults.
        let none = try TestSupport.runQCPU(["export", "kubevirt-labels", "--host", path, "--obsolete", "", "--format", "json"])
        let labels = try JSONParser.parse(none.stdout)["labels"]?.objectValue ?? [:]
        #expect(labels[KubeVirtLabels.cpuModel + "486"] == .string("true"))
    }

    /// Every trait qcpu can report is an os-traits name (the os-traits package, when installed).
    @Test func novaTraitNamesAreOSTraits() throws {
        let script = "import os_traits; print('\\n'.join(n for n in dir(os_traits) if n.startswith('HW_CPU_X86_')))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let ours = Set(NovaTraits.mapping.flatMap(\.traits))
        #expect(ours.count == 46)
        guard p.terminationStatus == 0 else {
            print("note: python3 with os-traits is not available (pip install os-traits): trait names not checked against it")
            return
        }
        let names = Set(text.split(separator: "\n").map(String.init))
        #expect(names.count > 40)
        #expect(ours.subtracting(names).isEmpty, "not in os-traits: \(ours.subtracting(names).sorted())")
    }

    /// The traits of the recorded Intel host, and Nova's cpu_models precheck over the fleet.
    @Test func novaTraitsAndPrecheck() async throws {
        guard LibvirtCPUMap.exists() else { print("note: no libvirt CPU map: Nova exports not checked"); return }
        let (dir, recorded) = try await SyntheticHosts.fleetDirectory()
        let traits = try TestSupport.runQCPU(["export", "nova-traits", "--host", recorded, "--machine", "pc-q35-7.2", "--format", "json"])
        #expect(traits.status == 0, "\(traits.stderr)")
        let t = try JSONParser.parse(traits.stdout)["traits"]?.objectValue ?? [:]
        // This host's hypervisor offers SSE2 but no SSE3/SSE4/AVX (see docs/INTEGRATION.md).
        #expect(t["HW_CPU_X86_SSE2"] == .bool(true) && t["HW_CPU_X86_MMX"] == .bool(true))
        #expect(t["HW_CPU_X86_AVX2"] == .bool(false) && t["HW_CPU_X86_SSE42"] == .bool(false))
        let record = try HostRecordFile(path: recorded)
        let map = try LibvirtCPUMap()
        let features = Set(try record.profile(machine: "pc-q35-7.2").supported.compactMap { map.libvirtName(qemu: $0) })
        for (feature, names) in NovaTraits.mapping { for n in names { #expect(t[n] == .bool(features.contains(feature)), "\(n)") } }
        #expect(t["HW_CPU_X86_SSE3"] == .bool(false), "Nova's table keys sse3, libvirt calls it pni")
        #expect(t.count == 46)
        let conf = dir + "/../nova-\(getpid()).conf"
        try "[DEFAULT]\ndebug = true\n[libvirt]\ncpu_mode = custom\ncpu_models = Cascadelake-Server, qemu64\ncpu_model_extra_flags = -hle, -RTM, +cx8\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: conf) }
        let pre = try TestSupport.runQCPU(["export", "nova-traits", "--host-dir", dir, "--machine", "pc-q35-7.2", "--nova-conf", conf, "--format", "json"])
        let results = try JSONParser.parse(pre.stdout)["results"]?.arrayValue ?? []
        #expect(results.count == 10)
        // The host without cx8 refuses both (cx8 is required); the others run qemu64 only if they have pni.
        let nocx8 = results.filter { $0["host"]?.stringValue == "e-nocx8" }
        #expect(nocx8.count == 2 && nocx8.allSatisfy { $0["accepted"] == .bool(false) })
        #expect(nocx8.allSatisfy { $0["missing"]?.arrayValue?.contains(.string("cx8")) == true })
        #expect(pre.status == 1)
        let bad = try TestSupport.runQCPU(["export", "nova-traits", "--host", recorded, "--cpu-models", "qemu64", "--extra-flags", "+a b"])
        #expect(bad.status == 65 && bad.stderr.split(separator: "\n").count == 1)
    }

    /// The Proxmox entry parses as Proxmox documents cpu-models.conf (Manual: cpu-models.conf;
    /// PVE/QemuServer/CPUConfig.pm): a `cpu-model: NAME` header, then indented `option value`
    /// lines of known options; flags `[+-]FLAG(;[+-]FLAG)*`; reported-model one of Proxmox's models.
    @Test func proxmoxEntryParsesAsProxmoxDocumentsIt() async throws {
        // $cpu_vendor_list's keys in CPUConfig.pm (qemu-server), the documented reported-model enum.
        let proxmoxModels: Set<String> = ["486", "pentium", "pentium2", "pentium3", "coreduo", "core2duo", "Conroe", "Penryn", "Nehalem",
            "Nehalem-IBRS", "Westmere", "Westmere-IBRS", "SandyBridge", "SandyBridge-IBRS", "IvyBridge", "IvyBridge-IBRS", "Haswell",
            "Haswell-IBRS", "Haswell-noTSX", "Haswell-noTSX-IBRS", "Broadwell", "Broadwell-IBRS", "Broadwell-noTSX", "Broadwell-noTSX-IBRS",
            "Skylake-Client", "Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS", "Skylake-Client-v4", "Skylake-Server", "Skylake-Server-IBRS",
            "Skylake-Server-noTSX-IBRS", "Skylake-Server-v4", "Skylake-Server-v5", "Cascadelake-Server", "Cascadelake-Server-v2",
            "Cascadelake-Server-noTSX", "Cascadelake-Server-v4", "Cascadelake-Server-v5", "Cooperlake", "Cooperlake-v2", "KnightsMill",
            "Icelake-Client", "Icelake-Client-noTSX", "Icelake-Server", "Icelake-Server-noTSX", "Icelake-Server-v3", "Icelake-Server-v4",
            "Icelake-Server-v5", "Icelake-Server-v6", "Icelake-Server-v7", "SapphireRapids", "SapphireRapids-v2", "SapphireRapids-v3",
            "SapphireRapids-v4", "GraniteRapids", "GraniteRapids-v2", "GraniteRapids-v3", "SierraForest", "SierraForest-v2",
            "SierraForest-v3", "ClearwaterForest", "athlon", "phenom", "Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4",
            "Opteron_G5", "EPYC", "EPYC-IBPB", "EPYC-v3", "EPYC-v4", "EPYC-v5", "EPYC-Rome", "EPYC-Rome-v2", "EPYC-Rome-v3",
            "EPYC-Rome-v4", "EPYC-Rome-v5", "EPYC-Milan", "EPYC-Milan-v2", "EPYC-Milan-v3", "EPYC-Genoa", "EPYC-Genoa-v2",
            "EPYC-Turin", "host", "kvm32", "kvm64", "qemu32", "qemu64", "max"]
        let options: Set<String> = ["flags", "hidden", "hv-vendor-id", "phys-bits", "guest-phys-bits", "reported-model"]
        let (dir, recorded) = try await SyntheticHosts.fleetDirectory()
        for hosts in [["--host", recorded], ["--host-dir", dir]] {
            let run = try TestSupport.runQCPU(["baseline", "--machine", "pc-q35-7.2", "--format", "proxmox", "--name", "fleet-1"] + hosts)
            #expect(run.status == 0, "\(run.stderr)")
            var lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.last == "")
            lines.removeLast()
            #expect(lines.first == "cpu-model: fleet-1")
            var seen: [String: String] = [:]
            for line in lines.dropFirst() {
                #expect(line.hasPrefix("\t") || line.hasPrefix("  "), "\(line): options are indented")
                let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
                #expect(parts.count == 2 && options.contains(parts[0]), "\(line)")
                seen[parts[0]] = parts.count == 2 ? parts[1] : ""
            }
            let reported = try #require(seen["reported-model"])
            #expect(proxmoxModels.contains(reported), "\(reported)")
            let flags = try #require(seen["flags"]).split(separator: ";").map(String.init)
            #expect(flags.allSatisfy { f in
                (f.hasPrefix("+") || f.hasPrefix("-")) && f.count > 1 && f.dropFirst().allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
            // The entry is the baseline: reported-model with the flags gives the common features.
            let json = try TestSupport.runQCPU(["baseline", "--machine", "pc-q35-7.2", "--format", "json"] + hosts)
            let common = Set(try JSONParser.parse(json.stdout)["common-features"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let record = try HostRecordFile(path: recorded)
            let sets = try record.profile(machine: "pc-q35-7.2").modelSets
            let model = try #require(sets.models[reported])
            let result = model.union(flags.filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) })
                .subtracting(flags.filter { $0.hasPrefix("-") }.map { String($0.dropFirst()) })
            #expect(result == common)
        }
    }

    /// `models --host --libvirt`: models QEMU runs that the map's definitions would have libvirt
    /// refuse, with the features the host lacks (mpx in Skylake's map definition on hosts without it).
    @Test func modelsLibvirtMarksMapRefusals() async throws {
        guard LibvirtCPUMap.exists() else { print("note: no libvirt CPU map: --libvirt not checked"); return }
        let path = try await TestSupport.recordedHostRecord()
        let run = try TestSupport.runQCPU(["models", "--host", path, "--machine", "pc-q35-7.2", "--libvirt", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let models = try JSONParser.parse(run.stdout)["hosts"]?.arrayValue?.first?["models"]?.arrayValue ?? []
        let refused = models.filter { $0["libvirt"]?["refused"] == .bool(true) }
        let map = try LibvirtCPUMap()
        let record = try HostRecordFile(path: path)
        let p = try record.profile(machine: "pc-q35-7.2")
        for m in refused {
            let name = m["name"]?.stringValue ?? ""
            #expect(m["usable"] == .bool(true))
            let missing = m["libvirt"]?["missing-features"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(!missing.isEmpty)
            for f in missing {
                #expect(map.model(name)?.features.contains(f) == true)
                #expect(!p.supported.contains { map.libvirtName(qemu: $0) == f }, "\(name): \(f) is on the host")
            }
        }
        // A host that offers exactly QEMU's Skylake-Client of pc-q35-7.2 (no mpx there) runs it
        // as defined, and libvirt's map (Skylake-Client with mpx) refuses it: kubevirt#9325.
        var skylake = p
        skylake.supported = p.modelSets.models["Skylake-Client"] ?? []
        skylake.migratableSupported = skylake.supported
        #expect(skylake.blockers(of: "Skylake-Client") == [])
        #expect(!skylake.supported.contains("mpx"))
        let view = LibvirtView(profile: skylake, extraFeatures: [], vendorCPUID: "GenuineIntel", map: map)
        #expect(view.mapRefusals.first { $0.model == "Skylake-Client" }?.missing == ["mpx"])
        print("note: on the recorded host libvirt's map refuses \(refused.map { "\($0["name"]?.stringValue ?? ""): \($0["libvirt"]?["missing-features"]?.arrayValue?.compactMap(\.stringValue) ?? [])" })")
        let table = try TestSupport.runQCPU(["models", "--host", path, "--machine", "pc-q35-7.2", "--libvirt"])
        #expect(table.stdout.contains("LIBVIRT"))
        #expect(table.stdout.contains("not in map"))
    }
}
