import QMP
import Testing

@Suite struct JSONParserTests {
    @Test func keepsUnsigned64BitNumbersExactly() throws {
        let value = try JSONParser.parse(#"{"lbr-fmt": 18446744073709551552, "core-id": -1, "f": 1.5e3}"#)
        #expect(value["lbr-fmt"] == .number("18446744073709551552"))
        #expect(value["core-id"]?.intValue == -1)
        #expect(value["f"] == .number("1.5e3"))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\n", "\u00e9", "\ud83d\ude00", "\/"]"#)
        #expect(value == ["a\"b\\c\n", "é", "😀", "/"])
    }

    @Test(arguments: [
        ("", "unexpected end of input"),
        ("{\"a\": 1} x", "trailing characters"),
        ("{\"a\" 1}", "expected ':'"),
        ("[1, 2", "unterminated array"),
        ("\"abc", "unterminated string"),
        ("tru", "unexpected end of input"),
        ("-", "invalid number"),
        ("{\"a\": \"\\ud800\"}", "unpaired surrogate"),
    ])
    func rejectsMalformedText(text: String, message: String) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { error in
            (error as? JSONParser.SyntaxError)?.message == message
        }
    }

    @Test func canonicalTextSortsKeysAndRoundTrips() throws {
        let text = #"{"b": [true, null, "x"], "a": {"d": 2, "c": 1}}"#
        let value = try JSONParser.parse(text)
        #expect(value.canonicalText == #"{"a":{"c":1,"d":2},"b":[true,null,"x"]}"#)
        #expect(try JSONParser.parse(value.canonicalText) == value)
    }

    @Test func prettyTextMatchesPythonIndentLayout() throws {
        let value = try JSONParser.parse(#"{"id": "libvirt-1", "return": {"a": [], "b": [1]}}"#)
        #expect(value.prettyText == """
            {
              "id": "libvirt-1",
              "return": {
                "a": [],
                "b": [
                  1
                ]
              }
            }
            """)
    }
}
