import CPUQuery
import Exports
import Foundation
import HostCPU
import QCPUTestSupport
import QMP
import Testing

/// `qcpu export libvirt-domcaps` on the recorded Intel host: without a map (QEMU's models and
/// names, as before the map was read) and with the installed map.
@Suite struct DomainCapabilitiesTests {
    @Test func domcapsWithoutAMapNamesEveryQEMUModelAndItsBlockers() async throws {
        let path = try await TestSupport.recordedHostRecord()
        let out = try TestSupport.runQCPU(["export", "libvirt-domcaps", "--machine", "q35", "--host", path, "--no-cpu-map"])
        #expect(out.status == 0)
        let xml = out.stdout
        #expect(xml.contains("<machine>pc-q35-7.2</machine>"))
        #expect(xml.contains("<model usable='yes' canonical='486-v1'>486</model>"))
        #expect(xml.contains("""
                  <model usable='no' canonical='qemu64-v1'>qemu64</model>
                  <blockers model='qemu64'>
                    <feature name='pni'/>
                  </blockers>
            """))
        // host-model is the shortest named model plus flags for the host model's features.
        let record = try HostRecordFile(path: path)
        let host = try LibvirtDomainCapabilities(record: record, profile: try record.profile(machine: "q35")).hostModel()
        #expect(xml.contains("<model fallback='forbid'>\(host.model)</model>"))
        #expect(xml.contains("<vendor>Intel</vendor>"))
        // Well-formed XML, with one custom model per named model (host, max, base left out).
        let parse = Process()
        parse.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        parse.arguments = ["-c", "import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.read()); "
                           + "print(len(d.getElementsByTagName('mode')[3].getElementsByTagName('model')))"]
        let input = Pipe(), output = Pipe()
        parse.standardInput = input
        parse.standardOutput = output
        try parse.run()
        input.fileHandleForWriting.write(Data(xml.utf8))
        try input.fileHandleForWriting.close()
        let count = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        parse.waitUntilExit()
        #expect(parse.terminationStatus == 0)
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "129")
    }

    /// With libvirt's map: only the map's models, in QEMU's order, with the map's vendor and
    /// libvirt's feature names; host-model is a map model.
    @Test func domcapsWithTheMapSpeakLibvirtsWords() async throws {
        guard LibvirtCPUMap.exists() else {
            print("note: no libvirt CPU map in \(LibvirtCPUMap.defaultDirectory): the map-aware domcaps test is skipped")
            return
        }
        let path = try await TestSupport.recordedHostRecord()
        let out = try TestSupport.runQCPU(["export", "libvirt-domcaps", "--machine", "q35", "--host", path])
        #expect(out.status == 0, "\(out.stderr)")
        let map = try LibvirtCPUMap()
        let record = try HostRecordFile(path: path)
        let view = LibvirtView(record: record, profile: try record.profile(machine: "q35"), map: map)
        #expect(view.custom.map(\.name) == QEMUModelOrder.sorted(view.custom.map(\.name)))
        #expect(view.custom.allSatisfy { map.model($0.name) != nil })
        #expect(view.custom.first?.name == "qemu64" && view.custom.last?.name == "486")
        #expect(out.stdout.contains("<model usable='yes' vendor='unknown' canonical='486-v1'>486</model>"))
        #expect(out.stdout.contains("vendor='Intel' canonical='Skylake-Client-v1'>Skylake-Client</model>"))
        #expect(!out.stdout.contains(">Skylake-Client-v1</model>"))
        let host = try #require(view.hostModel(record: record))
        #expect(map.model(host.model) != nil)
        #expect(out.stdout.contains("<model fallback='forbid'>\(host.model)</model>"))
        #expect(!out.stdout.contains("name='lahf-lm'") && !out.stdout.contains("name='tsc-adjust'"))
        // An explicit map that is not there is an error, one line, exit status 66.
        let missing = try TestSupport.runQCPU(["export", "libvirt-domcaps", "--host", path, "--cpu-map", "/nonexistent"])
        #expect(missing.status == 66)
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }

    /// QEMU's order of query-cpu-definitions: max, host, base, then names by descending strcmp.
    @Test func qemuModelOrderIsTheReplysOrder() {
        #expect(QEMUModelOrder.sorted(["486", "base", "qemu64", "host", "Skylake-Client", "qemu64-v1", "max", "EPYC"])
                == ["max", "host", "base", "qemu64-v1", "qemu64", "Skylake-Client", "EPYC", "486"])
    }
}
