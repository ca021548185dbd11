import Foundation
import HostCPU
import Testing

/// The XML reader on well-formed input, on cut input, and on hostile input.
@Suite struct BoundedXMLTests {
    static func parse(_ text: String, limits: BoundedXML.Limits = .init()) throws(BoundedXML.Error) -> BoundedXML.Element {
        try BoundedXML(limits: limits).parse(Array(text.utf8))
    }

    static func refusal(_ text: String, limits: BoundedXML.Limits = .init()) -> BoundedXML.Error? {
        do { _ = try parse(text, limits: limits); return nil } catch { return error }
    }

    @Test func readsElementsAttributesTextAndEntities() throws {
        let root = try Self.parse("""
            <?xml version="1.0"?>
            <!-- libvirt writes no comment, but XML allows them -->
            <qemuCaps>
              <emulator>/usr/bin/qemu-system-x86_64</emulator>
              <hostCPU type='kvm' model="base" migratability='yes'>
                <property name='model-id' type='string' value='Intel &amp; &lt;Co&gt; &apos;x&apos; &quot;y&quot; &#65;&#x42;'/>
              </hostCPU>
              <package>a &amp; b</package>
            </qemuCaps>

            """)
        #expect(root.name == "qemuCaps" && root.line == 3)
        #expect(root.children.map(\.name) == ["emulator", "hostCPU", "package"])
        #expect(root.child("emulator")?.text == "/usr/bin/qemu-system-x86_64")
        #expect(root.child("package")?.text == "a & b")
        let cpu = try #require(root.child("hostCPU"))
        #expect(cpu["type"] == "kvm" && cpu["model"] == "base" && cpu.line == 5)
        #expect(cpu.child("property")?["value"] == "Intel & <Co> 'x' \"y\" AB")
    }

    @Test(arguments: [
        ("<a><b></b>", "truncated: <a> (line 1) and 0 enclosing elements not closed"),
        ("<a><b x='1", "truncated: an attribute value is not closed"),
        ("<a><b x='1'", "truncated inside <b>"),
        ("<a></b>", "</b> closes <a> (line 1)"),
        ("<a/><b/>", "content after the root element </a>"),
        ("<a/>text", "content after the root element </a>"),
        ("", "empty file"),
        ("   ", "no root element"),
        ("hello", "text before the root element"),
        ("<a x='1' x='2'/>", "attribute x given twice"),
        ("<a x=1/>", "expected a quoted value"),
        ("<a x='<'/>", "'<' inside an attribute value"),
        ("<a>&nbsp;</a>", "unknown entity &nbsp; (only XML's predefined entities are read)"),
        ("<a>&amp</a>", "an unterminated '&' reference"),
        ("<a><![CDATA[x]]></a>", "a CDATA section is not accepted (libvirt writes none)"),
        ("<a><!-- open", "truncated: a comment is not closed"),
        ("<?xml version='1.0'", "truncated: a processing instruction is not closed"),
        ("<a>\u{0}</a>", "a NUL byte: binary data, not XML"),
        ("<1a/>", "expected a name"),
    ])
    func refusesBrokenDocumentsWithAReason(text: String, reason: String) {
        let error = Self.refusal(text)
        #expect(error?.message == reason, "\(text)")
    }

    /// Entity expansion ("billion laughs") and external entities need a DTD: none is read.
    @Test func refusesDTDsSoNoEntityCanExpand() {
        let laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <qemuCaps>&lol2;</qemuCaps>
            """
        let error = Self.refusal(laughs)
        #expect(error?.line == 2)
        #expect(error?.message == "a DOCTYPE is not accepted (libvirt writes none; its entities could expand without bound)")
        #expect(error?.description.hasPrefix("line 2: a DOCTYPE is not accepted") == true)
        let external = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><qemuCaps>&e;</qemuCaps>"
        #expect(Self.refusal(external)?.message.hasPrefix("a DOCTYPE is not accepted") == true)
        #expect(Self.refusal("<a><!ENTITY x 'y'></a>")?.message == "markup declaration not accepted inside <a>")
    }

    @Test func boundsEveryDimension() {
        var small = BoundedXML.Limits()
        small.maxDepth = 4
        #expect(Self.refusal("<a><b><c><d><e/></d></c></b></a>", limits: small)?.message == "elements nested deeper than 4")
        #expect(Self.refusal("<a><b><c><d/></c></b></a>", limits: small) == nil)
        small.maxElements = 3
        #expect(Self.refusal("<a><b/><c/><d/></a>", limits: small)?.message == "more than 3 elements")
        small.maxAttributes = 2
        #expect(Self.refusal("<a x='1' y='2' z='3'/>", limits: small)?.message == "more than 2 attributes on <a>")
        small.maxNameLength = 8
        #expect(Self.refusal("<abcdefghij/>", limits: small)?.message == "a name longer than 8 bytes")
        small.maxValueLength = 16
        #expect(Self.refusal("<a x='\(String(repeating: "v", count: 17))'/>", limits: small)?.message
                == "an attribute value longer than 16 bytes")
        #expect(Self.refusal("<a>\(String(repeating: "t", count: 17))</a>", limits: small)?.message == "text longer than 16 bytes in <a>")
        small.maxBytes = 10
        #expect(Self.refusal("<a>0123456789</a>", limits: small)?.message == "17 bytes: larger than 10, not a libvirt file")
        // Deep nesting at the default bound costs no stack: the reader is iterative.
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(Self.refusal(deep)?.message == "elements nested deeper than 32")
    }

    @Test func refusesInvalidUTF8AndShowsAnEscapedExcerpt() throws {
        let bytes: [UInt8] = Array("<a>".utf8) + [0xC3, 0x28] + Array("</a>".utf8)
        #expect(throws: BoundedXML.Error.self) { try BoundedXML().parse(bytes) }
        do { _ = try BoundedXML().parse(bytes) } catch {
            #expect(error.message == "not UTF-8 text")
        }
        let error = try #require(Self.refusal("<qemuCaps>\n  <version>7002000</version>\n  <arch>x86_64</ar\tch>\n</qemuCaps>"))
        #expect(error.line == 3)
        #expect(error.description == #"line 3: expected '>' after </ar (at "86_64</ar\tch>\n</qemuCaps>")"#)
    }
}
