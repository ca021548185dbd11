import Foundation
import QCPUTestSupport
import QMP
import Testing

/// Excerpts of input in messages, and input files read only when regular and small enough.
@Suite struct InputExcerptTests {
    @Test func excerptsArePrintableAndShort() {
        #expect(InputExcerpt.of("qemu64,+pni") == "qemu64,+pni")
        #expect(InputExcerpt.of("a\nb\t\u{1B}[2J\"\\é") == #"a\nb\t\u{1b}[2J\"\\\u{e9}"#)
        #expect(InputExcerpt.of(String(repeating: "x", count: 1000)) == String(repeating: "x", count: 60) + "...")
        // Escapes count towards the limit: a run of replacement characters stays short.
        let wide = InputExcerpt.of(String(repeating: "\u{FFFD}", count: 1000))
        #expect(wide == String(repeating: "\\u{fffd}", count: 7) + "...")
        #expect(InputExcerpt.of(bytes: [0x61, 0xC3, 0xA9, 0xFF, 0xC3, 0x28, 0x00]) == #"a\u{e9}\xff\xc3(\u{0}"#)
        var random = SplitMix(state: 3)
        for _ in 0..<500 {
            let bytes = (0..<random.below(400)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let e = InputExcerpt.of(bytes: bytes)
            #expect(e.utf8.count <= 63 && e.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
        }
    }

    @Test func inputFilesAreRegularAndBounded() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        #expect(try InputFile.read(dir + "/f", maxBytes: 5) == Array("hello".utf8))
        #expect(throws: InputFile.Error.self) { try InputFile.read(dir + "/f", maxBytes: 4) }
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        let cases: [(String, InputFile.Error.Kind, String)] = [
            (dir + "/f", .tooLarge, "5 bytes: larger than the limit of 4"),
            (dir + "/fifo", .notRegular, "a FIFO, not a file"),
            (dir, .notRegular, "a directory, not a file"),
            (dir + "/missing", .unreadable, "cannot read (no such file)"),
        ]
        for (path, kind, message) in cases {
            do { _ = try InputFile.read(path, maxBytes: 4); Issue.record("\(path) read") } catch {
                #expect(error.kind == kind && error.message == message, "\(path): \(error)")
            }
        }
    }
}
