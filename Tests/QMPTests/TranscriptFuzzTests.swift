import Foundation
import QCPUTestSupport
import QMP
import Testing

/// The `.replies` transcript reader on mutated recordings: no trap, a `badTranscript` error of
/// one line naming the object and line, the same transcript from its own text, linear time.
@Suite struct TranscriptFuzzTests {
    static let seeds: [[UInt8]] = [
        TestSupport.fixture("libvirt") + "/caps_7.2.22_riscv64.replies",
        TestSupport.fixture("aarch64") + "/qemu-system-aarch64/virt-7.2+tcg.replies",
    ].map { [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: $0))) ?? Data()) }

    static let tokens = ["\n\n", "\n", "\r\n", "{", "}", "\"execute\": ", "\"return\": {}", "\"id\": \"libvirt-1\"",
                         "\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}", "\"", ",", "\u{0}", " \t \n"]

    /// Whole-object edits a damaged or hand-edited file has: an object repeated, dropped, swapped.
    static func structural(_ bytes: [UInt8], _ random: inout SplitMix) -> [UInt8] {
        var objects = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n\n")
        guard objects.count > 1 else { return bytes }
        let i = random.below(objects.count), j = random.below(objects.count)
        switch random.below(3) {
        case 0: objects.insert(objects[i], at: j)
        case 1: objects.remove(at: i)
        default: objects.swapAt(i, j)
        }
        return Array(objects.joined(separator: "\n\n").utf8)
    }

    @Test func mutatedTranscriptsNeverTrapAndReparseFromTheirText() throws {
        #expect(Self.seeds.allSatisfy { $0.count > 1000 })
        var mutator = Mutator(seed: FuzzCheck.seed(0x5245_504C), tokens: Self.tokens, seeds: Self.seeds)
        var accepted = 0, refused = 0
        for n in 0..<600 {
            var input = mutator.pick()
            input = n % 3 == 0 ? Self.structural(input, &mutator.random) : mutator.mutate(input)
            do {
                let t = try Transcript(parsing: input, name: "fuzz.replies")
                accepted += 1
                #expect(try Transcript(parsing: t.text) == t, "case \(n): the transcript's text reads back differently")
            } catch {
                refused += 1
                #expect(error.code == .badTranscript, "case \(n): \(error.code)")
                #expect(error.message.hasPrefix("fuzz.replies: "), "case \(n): \(error.message)")
                if let problem = FuzzCheck.problem(with: error.description) { Issue.record("case \(n): \(problem): \(error)") }
            }
        }
        #expect(accepted > 50 && refused > 50, "accepted \(accepted), refused \(refused)")
    }

    @Test func anErrorNamesTheObjectAndItsLine() {
        let text = "{\"execute\": \"qmp_capabilities\", \"id\": \"libvirt-1\"}\n\n{\n  \"return\": {},\n  \"id\": x\n}\n"
        #expect {
            _ = try Transcript(parsing: text, name: "t.replies")
        } throws: { error in
            (error as? QMPError)?.message == #"t.replies: object 2 (line 5): invalid JSON at byte 26: unexpected character 'x' (at "x\n}")"#
        }
        // CRLF line ends separate objects too.
        let crlf = "{\"execute\": \"quit\", \"id\": \"libvirt-1\"}\r\n\r\n{\"return\": {}, \"id\": \"libvirt-1\"}\r\n"
        #expect((try? Transcript(parsing: crlf))?.exchanges.count == 1)
    }

    /// 200,000 objects (100,000 exchanges) read in well under `FuzzCheck.maxSeconds`, and 4 times as many take about
    /// 4 times as long.
    @Test func timeIsLinearInTheNumberOfObjects() {
        let exchange = "{\"execute\": \"query-kvm\", \"id\": \"libvirt-1\"}\n\n{\"return\": {}, \"id\": \"libvirt-1\"}\n\n"
        let g = FuzzCheck.growth(25_000, make: { Array(String(repeating: exchange, count: $0).utf8) },
                                 run: { _ = try? Transcript(parsing: $0) })
        #expect(g.large < FuzzCheck.maxSeconds, "100,000 exchanges: \(g.large) s")
        #expect(g.large < 10 * max(g.small, 0.005), "\(g.small) s, then \(g.large) s")
        // One object of 200,000 lines (no blank line anywhere) is one chunk, read once.
        let lines = FuzzCheck.growth(50_000, make: { Array(("[\n" + String(repeating: "1,\n", count: $0) + "1]\n").utf8) },
                                     run: { _ = try? Transcript(parsing: $0) })
        #expect(lines.large < FuzzCheck.maxSeconds)
        #expect(lines.large < 10 * max(lines.small, 0.005))
    }
}
