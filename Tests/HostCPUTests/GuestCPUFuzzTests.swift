import CPUQuery
import Foundation
import HostCPU
import QCPUTestSupport
import Testing

/// The guest CPU reader (`-cpu` strings and libvirt `<cpu>` XML, as `qcpu compare` and
/// `model-compare` take them) on mutated input: no trap, a `badGuest` error of one line quoting at
/// most a short excerpt, the same guest from its own `-cpu` string or XML, linear time.
@Suite struct GuestCPUFuzzTests {
    static let optionSeeds: [[UInt8]] = FuzzCheck.seeds(in: "fuzz/corpus/cpu", suffix: ".txt")
        + ["Skylake-Client,-hle,-rtm", "z14.2-base,msa1=on,vx=off", "host", "max,+kvm-pv-eoi"].map { Array($0.utf8) }
    static let xmlSeeds: [[UInt8]] = FuzzCheck.seeds(in: "fuzz/corpus/cpu", suffix: ".xml")
        + [Array(GuestCPU(model: "qemu64", plus: ["sse4.1", "a&b"], minus: ["pni", "x'y"]).libvirtXML.utf8)]

    static let tokens = [",", "+", "-", "=", "on", "off", "=on", "=maybe", ",,", "enforce", "<", ">", "/>", "<feature name='x'/>",
                         "<model>", "</model>", "</cpu>", " policy='forbid'", " mode='host-model'", "&apos;", "\u{0}", "\n"]

    static func check(_ input: [UInt8], case n: Int) -> (GuestCPU?, Bool) {
        let text = String(decoding: input, as: UTF8.self)
        do {
            return (try GuestCPU.parse(text), text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<"))
        } catch {
            #expect(error.code == .badGuest, "case \(n): \(error.code)")
            if let problem = FuzzCheck.problem(with: error.description) { Issue.record("case \(n): \(problem): \(error)") }
            return (nil, false)
        }
    }

    @Test func mutatedCPUStringsNeverTrapAndRoundTrip() throws {
        #expect(Self.optionSeeds.count >= 6 && Self.xmlSeeds.count >= 3)
        var mutator = Mutator(seed: FuzzCheck.seed(0x4350_5500), tokens: Self.tokens, seeds: Self.optionSeeds + Self.xmlSeeds)
        var accepted = 0, refused = 0
        for n in 0..<3000 {
            let (guest, fromXML) = Self.check(mutator.mutate(mutator.pick()), case: n)
            guard let guest else { refused += 1; continue }
            accepted += 1
            if fromXML {
                #expect(try GuestCPU.parse(guest.libvirtXML) == guest, "case \(n): \(guest)")
            } else if !guest.option.hasPrefix("<"), !guest.model.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
                #expect(try GuestCPU.parse(guest.option) == guest, "case \(n): \(guest)")
            }
        }
        #expect(accepted > 300 && refused > 300, "accepted \(accepted), refused \(refused)")
    }

    /// What the issue found: 50,000 unclosed `<feature>` tags took over 20 s (each tag searched the
    /// rest of the text for its end tag); a binary file was echoed whole into the error.
    @Test func unclosedFeaturesAndBinaryInputAreRefusedQuicklyOnOneLine() throws {
        let unclosed = "<cpu mode='custom'><model>qemu64</model>" + String(repeating: "<feature policy='require' name='pni'>", count: 50_000) + "</cpu>"
        let start = ContinuousClock.now
        #expect {
            _ = try GuestCPU.parse(unclosed)
        } throws: { error in
            let message = (error as? HostCPUError)?.message ?? ""
            return message.hasPrefix("the <cpu> XML is not well-formed: line 1: elements nested deeper than 32") && FuzzCheck.problem(with: message) == nil
        }
        #expect(ContinuousClock.now - start < .seconds(2))
        let g = FuzzCheck.growth(50_000, make: { n in
            Array(("<cpu><model>qemu64</model>" + String(repeating: "<feature name='pni'/>", count: n) + "</cpu>").utf8)
        }, run: { _ = try? GuestCPU.parse(String(decoding: $0, as: UTF8.self)) })
        #expect(g.large < FuzzCheck.maxSeconds, "200,000 features: \(g.large) s")
        #expect(g.large < 10 * max(g.small, 0.005), "\(g.small) s, then \(g.large) s")

        var random = SplitMix(state: 11)
        let binary = String(decoding: (0..<100_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }, as: UTF8.self)
        for text in ["x=" + binary, binary, "qemu64," + binary, "<cpu>" + binary] {
            do { _ = try GuestCPU.parse(text); Issue.record("binary input accepted") } catch {
                #expect(FuzzCheck.problem(with: error.description) == nil, "\(error.description.prefix(200))")
                #expect(error.description.utf8.count < FuzzCheck.maxMessageLength)
            }
        }
        // A feature 100,000 characters long is read; as an unknown name it costs no quadratic "did you mean".
        let long = try GuestCPU.parse("qemu64,+" + String(repeating: "a", count: 100_000))
        #expect(long.plus.first?.count == 100_000)
        let asked = ContinuousClock.now
        #expect(Suggestions.closest(to: long.plus[0], in: ["avx512f", String(repeating: "a", count: 99_990)]) == [])
        #expect(Suggestions.closest(to: "avx512", in: ["avx512f", String(repeating: "a", count: 99_990)]) == ["avx512f"])
        #expect(ContinuousClock.now - asked < .seconds(1))
    }

    @Test func limitsAreStated() {
        let many = "qemu64," + Array(repeating: "+pni", count: GuestCPU.maxFeatures + 1).joined(separator: ",")
        #expect(throws: HostCPUError.self) { try GuestCPU.parse(many) }
        do { _ = try GuestCPU.parse(many) } catch {
            #expect(error.message.hasSuffix(": more than 4096 features"))
            #expect(error.message.hasPrefix("\"qemu64,+pni,+pni"))
        }
        // Names are QEMU's: printable ASCII without spaces or commas, in both forms.
        for text in ["qemu64,+a b", "qemu64,-rtm\u{0}", "qemu64,x\ty=on", "<cpu><model>qemu64</model><feature name='a b'/></cpu>",
                     "<cpu><model>qem u64</model></cpu>", "caf\u{E9},+pni"] {
            do { _ = try GuestCPU.parse(text); Issue.record("\(text) read") } catch {
                #expect(error.message.hasSuffix("is not a CPU model or feature name (printable ASCII, no spaces or commas)"), "\(error)")
            }
        }
        let huge = String(repeating: "x", count: GuestCPU.maxLength + 1)
        do { _ = try GuestCPU.parse(huge); Issue.record("accepted") } catch {
            #expect(error.message == "a guest CPU of 4194305 bytes: longer than the limit of 4194304")
        }
    }
}
