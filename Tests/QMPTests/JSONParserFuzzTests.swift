import Foundation
import QCPUTestSupport
import QMP
import Testing

/// The JSON parser on mutated QEMU replies and on adversarial sizes: it never traps, refuses with
/// its own one-line error, round-trips what it accepts, and takes time linear in its input.
@Suite struct JSONParserFuzzTests {
    /// QMP objects from the recorded fixtures (the blank-line separated objects of transcripts).
    static let seeds: [[UInt8]] = {
        var objects: [[UInt8]] = []
        for file in ["/libvirt/caps_7.2.22_riscv64.replies", "/aarch64/qemu-system-aarch64/virt-7.2+tcg.replies"] {
            let text = (try? String(contentsOfFile: TestSupport.fixture("") + file, encoding: .utf8)) ?? ""
            objects += text.components(separatedBy: "\n\n").map { Array($0.utf8) }
        }
        objects.append(Array((try? Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("aarch64") + "/manifest.json"))) ?? Data()))
        return objects.filter { !$0.isEmpty }
    }()

    static let tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "true", "false",
                         "null", "-", "0", "1e", "1.5e+308", "18446744073709551616", "\"a\":", "é", "\u{FEFF}", "  \n"]

    @Test func seedsParseAndRoundTrip() throws {
        #expect(Self.seeds.count > 10)
        for seed in Self.seeds {
            let value = try JSONParser.parse(seed)
            #expect(try JSONParser.parse(value.canonicalText) == value)
            #expect(try JSONParser.parse(value.prettyText) == value)
        }
    }

    @Test func mutatedRepliesNeverTrapAndRoundTripWhenAccepted() throws {
        var mutator = Mutator(seed: FuzzCheck.seed(0x4A53_4F4E), tokens: Self.tokens, seeds: Self.seeds)
        var accepted = 0, refused = 0
        for n in 0..<2500 {
            let input = mutator.mutate(mutator.pick())
            do {
                let value = try JSONParser.parse(input)
                accepted += 1
                let again = try JSONParser.parse(value.canonicalText)
                #expect(again == value, "case \(n): canonical text does not round-trip")
                #expect(again.canonicalText == value.canonicalText, "case \(n)")
            } catch {
                refused += 1
                #expect(error.offset >= 0 && error.offset <= input.count, "case \(n): offset \(error.offset)")
                if let problem = FuzzCheck.problem(with: error.description) { Issue.record("case \(n): \(problem): \(error)") }
            }
        }
        // Both outcomes are exercised: the mutations are not all fatal, nor all harmless.
        #expect(accepted > 200 && refused > 200, "accepted \(accepted), refused \(refused)")
    }

    @Test func randomBytesAreRefusedOnOneLine() {
        var random = SplitMix(state: FuzzCheck.seed(7))
        for n in 0..<2000 {
            let input = (0..<random.below(200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            do { _ = try JSONParser.parse(input) } catch {
                if let problem = FuzzCheck.problem(with: error.description) { Issue.record("case \(n): \(problem): \(error)") }
            }
        }
    }

    @Test func limitsAreEnforcedWithAClearMessage() {
        func refusal(_ text: String, _ limits: JSONParser.Limits = .init()) -> String? {
            do { _ = try JSONParser.parse(Array(text.utf8), limits: limits); return nil } catch { return error.message }
        }
        #expect(refusal(String(repeating: "[", count: 200_000)) == "nesting deeper than 128")
        #expect(refusal(String(repeating: "{\"a\":", count: 200_000)) == "nesting deeper than 128")
        #expect(refusal("[" + String(repeating: "9", count: 600) + "]") == "a number longer than 512 characters")
        var small = JSONParser.Limits()
        small.maxValues = 10
        #expect(refusal("[" + Array(repeating: "0", count: 10).joined(separator: ",") + "]", small) == "more than 10 values")
        small.maxBytes = 8
        #expect(refusal("[1, 2, 3, 4]", small) == "12 bytes: larger than the limit of 8")
        // Strings are UTF-8: an invalid sequence is refused where it starts, not replaced.
        do {
            _ = try JSONParser.parse([0x22, 0x61, 0xC3, 0x28, 0x22] as [UInt8])
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.message == "a string that is not UTF-8")
            #expect(error.offset == 2)
            #expect(error.description == #"invalid JSON at byte 2: a string that is not UTF-8 (at "\xc3(\"")"#)
        }
        // A control character is shown escaped, not written to the terminal.
        #expect(refusal("\u{1B}[2J") == #"unexpected character '\u{1b}'"#)
    }

    /// A quadratic regression guard: 800,000 values parse in well under `FuzzCheck.maxSeconds` in a debug build, and
    /// 4 times the input takes about 4 times as long (a quadratic parser would take 16 times).
    @Test func timeIsLinearInTheInput() throws {
        let flat = FuzzCheck.growth(200_000, make: { n in Array(("[" + Array(repeating: "{\"a\":[1,\"x\"]}", count: n / 4).joined(separator: ",") + "]").utf8) },
                                    run: { _ = try? JSONParser.parse($0) })
        #expect(flat.large < FuzzCheck.maxSeconds, "800,000 values: \(flat.large) s")
        #expect(flat.large < 10 * max(flat.small, 0.005), "\(flat.small) s, then \(flat.large) s for 4 times the input")
        let strings = FuzzCheck.growth(500_000, make: { n in Array(("\"" + String(repeating: "\\n\\u00e9", count: n) + "\"").utf8) },
                                       run: { _ = try? JSONParser.parse($0) })
        #expect(strings.large < FuzzCheck.maxSeconds)
        #expect(strings.large < 10 * max(strings.small, 0.005))
    }
}
