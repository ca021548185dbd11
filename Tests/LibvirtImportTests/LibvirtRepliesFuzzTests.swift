import Foundation
import LibvirtImport
import QCPUTestSupport
import QMP
import SnapshotStore
import Testing

/// libvirt `.replies` files damaged in every way a file can be, imported end to end (read, built
/// into a snapshot, written): each either imports or is refused with a `LibvirtImportError` of one
/// line; never a trap, nor a raw SQLite error from the writer.
@Suite struct LibvirtRepliesFuzzTests {
    static let riscv = TestSupport.fixture("libvirt") + "/caps_7.2.22_riscv64.replies"
    static let x86 = TestSupport.fixture("libvirt") + "/caps_7.2.22_x86_64.replies"

    static func bytes(_ path: String) -> [UInt8] { [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()) }

    /// The file's objects (command, reply, command, ...).
    static func objects(_ path: String) -> [String] {
        String(decoding: bytes(path), as: UTF8.self).trimmingCharacters(in: .newlines).components(separatedBy: "\n\n")
    }

    /// Edits at the level of exchanges and JSON values: what a hand-edited or merged file has.
    static func structural(_ objects: [String], _ random: inout SplitMix) -> [UInt8] {
        var o = objects
        let pairs = o.count / 2, i = 2 * random.below(pairs), j = 2 * random.below(pairs)
        switch random.below(6) {
        case 0: o.insert(contentsOf: o[i...i + 1], at: j)  // an exchange repeated
        case 1: o.removeSubrange(i...i + 1)  // an exchange dropped
        case 2: (o[i], o[j]) = (o[j], o[i])  // commands swapped
        case 3: o[i + 1] = o[j + 1]  // another command's reply
        case 4:  // a value of another type
            let values = ["null", "[]", "{}", "\"\"", "-1", "18446744073709551616", "true", "\"caf\\u00e9\""]
            let lines = o[i + 1].components(separatedBy: "\n")
            let k = random.below(lines.count)
            if let colon = lines[k].firstIndex(of: ":") {
                var l = lines
                l[k] = String(lines[k][...colon]) + " " + values[random.below(values.count)] + (lines[k].hasSuffix(",") ? "," : "")
                o[i + 1] = l.joined(separator: "\n")
            }
        default: o.insert(contentsOf: o[..<min(o.count, 4)], at: o.count)  // a second process
        }
        return Array((o.joined(separator: "\n\n") + "\n").utf8)
    }

    /// Imports `input` as file `name` and writes the snapshot under `dir`; nil when it imported.
    static func outcome(_ input: [UInt8], name: String, dir: String) -> LibvirtImportError? {
        do {
            let replies = try LibvirtReplies(parsing: input, file: name)
            _ = try? HostRecordImporter.data(replies)
            let snapshot = try LibvirtImporter(sourceDateEpoch: 0).snapshot(of: [replies])
            do { try SnapshotWriter().write(snapshot, to: dir + "/out.sqlite") } catch {
                Issue.record("\(name): imported, then the writer failed: \(error)")
            }
            return nil
        } catch {
            return error
        }
    }

    @Test func damagedFilesImportOrAreRefusedOnOneLine() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var mutator = Mutator(seed: FuzzCheck.seed(0x4C49_4256), tokens: ["\n\n", "{", "}", "\"", ",", "\"id\": \"libvirt-9\""],
                              seeds: [Self.bytes(Self.riscv)])
        let riscv = Self.objects(Self.riscv), x86 = Self.objects(Self.x86)
        #expect(riscv.count == 12 && x86.count > 20)
        var refused = 0
        for n in 0..<400 {
            // The large x86_64 file (KVM and TCG phases, expansions) in one case of ten.
            let input = n % 10 == 0 ? Self.structural(x86, &mutator.random)
                : n % 2 == 0 ? Self.structural(riscv, &mutator.random) : mutator.mutate(mutator.pick())
            guard let error = Self.outcome(input, name: "caps_7.2.22_fuzz.replies", dir: dir) else { continue }
            refused += 1
            #expect(error.code == .badFile, "case \(n): \(error.code): \(error)")
            if let problem = FuzzCheck.problem(with: error.description) { Issue.record("case \(n): \(problem): \(error)") }
        }
        #expect(refused > 100, "refused \(refused) of 400")
    }

    /// libvirt asks `query-cpu-definitions` once per QEMU process; a file that repeats it (or lists
    /// a model twice, even in another Unicode normalisation) would give two rows per model.
    @Test func aRepeatedDefinitionsExchangeIsRefused() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = Self.objects(Self.x86)
        let i = try #require(o.firstIndex { $0.contains("\"execute\": \"query-cpu-definitions\"") })
        o.insert(contentsOf: o[i...i + 1], at: i + 2)
        let error = try #require(Self.outcome(Array(o.joined(separator: "\n\n").utf8), name: "caps_7.2.22_x86_64.replies", dir: dir))
        #expect(error.code == .badFile)
        #expect(error.description == "caps_7.2.22_x86_64.replies: bad reply: the kvm phase asks query-cpu-definitions twice "
                + "(ids libvirt-6 and libvirt-6); libvirt asks it once per QEMU process")
        // One model named twice in one answer: NFC and NFD spellings of one name.
        var twice = Self.objects(Self.x86)
        twice[i + 1] = twice[i + 1].replacingOccurrences(of: "\"name\": \"qemu64\"", with: "\"name\": \"caf\\u00e9\"")
            .replacingOccurrences(of: "\"name\": \"qemu32\"", with: "\"name\": \"cafe\\u0301\"")
        let dup = try #require(Self.outcome(Array(twice.joined(separator: "\n\n").utf8), name: "x.replies", dir: dir))
        #expect(dup.description.hasSuffix("query-cpu-definitions of the kvm phase lists model \"caf\\u{e9}\" twice")
                || dup.description.hasSuffix("query-cpu-definitions of the kvm phase lists model \"cafe\\u{301}\" twice"), "\(dup)")
    }

    /// What libFuzzer found: file strings reached messages raw (a DEL byte in an id), and an arch
    /// that is no target name would name the binary.
    @Test func fileStringsInMessagesAreExcerpted() throws {
        var o = Self.objects(Self.riscv)
        o[2] = o[2].replacingOccurrences(of: "\"libvirt-2\"", with: "\"lib\\u007firt-2\"")
        do { _ = try LibvirtReplies(parsing: Array(o.joined(separator: "\n\n").utf8), file: "x.replies"); Issue.record("read") } catch {
            #expect(error.description == #"x.replies: object 4: reply id "libvirt-2" does not match command id "lib\u{7f}irt-2""#)
        }
        var arch = Self.objects(Self.riscv)
        arch[5] = arch[5].replacingOccurrences(of: "\"riscv64\"", with: "\"riscv64\\n../x\"")
        do { _ = try LibvirtReplies(parsing: Array(arch.joined(separator: "\n\n").utf8), file: "x.replies"); Issue.record("read") } catch {
            #expect(error.description == #"x.replies: query-target's arch "riscv64\n../x" is not a QEMU target name"#)
        }
    }
}
