import Foundation
import QCPUTestSupport
import SnapshotStore
import Testing

/// `qcpu host import` through the built binary: outputs, notes, exit statuses.
@Suite struct HostImportCLITests {
    static let amd = TestSupport.amdRecordings + "/libvirt-probe-7.2.22/caps_7.2.22_x86_64.replies"
    static let intel = TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies"
    static let riscv = TestSupport.fixture("libvirt") + "/caps_7.2.22_riscv64.replies"
    static let upstream = TestSupport.packageRoot + "/vendor/libvirt-src/tests/qemucapabilitiesdata"
    static var upstreamAvailable: Bool { FileManager.default.fileExists(atPath: upstream + "/caps_7.2.0_x86_64.xml") }

    /// The shipped QEMU 7.2.22 snapshot (KVM rows of qemu-system-x86_64 on every machine type and none).
    static let snapshot = TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite"

    @Test func oneFileMakesOneRecordReproducibly() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snapshot = Self.snapshot
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        let run = try TestSupport.runQCPU(["host", "import", Self.amd, "-o", "amd.sqlite", "--snapshot", snapshot], environment: env, cwd: dir)
        #expect(run.status == 0 && run.stdout.isEmpty)
        #expect(run.stderr == "wrote amd.sqlite: libvirt-replies caps_7.2.22_x86_64.replies, QEMU 7.2.22, AuthenticAMD AMD EPYC; QEMU 7.2.22's models will be answered from qemu-7.2.22.sqlite\n")
        #expect(try TestSupport.runQCPU(["validate", "amd.sqlite"], cwd: dir).stdout == "amd.sqlite: ok\n")
        let meta = try SnapshotReader(path: dir + "/amd.sqlite").meta()
        #expect(meta["host_record"] == "2" && meta["harvest_epoch"] == "1700000000" && meta["qemu_version"] == "7.2.22")
        #expect(meta["host_source"] == #"{"file":"caps_7.2.22_x86_64.replies","kind":"libvirt-replies"}"#)
        let again = try TestSupport.runQCPU(["host", "import", Self.amd, "-o", "amd.sqlite", "--snapshot", snapshot], environment: env, cwd: dir)
        #expect(again.status == 73 && again.stderr == "qcpu: amd.sqlite exists; pass --force to replace it\n")
        #expect(try TestSupport.runQCPU(["host", "import", "-q", Self.amd, "-o", "b.sqlite", "--snapshot", snapshot],
                                        environment: env, cwd: dir).stderr.isEmpty)
        #expect(try TestSupport.sha256(dir + "/amd.sqlite") == TestSupport.sha256(dir + "/b.sqlite"))
    }

    @Test func severalFilesMakeADirectoryOfRecordsNamedAfterThem() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snapshot = Self.snapshot
        try FileManager.default.createDirectory(atPath: dir + "/intel", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.intel, toPath: dir + "/intel/intel-host.replies")
        let run = try TestSupport.runQCPU(["host", "import", Self.amd, "intel/intel-host.replies", "-o", "hosts", "--snapshot", snapshot], cwd: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/hosts").sorted() == ["caps_7.2.22_x86_64.sqlite", "intel-host.sqlite"])
        #expect(run.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("wrote hosts/") }.count == 2)
        let intel = try SnapshotReader(path: dir + "/hosts/intel-host.sqlite")
        #expect(try intel.session(binary: "qemu-system-x86_64", machine: "none", accel: "kvm")?.host?.vendor == "GenuineIntel")
        // Two inputs of one base name would overwrite each other.
        try FileManager.default.copyItem(atPath: Self.amd, toPath: dir + "/intel/caps_7.2.22_x86_64.replies")
        let clash = try TestSupport.runQCPU(["host", "import", Self.amd, "intel/caps_7.2.22_x86_64.replies", "-o", "more", "--snapshot", snapshot], cwd: dir)
        #expect(clash.status == 64 && clash.stderr.hasSuffix("would both be written to caps_7.2.22_x86_64.sqlite; import them separately\n"))
        // -o must be a directory for several inputs, a file for one.
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        let file = try TestSupport.runQCPU(["host", "import", Self.amd, Self.intel, "-o", "file", "--snapshot", snapshot], cwd: dir)
        #expect(file.status == 64 && file.stderr == "qcpu: file is a file; with several inputs -o names a directory\n")
        let directory = try TestSupport.runQCPU(["host", "import", Self.amd, "-o", "hosts", "--snapshot", snapshot], cwd: dir)
        #expect(directory.status == 64 && directory.stderr == "qcpu: hosts is a directory; with one input -o names the record file\n")
    }

    @Test func badInputHasItsExitStatusAndWritesNothing() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let snapshot = Self.snapshot
        let text = try String(contentsOfFile: Self.amd, encoding: .utf8)
        try String(text.prefix(3000)).write(toFile: dir + "/cut.replies", atomically: true, encoding: .utf8)
        try "<qemuCaps>\n  <version>7002022</version>\n  <arch>x86_64</arch>\n  <hostCPU type='kvm' model='base' migratability='yes'>\n    <property name='fpu' type='boo"
            .write(toFile: dir + "/cut.xml", atomically: true, encoding: .utf8)
        try "<!DOCTYPE q [<!ENTITY a 'aaaa'>]><qemuCaps>&a;</qemuCaps>".write(toFile: dir + "/dtd.xml", atomically: true, encoding: .utf8)
        try "Hello".write(toFile: dir + "/hello.txt", atomically: true, encoding: .utf8)
        let cases: [([String], Int32, String)] = [
            (["cut.xml"], 65, "qcpu: cut.xml: not well-formed XML: line 5: truncated: an attribute value is not closed (at \"fpu' type='boo\")\n"),
            (["dtd.xml"], 65, "qcpu: dtd.xml: not well-formed XML: line 1: a DOCTYPE is not accepted (libvirt writes none; its entities could expand without bound) (at \"<!DOCTYPE q [<!ENTITY a 'aaaa'\")\n"),
            (["cut.replies"], 65, "qcpu: cut.replies: not a libvirt .replies transcript: "),
            (["hello.txt"], 65, "qcpu: hello.txt: neither libvirt's QEMU capabilities XML nor a .replies transcript (it starts with neither '<' nor '{')\n"),
            (["missing.xml"], 66, "qcpu: missing.xml: cannot read (no such file)\n"),
            ([Self.riscv], 65, "qcpu: caps_7.2.22_riscv64.replies: no KVM phase with the host model's static expansion (the file has tcg): libvirt did not probe this QEMU under KVM, so it describes no KVM host\n"),
            // A good file among bad ones: nothing is written either.
            ([Self.amd, "cut.xml"], 65, "qcpu: cut.xml: not well-formed XML: line 5: truncated"),
        ]
        for (files, status, stderr) in cases {
            let run = try TestSupport.runQCPU(["host", "import"] + files + ["-o", files.count == 1 ? "out.sqlite" : "out", "--snapshot", snapshot], cwd: dir)
            #expect(run.status == status, "\(files)")
            #expect(run.stderr.hasPrefix(stderr), "\(files): \(run.stderr)")
            #expect(run.stderr.components(separatedBy: "\n").count == 2, "\(files): one line")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.sqlite"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out").isEmpty)
    }

    /// A file of a release (or binary) no snapshot has is refused at import, naming what is
    /// missing and how to get it.
    @Test func aReleaseWithoutASnapshotIsRefused() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = ["--snapshot", TestSupport.packageRoot + "/Snapshots/qemu-7.2.22.sqlite",
                       "--snapshot", TestSupport.packageRoot + "/Snapshots/qemu-10.0.2.sqlite"]
        // The AMD probe is QEMU 7.2.22; checked against the 10.0.2 snapshot only, 7.2 is missing.
        let other = try TestSupport.runQCPU(["host", "import", Self.amd, "-o", "a.sqlite", "--snapshot", shipped[3]], cwd: dir)
        #expect(other.status == 69)
        #expect(other.stderr == "qcpu: caps_7.2.22_x86_64.replies: QEMU 7.2.22, qemu-system-x86_64: an imported record takes its models from a release snapshot, and there is no snapshot of QEMU 7.2.22 (or another 7.2.x) with KVM rows for qemu-system-x86_64 on the search path (qcpu path): install the snapshot of that release, or harvest one where that QEMU runs with KVM: qcpu harvest --qemu PATH --accel tcg --accel kvm --kvm-models -o qemu-7.2.22.sqlite\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        guard Self.upstreamAvailable else {
            print("note: libvirt's test data is not in vendor/libvirt-src: run scripts/fetch-libvirt-source.sh (make test does)")
            return
        }
        let run = try TestSupport.runQCPU(["host", "import", Self.upstream + "/caps_9.1.0_x86_64.xml", "-o", "a.sqlite"] + shipped, cwd: dir)
        #expect(run.status == 69)
        #expect(run.stderr.hasPrefix("qcpu: caps_9.1.0_x86_64.xml: QEMU 9.1.0, qemu-system-x86_64: an imported record takes its models from a release snapshot, and there is no snapshot of QEMU 9.1.0 (or another 9.1.x)"))
        // libvirt's caps_10.0.0_s390x is of a QEMU development snapshot, 9.2.50.
        let s390x = try TestSupport.runQCPU(["host", "import", Self.upstream + "/caps_10.0.0_s390x.xml", "-o", "a.sqlite"] + shipped, cwd: dir)
        #expect(s390x.status == 69)
        #expect(s390x.stderr.hasPrefix("qcpu: caps_10.0.0_s390x.xml: QEMU 9.2.50, qemu-system-s390x: an imported record takes its models from a release snapshot, and there is no snapshot of QEMU 9.2.50 (or another 9.2.x)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
