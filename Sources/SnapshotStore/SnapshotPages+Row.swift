/// One page of an SQLite file, with checked reads of its numbers.
struct Page {
    let bytes: [UInt8]
    let number: Int
    let path: String

    private func corrupt() -> SnapshotError {
        SnapshotError(.corrupt, path: path, "malformed SQLite file: page \(number) is cut short")
    }

    func byte(_ at: Int) throws(SnapshotError) -> UInt8 {
        guard at >= 0, at < bytes.count else { throw corrupt() }
        return bytes[at]
    }

    func u16(_ at: Int) throws(SnapshotError) -> Int {
        guard at >= 0, at + 2 <= bytes.count else { throw corrupt() }
        return Int(bytes[at]) << 8 | Int(bytes[at + 1])
    }

    func u32(_ at: Int) throws(SnapshotError) -> Int {
        guard at >= 0, at + 4 <= bytes.count else { throw corrupt() }
        return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }

    func varint(_ at: Int) throws(SnapshotError) -> (value: Int64, length: Int) {
        guard let v = Varint.read(bytes, at, end: bytes.count) else { throw corrupt() }
        return v
    }

    func slice(_ at: Int, _ count: Int) throws(SnapshotError) -> ArraySlice<UInt8> {
        guard at >= 0, count >= 0, at + count <= bytes.count else { throw corrupt() }
        return bytes[at..<(at + count)]
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
        private var types: [Int64] = []
        private var offsets: [Int] = []
        private let end: Int

        init(bytes: [UInt8], start: Int, end: Int, rowid: Int64?, path: String) throws(SnapshotError) {
            self.bytes = bytes
            self.rowid = rowid
            self.path = path
            self.end = end
            guard let h = Varint.read(bytes, start, end: end), h.value >= Int64(h.length), start + Int(h.value) <= end else {
                throw SnapshotError(.corrupt, path: path, "malformed SQLite file: bad record header")
            }
            var at = start + h.length
            var body = start + Int(h.value)
            while at < start + Int(h.value) {
                guard let t = Varint.read(bytes, at, end: start + Int(h.value)), t.value >= 0, t.value != 10, t.value != 11 else {
                    throw SnapshotError(.corrupt, path: path, "malformed SQLite file: bad column type")
                }
                types.append(t.value)
                offsets.append(body)
                body += Self.size(t.value)
                at += t.length
            }
            guard body <= end else { throw SnapshotError(.corrupt, path: path, "malformed SQLite file: record runs past its cell") }
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

        /// The number of columns stored.
        public var count: Int { types.count }

        /// Whether column `i` is NULL (or absent).
        public func isNull(_ i: Int) -> Bool { i >= types.count || types[i] == 0 }

        /// Column `i` as text; nil when NULL.
        public func text(_ i: Int) throws(SnapshotError) -> String? {
            guard i < types.count, types[i] != 0 else { return nil }
            let t = types[i]
            guard t >= 13, t % 2 == 1 else { throw SnapshotError(.corrupt, path: path, "column \(i) is not text") }
            return String(decoding: bytes[offsets[i]..<(offsets[i] + Self.size(t))], as: UTF8.self)
        }

        /// Column `i`'s raw text bytes (no copy of a String); nil when NULL.
        public func textBytes(_ i: Int) throws(SnapshotError) -> ArraySlice<UInt8>? {
            guard i < types.count, types[i] != 0 else { return nil }
            let t = types[i]
            guard t >= 13, t % 2 == 1 else { throw SnapshotError(.corrupt, path: path, "column \(i) is not text") }
            return bytes[offsets[i]..<(offsets[i] + Self.size(t))]
        }

        /// Column `i` as an integer; nil when NULL.
        public func integer(_ i: Int) throws(SnapshotError) -> Int64? {
            guard i < types.count, types[i] != 0 else { return nil }
            let t = types[i]
            switch t {
            case 8: return 0
            case 9: return 1
            case 1...6:
                var v: Int64 = Int64(Int8(bitPattern: bytes[offsets[i]]))
                for k in 1..<Self.size(t) { v = v << 8 | Int64(bytes[offsets[i] + k]) }
                return v
            default: throw SnapshotError(.corrupt, path: path, "column \(i) is not an integer")
            }
        }
    }
}
