/// A JSON value as QMP speaks it, with numbers kept as their exact literal text.
///
/// QEMU prints 64-bit unsigned properties (`lbr-fmt` is 18446744073709551552), which neither
/// `Int` nor `Double` carry exactly, so a number keeps the digits QEMU sent. Objects keep their
/// members in a dictionary; ``canonicalText`` writes them with sorted keys, so equal values
/// always serialise to equal bytes.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, as the literal text QEMU printed (`6`, `-1`, `18446744073709551552`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string payload, or nil.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean payload, or nil.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number as an `Int`, or nil when it is not a number or does not fit.
    public var intValue: Int? {
        if case .number(let n) = self { return Int(n) }
        return nil
    }

    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The members of an object, or nil.
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// Creates a number value from an integer.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A short name of the value's kind: `bool`, `number`, `string`, `array`, `object` or `null`.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    /// Creates a string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// Creates a boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// Creates a number value.
    public init(integerLiteral value: Int) { self = .number(String(value)) }
}

extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    /// Creates an object value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    /// Creates an array value.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}
