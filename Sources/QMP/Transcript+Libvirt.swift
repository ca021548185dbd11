extension Transcript {
    /// The text in the layout of libvirt's `tests/qemucapabilitiesdata/*.replies`: top-level keys
    /// in libvirt's order (`execute`, `arguments`, `id`; `return` or `error`, `id`), empty objects
    /// and arrays split over two lines as libvirt prints them, 2-space indent, one empty line
    /// between objects. Nested keys are sorted (QEMU's own order is not kept by ``JSONValue``).
    public var libvirtText: String {
        var out: [UInt8] = []
        for (i, e) in exchanges.enumerated() {
            if i > 0 { out.append(contentsOf: [0x0A, 0x0A]) }
            Self.writeLibvirt(e.command, to: &out, level: 0, order: ["execute", "arguments", "id"])
            out.append(contentsOf: [0x0A, 0x0A])
            Self.writeLibvirt(e.reply, to: &out, level: 0, order: ["return", "error", "id"])
        }
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    /// The exchanges cut into QEMU processes: a new one starts at every `qmp_capabilities`.
    /// Exchanges before the first `qmp_capabilities` form a process of their own.
    public var processes: [Transcript] {
        var result: [Transcript] = []
        for e in exchanges {
            if e.command["execute"]?.stringValue == "qmp_capabilities" || result.isEmpty {
                result.append(Transcript())
            }
            result[result.count - 1].exchanges.append(e)
        }
        return result
    }

    private static func writeLibvirt(_ value: JSONValue, to out: inout [UInt8], level: Int, order: [String] = []) {
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeLibvirt(item, to: &out, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            let first = order.filter { members[$0] != nil }
            let keys = first + members.keys.filter { !first.contains($0) }.sorted()
            out.append(UInt8(ascii: "{"))
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                JSONValue.writeString(key, to: &out)
                out.append(contentsOf: ": ".utf8)
                writeLibvirt(members[key]!, to: &out, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            value.write(to: &out, indent: 2, level: level)
        }
    }
}
