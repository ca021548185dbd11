import Foundation

/// Reads the tables of a snapshot file straight from its pages, without SQLite.
///
/// For reading thousands of small files (a fleet's host records): opening a file with SQLite
/// parses its whole schema, about 0.2 ms here, more than everything a fleet question needs
/// from the file. This reader checks the header as ``SnapshotHeader`` does, reads only the
/// pages it visits, and refuses malformed pages with ``SnapshotError/Code/corrupt`` (it never
/// traps on bad input). Read-only; the table layouts are those of ``SnapshotSchema``.
public final class SnapshotPages {
    /// The file.
    public let path: String
    /// The checked header.
    public let header: SnapshotHeader
    /// Root page of each table and index, by name (from `sqlite_schema`).
    public private(set) var roots: [String: Int] = [:]
    private let fd: Int32
    private let usable: Int
    /// The whole file, when small (one read); else pages are read one by one into ``cache``.
    private var whole: [UInt8]?
    private var cache: [[UInt8]?]

    /// Opens `path` and reads its schema; a file of up to `wholeFileLimit` bytes is read in one
    /// read, a larger one page by page as pages are visited.
    ///
    /// - Throws: ``SnapshotError``: what ``SnapshotHeader/check(path:)`` throws, or
    ///   ``SnapshotError/Code/corrupt`` for a malformed file or one missing a table.
    public init(path: String, wholeFileLimit: Int = SnapshotPages.wholeFileLimit) throws(SnapshotError) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw errno == ENOENT || errno == ENOTDIR ? SnapshotError(.notFound, path: path, "no such file")
                : SnapshotHeader.openError(path: path, errno: errno)
        }
        try SnapshotHeader.checkRegular(info.st_mode, path: path)
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw errno == ENOENT || errno == ENOTDIR ? SnapshotError(.notFound, path: path, "no such file")
                : SnapshotHeader.openError(path: path, errno: errno)
        }
        guard fstat(fd, &info) == 0 else {
            let error = SnapshotHeader.openError(path: path, errno: errno)
            close(fd)
            throw error
        }
        do throws(SnapshotError) { try SnapshotHeader.checkRegular(info.st_mode, path: path) } catch {
            close(fd)
            throw error
        }
        var first = [UInt8](repeating: 0, count: 100)
        let got = first.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 100, 0) }
        do throws(SnapshotError) {
            header = try SnapshotHeader.check(bytes: first.prefix(max(0, got)), size: Int(info.st_size), path: path)
            guard header.pageSize >= 512, header.pageSize.nonzeroBitCount == 1, first[56...59] == [0, 0, 0, 1] else {
                throw SnapshotError(.corrupt, path: path, "not a UTF-8 SQLite file with a valid page size")
            }
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        usable = header.pageSize - Int(first[20])
        let length = header.pageSize * header.pageCount
        cache = []
        if length <= wholeFileLimit {
            var got = 0
            let data = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                while got < length {
                    let n = pread(fd, buffer.baseAddress! + got, length - got, off_t(got))
                    if n <= 0 { break }
                    got += n
                }
                count = got
            }
            guard got == length else {
                close(fd)
                throw SnapshotError(.truncated, path: path, "truncated: cannot read \(length) bytes")
            }
            whole = data
        } else {
            cache = Array(repeating: nil, count: header.pageCount + 1)
        }
        try scan(root: 1) { (row) throws(SnapshotError) in
            if let name = try row.text(1), let root = try row.integer(3) { roots[name] = Int(root) }
        }
        let missing = Set(SnapshotSchema.tables).subtracting(roots.keys)
        if !missing.isEmpty {
            throw SnapshotError(.corrupt, path: path, "missing tables: \(missing.sorted().joined(separator: ", "))")
        }
    }

    deinit { close(fd) }

    /// Files up to this size are read whole, in one read; larger ones page by page.
    public static let wholeFileLimit = 4 << 20

    /// The root page of `table`.
    public func root(_ table: String) throws(SnapshotError) -> Int {
        guard let r = roots[table] else { throw corrupt("no table \(table)") }
        return r
    }

    /// Calls `body` with every row of the b-tree at `root` (a table or a WITHOUT ROWID table),
    /// in key order.
    public func scan(root: Int, _ body: (Row) throws(SnapshotError) -> Void) throws(SnapshotError) {
        var seen = [Bool](repeating: false, count: header.pageCount + 1)
        try walk(root, depth: 0, seen: &seen, body)
    }

    /// The row of rowid table `table` with `rowid`, or nil.
    public func row(_ table: String, rowid: Int64) throws(SnapshotError) -> Row? {
        var page = try root(table)
        for _ in 0..<32 {
            let p = try load(page)
            let h = page == 1 ? 100 : 0
            let kind = try p.byte(h)
            let cells = try p.u16(h + 3)
            if kind == 0x05 {
                var next = try p.u32(h + 8)
                var lo = 0, hi = cells
                while lo < hi {  // the first cell whose key is >= rowid
                    let mid = (lo + hi) / 2
                    let cell = try p.u16(h + 12 + 2 * mid)
                    if try p.varint(cell + 4).value < rowid { lo = mid + 1 } else { hi = mid }
                }
                if lo < cells { next = try p.u32(try p.u16(h + 12 + 2 * lo)) }
                page = next
                continue
            }
            guard kind == 0x0D else { throw corrupt("page \(page) is not a table page") }
            for i in 0..<cells {
                let cell = try p.u16(h + 8 + 2 * i)
                let size = try p.varint(cell), key = try p.varint(cell + size.length)
                if key.value == rowid {
                    return try payload(p, at: cell + size.length + key.length, size: size.value, index: false, rowid: key.value)
                }
            }
            return nil
        }
        throw corrupt("b-tree deeper than 32 levels")
    }

    /// Every page of the b-tree at `root` (overflow pages included), in a fixed order: equal
    /// page lists mean equal table content.
    public func treePages(root: Int) throws(SnapshotError) -> [ArraySlice<UInt8>] {
        var seen = [Bool](repeating: false, count: header.pageCount + 1)
        var pages: [ArraySlice<UInt8>] = []
        try appendPages(root, depth: 0, seen: &seen, to: &pages)
        return pages
    }

    // MARK: - Pages

    private func load(_ n: Int) throws(SnapshotError) -> Page {
        guard n >= 1, n <= header.pageCount else { throw corrupt("page \(n) out of range") }
        if let whole { return Page(buffer: whole, base: (n - 1) * header.pageSize, size: header.pageSize, number: n, path: path) }
        if let p = cache[n] { return Page(buffer: p, base: 0, size: p.count, number: n, path: path) }
        let size = header.pageSize, fd = fd
        var got = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            got = pread(fd, buffer.baseAddress, size, off_t((n - 1) * size))
            count = got == size ? size : 0
        }
        guard got == size else { throw SnapshotError(.truncated, path: path, "cannot read page \(n)") }
        cache[n] = bytes
        return Page(buffer: bytes, base: 0, size: size, number: n, path: path)
    }

    private func walk(_ page: Int, depth: Int, seen: inout [Bool],
                      _ body: (Row) throws(SnapshotError) -> Void) throws(SnapshotError) {
        guard depth < 32, page >= 1, page < seen.count, !seen[page] else { throw corrupt("b-tree loops at page \(page)") }
        seen[page] = true
        let p = try load(page)
        let h = page == 1 ? 100 : 0
        let kind = try p.byte(h)
        let cells = try p.u16(h + 3)
        switch kind {
        case 0x0D, 0x0A:
            for i in 0..<cells {
                let cell = try p.u16(h + 8 + 2 * i)
                let size = try p.varint(cell)
                if kind == 0x0D {
                    let key = try p.varint(cell + size.length)
                    try body(try payload(p, at: cell + size.length + key.length, size: size.value, index: false, rowid: key.value))
                } else {
                    try body(try payload(p, at: cell + size.length, size: size.value, index: true, rowid: nil))
                }
            }
        case 0x05, 0x02:
            for i in 0..<cells {
                let cell = try p.u16(h + 12 + 2 * i)
                try walk(try p.u32(cell), depth: depth + 1, seen: &seen, body)
                if kind == 0x02 {  // index interior cells hold entries of their own
                    let size = try p.varint(cell + 4)
                    try body(try payload(p, at: cell + 4 + size.length, size: size.value, index: true, rowid: nil))
                }
            }
            try walk(try p.u32(h + 8), depth: depth + 1, seen: &seen, body)
        default:
            throw corrupt("page \(page) is not a b-tree page")
        }
    }

    private func appendPages(_ page: Int, depth: Int, seen: inout [Bool], to bytes: inout [ArraySlice<UInt8>]) throws(SnapshotError) {
        guard depth < 32, page >= 1, page < seen.count, !seen[page] else { throw corrupt("b-tree loops at page \(page)") }
        seen[page] = true
        let p = try load(page)
        bytes.append(p.bytes)
        let h = page == 1 ? 100 : 0
        let kind = try p.byte(h)
        let cells = try p.u16(h + 3)
        guard [0x02, 0x05, 0x0A, 0x0D].contains(kind) else { throw corrupt("page \(page) is not a b-tree page") }
        if kind == 0x05 || kind == 0x02 {
            for i in 0..<cells { try appendPages(try p.u32(try p.u16(h + 12 + 2 * i)), depth: depth + 1, seen: &seen, to: &bytes) }
            try appendPages(try p.u32(h + 8), depth: depth + 1, seen: &seen, to: &bytes)
        }
        if kind != 0x05 {  // cells with payloads: follow overflow chains
            for i in 0..<cells {
                var cell = try p.u16(h + (kind == 0x02 ? 12 : 8) + 2 * i) + (kind == 0x02 ? 4 : 0)
                let size = try p.varint(cell)
                cell += size.length
                if kind == 0x0D { cell += try p.varint(cell).length }
                let local = localSize(size.value, index: kind != 0x0D)
                guard local < size.value else { continue }
                var next = try p.u32(cell + local)
                var pages = 0
                while next != 0 {
                    pages += 1
                    guard pages <= header.pageCount else { throw corrupt("overflow chain loops") }
                    let o = try load(next)
                    bytes.append(o.bytes)
                    next = try o.u32(0)
                }
            }
        }
    }

    /// How much of a payload of `size` bytes is on the b-tree page itself.
    private func localSize(_ size: Int64, index: Bool) -> Int {
        let u = Int64(usable)
        let maxLocal = index ? (u - 12) * 64 / 255 - 23 : u - 35
        guard size > maxLocal else { return Int(size) }
        let minLocal = (u - 12) * 32 / 255 - 23
        let k = minLocal + (size - minLocal) % (u - 4)
        return Int(k <= maxLocal ? k : minLocal)
    }

    private func payload(_ p: Page, at offset: Int, size: Int64, index: Bool, rowid: Int64?) throws(SnapshotError) -> Row {
        guard size >= 0, size <= Int64(header.pageSize) * Int64(header.pageCount) else { throw corrupt("bad payload size") }
        let local = localSize(size, index: index)
        guard local == Int(size) else {
            var bytes = Array(try p.slice(offset, local))
            var next = try p.u32(offset + local)
            while bytes.count < Int(size) {
                guard next != 0 else { throw corrupt("overflow chain ends early") }
                let o = try load(next)
                let take = min(usable - 4, Int(size) - bytes.count)
                bytes += try o.slice(4, take)
                next = try o.u32(0)
            }
            return try Row(bytes: bytes, start: 0, end: bytes.count, rowid: rowid, path: path)
        }
        guard offset + local <= usable else { throw corrupt("cell runs off page \(p.number)") }
        return try Row(bytes: p.buffer, start: p.base + offset, end: p.base + offset + local, rowid: rowid, path: path)
    }

    private func corrupt(_ what: String) -> SnapshotError {
        SnapshotError(.corrupt, path: path, "malformed SQLite file: \(what)")
    }
}
