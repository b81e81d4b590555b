import CLuaShim

/// The Lua release this runtime is linked against, e.g. `"5.4"`.
public let luaVersionString: String = LUA_VERSION_MAJOR + "." + LUA_VERSION_MINOR

/// The Lua release with its patch level, e.g. `"5.4.4"`.
public let luaReleaseString: String = luaVersionString + "." + LUA_VERSION_RELEASE

/// A Lua value copied out of (or to be pushed into) a Lua state.
///
/// Values are plain Swift data and may cross threads. Tables are deep copies; functions,
/// userdata and coroutines are carried as opaque ``LuaReference``s that keep the Lua object
/// alive in the registry until the reference is released.
public indirect enum LuaValue: Sendable, Hashable, CustomStringConvertible {
    /// Lua `nil`. In a table it means "absent".
    case `nil`
    /// A boolean.
    case boolean(Bool)
    /// A Lua integer (64-bit).
    case integer(Int64)
    /// A Lua float.
    case number(Double)
    /// A Lua string: arbitrary bytes (use ``LuaValue/stringValue`` for UTF-8 text).
    case string([UInt8])
    /// A table: its array part `1...n` and every other key.
    case table(LuaTable)
    /// `json.null`, the JSON null sentinel (a light userdata holding NULL).
    case null
    /// A function, userdata, coroutine or non-NULL light userdata, kept in the registry.
    case reference(LuaReference)

    /// A Lua string from UTF-8 text.
    public init(_ text: String) { self = .string(Array(text.utf8)) }

    /// The string as UTF-8 text (invalid sequences repaired), or `nil` if not a string.
    public var stringValue: String? {
        if case .string(let b) = self { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    /// The integer value, also for floats with an exact integer value.
    public var intValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    /// The numeric value as a Double (integers converted).
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The boolean value if this is a boolean.
    public var boolValue: Bool? {
        if case .boolean(let b) = self { return b }
        return nil
    }

    /// The table if this is a table.
    public var tableValue: LuaTable? {
        if case .table(let t) = self { return t }
        return nil
    }

    /// `true` for `nil` and `false`, like Lua's truthiness rule reversed.
    public var isFalsy: Bool {
        switch self {
        case .nil, .boolean(false): return true
        default: return false
        }
    }

    /// Field lookup on a table value (`nil` when not a table or absent).
    public subscript(key: String) -> LuaValue {
        tableValue?[key] ?? .nil
    }

    /// Array element lookup on a table value, 1-based (`nil` when absent).
    public subscript(index: Int) -> LuaValue {
        tableValue?[index] ?? .nil
    }

    /// A readable rendering for diagnostics and tests.
    public var description: String {
        switch self {
        case .nil: return "nil"
        case .boolean(let b): return String(b)
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .string: return "\"" + (stringValue ?? "") + "\""
        case .table(let t): return t.description
        case .null: return "json.null"
        case .reference(let r): return "<\(r.kind)>"
        }
    }
}

extension LuaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// A string literal becomes a Lua string.
    public init(stringLiteral value: String) { self.init(value) }
    /// An integer literal becomes a Lua integer.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A float literal becomes a Lua float.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A boolean literal becomes a Lua boolean.
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    /// `nil` becomes Lua nil.
    public init(nilLiteral: ()) { self = .nil }
    /// An array literal becomes a sequence table.
    public init(arrayLiteral elements: LuaValue...) { self = .table(LuaTable(array: elements)) }
    /// A dictionary literal becomes a table with those keys.
    public init(dictionaryLiteral elements: (LuaValue, LuaValue)...) {
        var t = LuaTable()
        for (k, v) in elements { t[k] = v }
        self = .table(t)
    }
}

/// A deep copy of a Lua table.
///
/// `array` holds `t[1] ... t[n]` for the longest run of non-nil values starting at 1; every other
/// key is in `hash`. Integer and float keys stay distinct as Lua keeps them (`t[1]` and `t[1.5]`).
/// `metatableName` is the `__name` of the table's metatable, if any (`"json.object"` marks an
/// empty JSON object, `"pc.Error"` a structured error); pushing the table back attaches the
/// metatable registered under that name.
public struct LuaTable: Sendable, Hashable, CustomStringConvertible {
    /// Values at keys 1...array.count.
    public var array: [LuaValue]
    /// All other keys.
    public var hash: [LuaValue: LuaValue]
    /// `__name` of the metatable (see the type's documentation).
    public var metatableName: String?

    /// Creates a table from its parts.
    public init(array: [LuaValue] = [], hash: [LuaValue: LuaValue] = [:], metatableName: String? = nil) {
        self.array = array
        self.hash = hash
        self.metatableName = metatableName
    }

    /// Creates a table with string keys.
    public init(fields: [String: LuaValue], metatableName: String? = nil) {
        var h: [LuaValue: LuaValue] = [:]
        for (k, v) in fields where v != .nil { h[LuaValue(k)] = v }
        self.init(array: [], hash: h, metatableName: metatableName)
    }

    /// `true` when the table has no entries.
    public var isEmpty: Bool { array.isEmpty && hash.isEmpty }

    /// Number of entries (array and hash).
    public var count: Int { array.count + hash.count }

    /// Reads or writes any key; assigning `.nil` removes it. Keys that are floats with an
    /// integral value are normalised to integers, as Lua does.
    public subscript(key: LuaValue) -> LuaValue {
        get {
            let k = Self.normalise(key)
            if case .integer(let i) = k, i >= 1, i <= Int64(array.count) { return array[Int(i - 1)] }
            return hash[k] ?? .nil
        }
        set {
            let k = Self.normalise(key)
            if case .nil = k { return }
            if case .integer(let i) = k, i >= 1, i <= Int64(array.count) {
                if case .nil = newValue {
                    // cut the array part at the hole; move the tail to the hash part
                    let idx = Int(i - 1)
                    for j in (idx + 1)..<array.count { hash[.integer(Int64(j + 1))] = array[j] }
                    array.removeSubrange(idx...)
                } else {
                    array[Int(i - 1)] = newValue
                }
                return
            }
            if case .integer(let i) = k, i == Int64(array.count) + 1, newValue != .nil {
                array.append(newValue)
                hash[k] = nil
                // pull following keys from the hash part
                var next = Int64(array.count) + 1
                while let v = hash.removeValue(forKey: .integer(next)) {
                    array.append(v)
                    next += 1
                }
                return
            }
            if case .nil = newValue { hash[k] = nil } else { hash[k] = newValue }
        }
    }

    /// Reads or writes a string key.
    public subscript(key: String) -> LuaValue {
        get { self[LuaValue(key)] }
        set { self[LuaValue(key)] = newValue }
    }

    /// Reads or writes an integer key (1-based like Lua).
    public subscript(index: Int) -> LuaValue {
        get { self[LuaValue.integer(Int64(index))] }
        set { self[LuaValue.integer(Int64(index))] = newValue }
    }

    static func normalise(_ key: LuaValue) -> LuaValue {
        if case .number(let d) = key, let i = Int64(exactly: d) { return .integer(i) }
        return key
    }

    /// A readable rendering (keys in no particular order).
    public var description: String {
        var parts = array.map { $0.description }
        for (k, v) in hash {
            if case .string = k { parts.append("\(k.stringValue ?? "")=\(v)") } else { parts.append("[\(k)]=\(v)") }
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}

/// An opaque handle on a Lua object (function, userdata, coroutine, light userdata) kept alive
/// in the registry of the VM that produced it.
///
/// Releasing the last Swift reference schedules the registry slot to be freed on the VM thread.
/// A reference is only meaningful to the VM that created it.
public final class LuaReference: Sendable, Hashable, CustomStringConvertible {
    /// What kind of Lua object this is: `"function"`, `"userdata"`, `"thread"`, `"lightuserdata"`.
    public let kind: String
    let ref: Int32
    let owner: LuaVMCoreBox

    init(kind: String, ref: Int32, owner: LuaVMCoreBox) {
        self.kind = kind
        self.ref = ref
        self.owner = owner
    }

    deinit { owner.core?.releaseRef(ref) }

    /// Identity equality.
    public static func == (a: LuaReference, b: LuaReference) -> Bool { a === b }
    /// Identity hash.
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
    /// `<function>` etc.
    public var description: String { "<\(kind)>" }
}

/// A weak box so references do not keep a VM alive.
final class LuaVMCoreBox: @unchecked Sendable {
    // Written once at VM creation and cleared at close, both under `lock`.
    private weak var _core: LuaVMCore?
    private let lock = Lock()
    init(_ core: LuaVMCore) { _core = core }
    var core: LuaVMCore? { lock.withLock { _core } }
    func clear() { lock.withLock { _core = nil } }
}
