import Foundation
import GRDB
import QMP

/// A value in a snapshot file that is not what the schema or qcpu's invariants say; the reader
/// turns it into a ``SnapshotError`` (``SnapshotError/Code/corrupt``) naming the file.
struct BadData: Error, Sendable {
    /// What is wrong and where (table, row, column), one line.
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Checked reads of the values of one row of a snapshot file: every column is decoded from its
/// `DatabaseValue` without GRDB's trapping subscripts, and a NULL, a value of the wrong type or
/// out of range is refused with the table, row and column.
struct StoredRow {
    /// The columns of a statement by name, looked up once per statement (GRDB's own lookup
    /// lowercases every name it compares, for every value).
    final class Columns: Sendable {
        let index: [String: Int]
        init(_ names: [String]) {
            var index: [String: Int] = [:]
            for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
            self.index = index
        }
    }

    let row: Row
    let columns: Columns
    /// Where the row is (`table model, id 12`), for the messages; built only on failure.
    let place: () -> String

    private init(_ row: Row, _ columns: Columns, _ place: @escaping () -> String) {
        self.row = row
        self.columns = columns
        self.place = place
    }

    /// The same row, described as `place`.
    func at(_ place: @autoclosure @escaping () -> String) -> StoredRow { StoredRow(row, columns, place) }

    /// Every row of `sql`.
    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [StoredRow] {
        try fetchAll(try db.makeStatement(sql: sql), arguments: arguments)
    }

    /// Every row of `statement`.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [StoredRow] {
        let columns = Columns(statement.columnNames)
        return try Row.fetchAll(statement, arguments: arguments).map { StoredRow($0, columns, { "a row" }) }
    }

    /// The first row of `sql`, if any.
    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> StoredRow? {
        try fetchOne(try db.makeStatement(sql: sql), arguments: arguments)
    }

    /// The first row of `statement`, if any.
    static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> StoredRow? {
        let columns = Columns(statement.columnNames)
        return try Row.fetchOne(statement, arguments: arguments).map { StoredRow($0, columns, { "a row" }) }
    }

    private func value(_ column: String) throws(BadData) -> DatabaseValue {
        guard let i = columns.index[column], let v = try? row.decode(DatabaseValue.self, atIndex: i) else {
            throw BadData("\(place()): no column \(column)")
        }
        return v
    }

    /// Text; NULL and other types are refused.
    func text(_ column: String) throws(BadData) -> String {
        guard let s = try optionalText(column) else { throw BadData("\(place()): \(column) is NULL") }
        return s
    }

    /// Text or NULL.
    func optionalText(_ column: String) throws(BadData) -> String? {
        switch try value(column).storage {
        case .null: return nil
        case .string(let s): return s
        default: throw BadData("\(place()): \(column) is not text")
        }
    }

    /// An integer in `range`; NULL and other types are refused.
    func integer(_ column: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(BadData) -> Int {
        guard let v = try optionalInteger(column, in: range) else { throw BadData("\(place()): \(column) is NULL") }
        return v
    }

    /// An integer in `range`, or NULL.
    func optionalInteger(_ column: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(BadData) -> Int? {
        switch try value(column).storage {
        case .null: return nil
        case .int64(let v):
            guard range.contains(v), let i = Int(exactly: v) else { throw BadData("\(place()): \(column) \(v) is out of range") }
            return i
        default: throw BadData("\(place()): \(column) is not an integer")
        }
    }

    /// A row id (1 or more).
    func id(_ column: String) throws(BadData) -> Int { try integer(column, in: 1...Int64.max) }

    /// A row id, or NULL.
    func optionalID(_ column: String) throws(BadData) -> Int? { try optionalInteger(column, in: 1...Int64.max) }

    /// A 0/1 flag.
    func flag(_ column: String) throws(BadData) -> Bool { try integer(column, in: 0...1) == 1 }

    /// A 0/1 flag, or NULL.
    func optionalFlag(_ column: String) throws(BadData) -> Bool? { try optionalInteger(column, in: 0...1).map { $0 == 1 } }

    /// A JSON text, parsed.
    func json(_ column: String) throws(BadData) -> JSONValue { try StoredJSON.parse(try text(column), "\(place()): \(column)") }

    /// A JSON array of strings (the lists qcpu stores); anything else, a truncated array
    /// included, is refused.
    func strings(_ column: String) throws(BadData) -> [String] {
        try StoredJSON.strings(try json(column), "\(place()): \(column)")
    }
}

/// Checked decoding of the JSON texts a snapshot stores.
public enum StoredJSON {
    /// Parses `text`; `place` names it in the error.
    static func parse(_ text: String, _ place: @autoclosure () -> String) throws(BadData) -> JSONValue {
        do { return try JSONParser.parse(text) } catch {
            throw BadData("\(place()) is not valid JSON (\(oneLine("\(error)")))")
        }
    }

    /// The strings of a JSON array of strings; nil for anything else.
    public static func strings(_ value: JSONValue) -> [String]? {
        guard let array = value.arrayValue else { return nil }
        var out: [String] = []
        out.reserveCapacity(array.count)
        for v in array {
            guard let s = v.stringValue else { return nil }
            out.append(s)
        }
        return out
    }

    /// The strings of a JSON array of strings; anything else is refused.
    static func strings(_ value: JSONValue, _ place: @autoclosure () -> String) throws(BadData) -> [String] {
        guard let s = strings(value) else { throw BadData("\(place()) is not a JSON array of strings") }
        return s
    }

    /// `text` on one line, at most `limit` characters: what errors quote of file data.
    static func oneLine(_ text: String, limit: Int = 160) -> String {
        let flat = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit)) + "..." : flat
    }
}

/// Values decoded once per id while a whole table is read (feature lists many rows share).
final class DecodeCache<Value> {
    var values: [Int: Value] = [:]
}
