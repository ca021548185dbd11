import Foundation
import QCPUTestSupport
import Testing

/// The failures issue 11 found in the parsers, through the real `qcpu`: each input built from the
/// shipped files by the test ends with status 65 and one short stderr line, quickly.
@Suite struct HostileInputCLITests {
    static func oneLine(_ run: (status: Int32, stdout: String, stderr: String)) -> Bool {
        run.stderr.hasPrefix("qcpu: ") && run.stderr.hasSuffix("\n") && run.stderr.dropLast().allSatisfy { $0 != "\n" }
            && run.stderr.utf8.count < 400
    }

    @Test func compareRefusesHostileGuestFilesOnOneLine() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 50,000 unclosed <feature> tags: over 20 s before (each searched the rest of the file).
        let unclosed = dir + "/unclosed.xml"
        try ("<cpu mode='custom'><model>qemu64</model>" + String(repeating: "<feature policy='require' name='pni'>", count: 50_000) + "</cpu>")
            .write(toFile: unclosed, atomically: true, encoding: .utf8)
        // A binary file: the head of the qcpu executable (echoed whole into the error before).
        let binary = dir + "/binary"
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: TestSupport.qcpuBinary)).read(upToCount: 64 << 10) ?? Data()
        try head.write(to: URL(fileURLWithPath: binary))
        // A -cpu string with control characters and 100,000 bytes of junk in one element.
        let junk = dir + "/junk.txt"
        try ("qemu64,\u{1B}[2J=" + String(repeating: "x", count: 100_000)).write(toFile: junk, atomically: true, encoding: .utf8)
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let cases: [(String, String)] = [
            (unclosed, "the <cpu> XML is not well-formed: line 1: elements nested deeper than 32"),
            (binary, "the guest CPU file is not text (binary data or not UTF-8)"),
            (junk, "is not a CPU model or feature name (printable ASCII, no spaces or commas)"),
            (fifo, "a FIFO, not a file"),
            (dir, "a directory, not a file"),
        ]
        for (file, reason) in cases {
            let start = ContinuousClock.now
            let run = try TestSupport.runQCPU(["compare", "@" + file, "--host", dir + "/none.sqlite"])
            #expect(ContinuousClock.now - start < .seconds(10), "\(file)")
            #expect(run.status == 65, "\(file): \(run.stderr.prefix(300))")
            #expect(Self.oneLine(run), "\(file): \(run.stderr.prefix(300))")
            #expect(run.stderr.contains(reason), "\(file): \(run.stderr.prefix(300))")
            #expect(!run.stderr.contains("\u{1B}"))
        }
    }

    @Test func importRefusesARepeatedDefinitionsExchange() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try String(contentsOfFile: TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies", encoding: .utf8)
        var objects = text.trimmingCharacters(in: .newlines).components(separatedBy: "\n\n")
        let i = try #require(objects.firstIndex { $0.contains("\"execute\": \"query-cpu-definitions\"") })
        objects.insert(contentsOf: objects[i...i + 1], at: i + 2)
        let file = dir + "/caps_7.2.22_x86_64.replies"
        try (objects.joined(separator: "\n\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let run = try TestSupport.runQCPU(["import", "libvirt-replies", file, "-o", dir + "/out.sqlite"])
        #expect(run.status == 65)
        #expect(Self.oneLine(run), "\(run.stderr)")
        #expect(run.stderr == "qcpu: caps_7.2.22_x86_64.replies: bad reply: the kvm phase asks query-cpu-definitions twice "
                + "(ids libvirt-6 and libvirt-6); libvirt asks it once per QEMU process\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.sqlite"))
        // A FIFO named as a .replies file is refused, not waited on.
        let fifo = dir + "/caps_7.2.22_aarch64.replies"
        #expect(mkfifo(fifo, 0o600) == 0)
        let blocked = try TestSupport.runQCPU(["import", "libvirt-replies", fifo, "-o", dir + "/out.sqlite"])
        #expect(blocked.status == 65)
        #expect(blocked.stderr == "qcpu: \(fifo): a FIFO, not a file\n")
    }
}
