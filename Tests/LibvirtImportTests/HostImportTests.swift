import Foundation
import Harvester
import LibvirtImport
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// libvirt's own test data (tests/qemucapabilitiesdata of libvirt 11.3.0, fetched by
/// `scripts/fetch-libvirt-source.sh`, which `make test` runs; never committed).
enum UpstreamData {
    static let directory = TestSupport.packageRoot + "/vendor/libvirt-src/tests/qemucapabilitiesdata"
    static var available: Bool {
        let here = FileManager.default.fileExists(atPath: directory + "/caps_7.2.0_x86_64.xml")
        if !here { print("note: libvirt's test data is not in vendor/libvirt-src: run scripts/fetch-libvirt-source.sh (make test does)") }
        return here
    }
    /// The x86_64 capabilities XML files, sorted.
    static var x86XML: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("caps_") && $0.contains("_x86_64") && $0.hasSuffix(".xml") }.sorted()
            .map { directory + "/" + $0 }
    }
}

/// `HostRecordImporter`: light host records from libvirt's capabilities XML and `.replies` files.
@Suite struct HostImportTests {
    static let amd = TestSupport.amdRecordings + "/libvirt-probe-7.2.22/caps_7.2.22_x86_64.replies"
    let importer = HostRecordImporter(sourceDateEpoch: 0)

    /// The props of `model`'s `type` expansion with `variant` in `s`.
    static func props(_ s: Snapshot, _ model: String, _ type: String, _ variant: String = "") -> PropertySet? {
        guard case .expanded(_, let p)? = s.expansions.first(where: {
            $0.key.model == model && $0.key.type == type && $0.key.variant == variant })?.outcome else { return nil }
        return p
    }

    /// QEMU's reply to `query-cpu-model-expansion` of `host` with `props` in the file's KVM phase.
    static func reply(_ file: LibvirtReplies, type: String, props: JSONValue?) -> JSONValue? {
        file.phases.first { $0.accel == "kvm" }?.exchanges.first {
            $0.command["execute"]?.stringValue == "query-cpu-model-expansion" && $0.command["arguments"]?["type"]?.stringValue == type
                && $0.command["arguments"]?["model"]?["name"]?.stringValue == "host"
                && $0.command["arguments"]?["model"]?["props"] == props
        }?.reply["return"]?["model"]?["props"]
    }

    @Test func theAMDHostsProbeMakesALightRecordOnMachineNone() throws {
        let data = try importer.read(Self.amd)
        #expect(data.kind == .replies && data.qemuVersion == "7.2.22" && data.qemuPackage == "Debian 1:7.2+dfsg-7+deb12u18+b3")
        let s = try importer.record(of: data)
        #expect(s.meta.extra["host_record"] == "2")
        #expect(s.meta.extra["host_source"] == #"{"file":"caps_7.2.22_x86_64.replies","kind":"libvirt-replies"}"#)
        #expect(s.meta.extra["host_not_probed"]?.hasPrefix("imported from libvirt-replies caps_7.2.22_x86_64.replies") == true)
        #expect(s.meta.hostExtraFeatures == nil && s.meta.extra["host_runtime_refused"] == nil)
        #expect(s.binaries == [BinaryRecord(name: "qemu-system-x86_64", arch: "x86_64", size: 0, sha256: "", accelerators: ["kvm"])])
        #expect(s.machines.map(\.name) == ["none"])
        #expect(s.machines[0].info["cpu-max"]?.intValue == 1)
        #expect(s.sessions.map(\.key.description) == ["qemu-system-x86_64/none+kvm"])
        #expect(s.sessions[0].host == HostRecord(vendor: "AuthenticAMD", family: 26, model: 2, stepping: 1, modelName: "AMD EPYC",
                                                 microcode: "unknown", kernel: "unknown"))
        #expect(s.definitions.isEmpty)
        #expect(s.expansions.map { "\($0.key.model) \($0.key.type) \($0.key.variant)" } == [
            "host full ", "host full migratable=off", "host static ", "host static migratable=off", "max static "])
        // The static rows are QEMU's answers to libvirt, exactly.
        let file = try LibvirtReplies(path: Self.amd)
        #expect(Self.props(s, "host", "static")?.json == Self.reply(file, type: "static", props: nil))
        #expect(Self.props(s, "host", "static", "migratable=off")?.json == Self.reply(file, type: "static", props: ["migratable": false]))
        #expect(Self.props(s, "host", "full") == Self.props(s, "host", "static"))
        #expect(Self.props(s, "host", "full", "migratable=off") == Self.props(s, "host", "static", "migratable=off"))
        // This host's KVM: no SSE3 offered; invtsc only without migratable.
        #expect(Self.props(s, "host", "full", "migratable=off")?["pni"] == false)
        #expect(Self.props(s, "host", "full")?["invtsc"] == false && Self.props(s, "host", "full", "migratable=off")?["invtsc"] == true)
    }

    /// `max` is written as the migratable static answer of `host`: QEMU's own `max` static
    /// expansion under KVM on the same host (the host capture's realize probe asked it) is equal.
    @Test func maxIsQEMUsOwnMaxUnderKVM() throws {
        let s = try importer.record(of: try importer.read(Self.amd))
        let text = try String(contentsOfFile: TestSupport.amdRecordings + "/qemu-7.2.22/qemu-system-x86_64/host-realize-names.replies", encoding: .utf8)
        let transcript = try Transcript(parsing: text, name: "host-realize-names.replies")
        let max = transcript.exchanges.first { $0.command["arguments"]?["model"]?["name"]?.stringValue == "max" }
        let props = try #require(max?.reply["return"]?["model"]?["props"])
        #expect(Self.props(s, "max", "static")?.json == props)
        #expect(props.objectValue?.count == 327)
    }

    /// libvirt's test data holds both files of each probe: the `.replies` (QEMU's answers) and the
    /// `.xml` libvirt made of them. The XML's `<hostCPU>` undone gives back QEMU's answers.
    @Test(.enabled(if: UpstreamData.available)) func everyUpstreamXMLGivesTheRecordOfItsReplies() throws {
        var compared = 0
        for xml in UpstreamData.x86XML {
            let replies = xml.replacingOccurrences(of: ".xml", with: ".replies")
            let fromXML = try importer.read(xml)
            guard fromXML.kvmHostCPU != nil else {
                #expect(xml.contains("+hvf"), "\(xml) has no KVM host CPU")
                #expect(throws: LibvirtImportError.self) { try importer.record(of: fromXML) }
                continue
            }
            let fromReplies = try importer.read(replies)
            let a = try importer.record(of: fromXML), b = try importer.record(of: fromReplies)
            #expect(a.expansions == b.expansions, "\(xml)")
            #expect(a.sessions.map(\.key) == b.sessions.map(\.key))
            #expect(a.meta.qemuVersion == b.meta.qemuVersion && a.meta.qemuPackage == b.meta.qemuPackage, "\(xml)")
            var hostA = try #require(a.sessions.first?.host), hostB = try #require(b.sessions.first?.host)
            #expect(hostA.microcode.hasPrefix("0x") && hostB.microcode == "unknown", "\(xml)")
            hostA.microcode = hostB.microcode
            #expect(hostA == hostB, "\(xml)")
            let file = try LibvirtReplies(path: replies)
            #expect(Self.props(a, "host", "static", "migratable=off")?.json == Self.reply(file, type: "static", props: ["migratable": false]),
                    "\(xml)")
            #expect(Self.props(a, "host", "static")?.json == Self.reply(file, type: "static", props: nil), "\(xml)")
            compared += 1
        }
        #expect(compared == 13)  // 14 x86_64 files, one of them +hvf
    }

    @Test(.enabled(if: UpstreamData.available)) func theVersionPackageAndFakeMicrocodeAreTheFilesOwn() throws {
        let data = try importer.read(UpstreamData.directory + "/caps_7.2.0_x86_64.xml")
        #expect(data.kind == .capsXML && data.qemuVersion == "7.2.0" && data.qemuPackage == "v7.2.0")
        // libvirt's test harness writes a microcode version made from the file name: 43100245.
        #expect(data.fingerprint == HostRecord(vendor: "AuthenticAMD", family: 23, model: 113, stepping: 0,
                                               modelName: "AMD Ryzen 9 3900X 12-Core Processor", microcode: "0x291a855", kernel: "unknown"))
        #expect(try importer.read(UpstreamData.directory + "/caps_10.0.0_x86_64.xml").qemuVersion == "10.0.0")
    }

    @Test(.enabled(if: UpstreamData.available)) func anHVFProbeDescribesNoKVMHost() throws {
        let data = try importer.read(UpstreamData.directory + "/caps_7.2.0_x86_64+hvf.xml")
        #expect(data.accelerators == ["hvf", "tcg"] && data.kvmHostCPU == nil)
        do { _ = try importer.record(of: data); Issue.record("imported") } catch {
            #expect(error.code == .noKVM)
            #expect("\(error)" == "caps_7.2.0_x86_64+hvf.xml: no <hostCPU type='kvm'> (the file has hvf, tcg): libvirt did not probe this QEMU under KVM, so it describes no KVM host")
        }
    }

    /// A cut file is refused with a reason wherever it is cut; it never imports.
    @Test(.enabled(if: UpstreamData.available)) func aTruncatedCacheFileIsRefusedWhereverItIsCut() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: UpstreamData.directory + "/caps_10.0.0_x86_64.xml")))
        var cuts = Array(stride(from: 1, to: bytes.count, by: 1009))
        cuts += [bytes.count - 13, bytes.count - 2]  // inside </qemuCaps>, and just before its '>'
        for cut in cuts {
            do {
                _ = try LibvirtCapsXML(bytes: Array(bytes[..<cut]), file: "cut.xml")
                Issue.record("cut at \(cut) read")
            } catch {
                #expect(error.code == .badFile)
                #expect(error.message.hasPrefix("not well-formed XML: line "), "\(cut): \(error)")
                #expect(error.message.contains("truncated"), "\(cut): \(error)")
                #expect(!error.message.contains("\n"))
            }
        }
        // The whole file reads; trailing whitespace is fine.
        #expect(try LibvirtCapsXML(bytes: bytes + Array("\n\n".utf8), file: "whole.xml").qemuVersion == "10.0.0")
    }

    /// What libvirt writes on a real host that its test files lack: the CPU signature from
    /// /proc/cpuinfo, a real microcode revision, the kernel. (A cache file's layout, cut to the
    /// elements read; the numbers are this project's AMD host's.)
    @Test func aRealCacheFilesSignatureMicrocodeAndKernelMakeTheFingerprint() throws {
        let xml = """
            <qemuCaps>
              <emulator>/usr/bin/qemu-system-x86_64</emulator>
              <version>7002022</version>
              <microcodeVersion>16777317</microcodeVersion>
              <hostCPUSignature>AuthenticAMD, AMD EPYC, 9005 Series, family: 26, model: 2, stepping: 1</hostCPUSignature>
              <package>Debian 1:7.2+dfsg-7+deb12u18+b3</package>
              <kernelVersion>6.18.44 #1 SMP PREEMPT_DYNAMIC</kernelVersion>
              <arch>x86_64</arch>
              <hostCPU type='kvm' model='base' migratability='yes'>
                <property name='family' type='number' value='26'/>
                <property name='vendor' type='string' value='AuthenticAMD'/>
                <property name='model-id' type='string' value='AMD EPYC                                        '/>
                <property name='fpu' type='boolean' value='true' migratable='yes'/>
                <property name='invtsc' type='boolean' value='true' migratable='no'/>
                <property name='pni' type='boolean' value='false'/>
              </hostCPU>
            </qemuCaps>
            """
        let caps = try LibvirtCapsXML(bytes: Array(xml.utf8), file: "abc.xml")
        let data = HostRecordImporter.data(caps)
        #expect(data.fingerprint == HostRecord(vendor: "AuthenticAMD", family: 26, model: 2, stepping: 1,
                                               modelName: "AMD EPYC, 9005 Series", microcode: "0x1000065", kernel: "6.18.44"))
        #expect(data.qemuVersion == "7.2.22")
        let s = try importer.record(of: data)
        #expect(Self.props(s, "host", "full")?.json == ["family": 26, "vendor": "AuthenticAMD", "model-id": "AMD EPYC                                        ",
                                                         "fpu": true, "invtsc": false, "pni": false])
        #expect(Self.props(s, "host", "full", "migratable=off")?["invtsc"] == true)
        // Without a signature the identity is QEMU's (model-id without its padding).
        let bare = xml.replacingOccurrences(of: "<hostCPUSignature>", with: "<x>").replacingOccurrences(of: "</hostCPUSignature>", with: "</x>")
        #expect(HostRecordImporter.data(try LibvirtCapsXML(bytes: Array(bare.utf8), file: "abc.xml")).fingerprint.modelName == "AMD EPYC")
        // libvirt writes migratability='no' when QEMU gave no migratable=off answer: refused.
        let noMigratability = xml.replacingOccurrences(of: "migratability='yes'", with: "migratability='no'")
        #expect(throws: LibvirtImportError.self) {
            try importer.record(of: HostRecordImporter.data(try LibvirtCapsXML(bytes: Array(noMigratability.utf8), file: "abc.xml")))
        }
    }

    @Test func notACapabilitiesFileIsRefusedWithAReason() throws {
        let cases: [(String, String)] = [
            ("<domain/>", "root element <domain> (line 1): not a libvirt QEMU capabilities file (<qemuCaps>)"),
            ("<qemuCaps><arch>x86_64</arch></qemuCaps>", "no <version>"),
            ("<qemuCaps><version>x</version><arch>x86_64</arch></qemuCaps>", "<version>x</version> is not a number"),
            ("<qemuCaps><version>7002000</version></qemuCaps>", "no <arch>"),
            ("<qemuCaps><version>7002000</version><arch>x86_64</arch><hostCPU type='kvm' model='base' migratability='yes'>"
             + "<property name='fpu' type='boolean' value='maybe'/></hostCPU></qemuCaps>",
             #"line 1: <hostCPU>: line 1: fpu: boolean value "maybe""#),
        ]
        for (xml, message) in cases {
            do { _ = try LibvirtCapsXML(bytes: Array(xml.utf8), file: "x.xml"); Issue.record("read \(xml)") } catch {
                #expect(error.message == message)
            }
        }
    }
}
