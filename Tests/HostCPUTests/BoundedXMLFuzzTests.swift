import Foundation
import HostCPU
import QCPUTestSupport
import Testing

/// The XML reader on mutated capabilities files: no trap, a one-line refusal with a short
/// escaped excerpt, the same tree from its own serialisation, time linear in the input.
@Suite struct BoundedXMLFuzzTests {
    /// The committed corpus.
    static let seeds: [[UInt8]] = FuzzCheck.seeds(in: "fuzz/corpus/xml", suffix: ".xml")
        + FuzzCheck.seeds(in: "fuzz/corpus/cpu", suffix: ".xml")
    /// libvirt's capabilities files when vendor/ has them (large: a few cases only).
    static let upstream = FuzzCheck.seeds(in: "vendor/libvirt-src/tests/qemucapabilitiesdata", suffix: "_x86_64.xml", limit: 1)

    static let tokens = ["<", ">", "/>", "</", "<a>", "</a>", "<!--", "-->", "<?", "?>", "<![CDATA[", "<!DOCTYPE x>", "&amp;",
                         "&#0;", "&#x110000;", "&#65;", "&bogus;", "&", "'", "\"", "=", " a='1'", "\u{FEFF}", "\u{0}", "\u{FF}"]

    /// `e` as XML text (attribute values and text escaped).
    static func serialize(_ e: BoundedXML.Element) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
                .replacingOccurrences(of: "\r", with: "&#13;")
        }
        let attributes = e.attributes.map { " \($0.name)=\"\(esc($0.value))\"" }.joined()
        // Text first, then the children: the reader keeps an element's own text as one string.
        return "<\(e.name)\(attributes)>\(esc(e.text))" + e.children.map(serialize).joined() + "</\(e.name)>"
    }

    @Test func mutatedDocumentsNeverTrapAndReparseFromTheirText() throws {
        #expect(Self.seeds.count >= 4)
        var mutator = Mutator(seed: FuzzCheck.seed(0x584D_4C00), tokens: Self.tokens, seeds: Self.seeds)
        var accepted = 0, refused = 0
        for n in 0..<1515 {
            let input = n < 1500 ? mutator.mutate(mutator.pick()) : Self.upstream.isEmpty ? [] : mutator.mutate(Self.upstream[0])
            do {
                let root = try BoundedXML().parse(input)
                accepted += 1
                let again = try BoundedXML().parse(Array(Self.serialize(root).utf8))
                #expect(again == root, "case \(n): the serialised tree reads back differently")
            } catch {
                refused += 1
                #expect(error.line >= 1, "case \(n)")
                #expect(error.excerpt.utf8.count <= 40 * 10 + 3, "case \(n): excerpt \(error.excerpt)")
                if let problem = FuzzCheck.problem(with: error.description) { Issue.record("case \(n): \(problem): \(error)") }
            }
        }
        #expect(accepted > 100 && refused > 100, "accepted \(accepted), refused \(refused)")
    }

    /// 200,000 unclosed or sibling elements are refused or read in well under `FuzzCheck.maxSeconds` (debug build),
    /// and 4 times as many take about 4 times as long.
    @Test func timeIsLinearInTheNumberOfElements() {
        var deep = BoundedXML.Limits()
        deep.maxDepth = 1 << 20
        let unclosed = FuzzCheck.growth(50_000, make: { Array(("<cpu>" + String(repeating: "<feature name='pni'>", count: $0)).utf8) },
                                        run: { _ = try? BoundedXML(limits: deep).parse($0) })
        #expect(unclosed.large < FuzzCheck.maxSeconds, "200,000 unclosed elements: \(unclosed.large) s")
        #expect(unclosed.large < 10 * max(unclosed.small, 0.005), "\(unclosed.small) s, then \(unclosed.large) s")
        let siblings = FuzzCheck.growth(50_000, make: { Array(("<cpu>" + String(repeating: "<feature name='pni'/>", count: $0) + "</cpu>").utf8) },
                                        run: { _ = try? BoundedXML().parse($0) })
        #expect(siblings.large < FuzzCheck.maxSeconds, "200,000 sibling elements: \(siblings.large) s")
        #expect(siblings.large < 10 * max(siblings.small, 0.005), "\(siblings.small) s, then \(siblings.large) s")
        // With the default depth limit the unclosed document is refused at the 33rd level.
        #expect(throws: BoundedXML.Error.self) { try BoundedXML().parse(Array(("<cpu>" + String(repeating: "<feature>", count: 200_000)).utf8)) }
    }
}
