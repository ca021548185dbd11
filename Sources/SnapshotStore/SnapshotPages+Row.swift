/// One page of an SQLite file, with checked reads of its numbers.
struct Page {
    /// The whole file, or this page alone.
    let buffer: [UInt8]
    /// Where the page starts in ``buffer``, and its size.
    let base: Int, size: Int
    let number: Int
    let path: String

    /// The page's bytes.
    var bytes: ArraySlice<UInt8> { buffer[base..<(base + size)] }

    private func corrupt() -> SnapshotError {
        SnapshotError(.corrupt, path: path, "malformed SQLite file: page \(number) is cut short")
    }

    func byte(_ at: Int) throws(SnapshotError) -> UInt8 {
        guard at >= 0, at < size else { throw corrupt() }
        return buffer[base + at]
    }

    func u16(_ at: Int) throws(SnapshotError) -> Int {
        guard at >= 0, at + 2 <= size else { throw corrupt() }
        return Int(buffer[base + at]) << 8 | Int(buffer[base + at + 1])
    }

    func u32(_ at: Int) throws(SnapshotError) -> Int {
        guard at >= 0, at + 4 <= size else { throw corrupt() }
        let i = base + at
        return Int(buffer[i]) << 24 | Int(buffer[i + 1]) << 16 | Int(buffer[i + 2]) << 8 | Int(buffer[i + 3])
    }

    func varint(_ at: Int) throws(SnapshotError) -> (value: Int64, length: Int) {
        guard at >= 0, let v = Varint.read(buffer, base + at, end: base + size) else { throw corrupt() }
        return v
    }

    func slice(_ at: Int, _ count: Int) throws(SnapshotError) -> ArraySlice<UInt8> {
        guard at >= 0, count >= 0, at + count <= size else { throw corrupt() }
        return buffer[(base + at)..<(base + at + count)]
    }
}

/// SQLite's variable-length integers.
enum Varint {
    static func read(_ bytes: [UInt8], _ at: Int, end: Int) -> (value: Int64, length: Int)? {
        var value: UInt64 = 0
        for i in 0..<9 {
            guard at + i >= 0, at + i < end else { return nil }
            let b = bytes[at + i]
            if i == 8 { return (Int64(bitPattern: value << 8 | UInt64(b)), 9) }
            value = value << 7 | UInt64(b & 0x7F)
            if b & 0x80 == 0 { return (Int64(bitPattern: value), i + 1) }
        }
        return nil
    }
}

extension SnapshotPages {
    /// One row of a table: its rowid (tables with one) and its columns, decoded on demand.
    public struct Row {
        /// The rowid, for rowid tables (for `INTEGER PRIMARY KEY` tables, column 0 is NULL and
        /// this is the id).
        public let rowid: Int64?
        private let bytes: [UInt8]
        private let path: String
        /// Where the serial types start and end, and where the values start.
        private let typesStart: Int, typesEnd: Int, valuesStart: Int
        /// The number of columns stored.
        public let count: Int

        init(bytes: [UInt8], start: Int, end: Int, rowid: Int64?, path: String) throws(SnapshotError) {
            self.bytes = bytes
            self.rowid = rowid
            self.path = path
            guard let h = Varint.read(bytes, start, end: end), h.value >= Int64(h.length), h.value <= Int64(end - start) else {
                throw SnapshotError(.corrupt, path: path, "malformed SQLite file: bad record header")
            }
            typesStart = start + h.length
            typesEnd = start + Int(h.value)
            valuesStart = typesEnd
            // Check every column once, so that reading one never runs past the record.
            var at = typesStart, body = valuesStart, n = 0
            while at < typesEnd {
                guard let t = Varint.read(bytes, at, end: typesEnd), t.value >= 0, t.value != 10, t.value != 11,
                      t.value < Int64(Int32.max) else {
                    throw SnapshotError(.corrupt, path: path, "malformed SQLite file: bad column type")
                }
                body += Self.size(t.value)
                at += t.length
                n += 1
            }
            guard body <= end else { throw SnapshotError(.corrupt, path: path, "malformed SQLite file: record runs past its cell") }
            count = n
        }

        /// The serial type and value offset of column `i` (nil when absent).
        private func column(_ i: Int) -> (type: Int64, at: Int)? {
            guard i >= 0, i < count else { return nil }
            var at = typesStart, body = valuesStart
            for k in 0...i {
                let t = Varint.read(bytes, at, end: typesEnd)!  // checked in init
                if k == i { return (t.value, body) }
                body += Self.size(t.value)
                at += t.length
            }
            return nil
        }

        private static func size(_ type: Int64) -> Int {
            switch type {
            case 0, 8, 9: return 0
            case 1...4: return Int(type)
            case 5: return 6
            case 6, 7: return 8
            default: return Int((type - 12) / 2)
            }
        }

        /// Whether column `i` is NULL (or absent).
        public func isNull(_ i: Int) -> Bool { column(i).map { $0.type == 0 } ?? true }

        /// Column `i` as text; nil when NULL.
        public func text(_ i: Int) throws(SnapshotError) -> String? {
            try textBytes(i).map { String(decoding: $0, as: UTF8.self) }
        }

        /// Column `i`'s raw text bytes (no copy of a String); nil when NULL.
        public func textBytes(_ i: Int) throws(SnapshotError) -> ArraySlice<UInt8>? {
            guard let (t, at) = column(i), t != 0 else { return nil }
            guard t >= 13, t % 2 == 1 else { throw SnapshotError(.corrupt, path: path, "column \(i) is not text") }
            return bytes[at..<(at + Self.size(t))]
        }

        /// Whether column `i` is the text `s`.
        public func isText(_ i: Int, _ s: StaticString) -> Bool {
            guard let bytes = try? textBytes(i) else { return false }
            return s.withUTF8Buffer { bytes.elementsEqual($0) }
        }

        /// Column `i` as an integer; nil when NULL.
        public func integer(_ i: Int) throws(SnapshotError) -> Int64? {
            guard let (t, at) = column(i), t != 0 else { return nil }
            switch t {
            case 8: return 0
            case 9: return 1
            case 1...6:
                var v: Int64 = Int64(Int8(bitPattern: bytes[at]))
                for k in 1..<Self.size(t) { v = v << 8 | Int64(bytes[at + k]) }
                return v
            default: throw SnapshotError(.corrupt, path: path, "column \(i) is not an integer")
            }
        }
    }
}
