import Exports
import Foundation
import QCPUTestSupport
import Testing

/// The installed libvirt CPU map, read as libvirt reads it.
@Suite struct LibvirtCPUMapTests {
    @Test func installedMapReadsAsLibvirtDefinesIt() throws {
        guard LibvirtCPUMap.exists() else {
            print("note: no libvirt CPU map in \(LibvirtCPUMap.defaultDirectory) (apt-get install libvirt-daemon-system): map tests skipped")
            return
        }
        let map = try LibvirtCPUMap()
        #expect(map.vendors.map(\.name).starts(with: ["Intel", "AMD"]))
        #expect(map.model("Skylake-Client")?.vendor == "Intel")
        #expect(map.model("Skylake-Client")?.features.contains("mpx") == true)
        #expect(map.model("Opteron_G2")?.features.contains("svm") == true)
        #expect(map.model("qemu64")?.vendor == nil)
        #expect(map.model("EPYC")?.removed == ["monitor"])
        #expect(map.feature("invtsc")?.migratable == false)
        #expect(map.libvirtName(qemu: "lahf-lm") == "lahf_lm")
        #expect(map.libvirtName(qemu: "pclmulqdq") == "pclmuldq")
        #expect(map.libvirtName(qemu: "sse4.1") == "sse4.1")
        #expect(map.libvirtName(qemu: "kvm-pv-eoi") == nil)
        #expect(map.vendorName(cpuid: "AuthenticAMD") == "AMD")
    }
}
