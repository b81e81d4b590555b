import Foundation
import PartnerCenterModels

/// A value for one parameter of a declared operation.
public enum ArgumentValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral {
    /// Text (ids, enums, dates).
    case string(String)
    /// A whole number.
    case integer(Int64)
    /// A boolean.
    case boolean(Bool)
    /// A JSON document (a request body).
    case json(Data)

    /// Creates a string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// Creates an integer value.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// Creates a boolean value.
    public init(booleanLiteral value: Bool) { self = .boolean(value) }

    /// The value as query text.
    var queryText: String? {
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .boolean(let b): return b ? "true" : "false"
        case .json: return nil
        }
    }
}

/// Arguments of a declared operation, by parameter Lua name (`customer_id`), plus the body under
/// the body's Lua name (`cart`).
public typealias OperationArguments = [String: ArgumentValue]

extension PartnerCenterRequest {
    /// The longest identifier accepted in a path (Partner Center's ids are at most a few dozen characters).
    public static let maxIdentifierBytes = 256
    /// The longest query value accepted.
    public static let maxQueryValueBytes = 4096
    /// The largest request body accepted (Partner Center's bodies are a few kilobytes).
    public static let maxBodyBytes = 4 << 20

    /// Builds the request for a declared operation: fills the path template, adds the declared
    /// query parameters (defaults included) in declaration order, attaches the body.
    /// - Parameters:
    ///   - operation: the declaration.
    ///   - arguments: values by Lua name.
    ///   - caller: how the caller names the operation in errors (`pc.carts.get`); defaults to its name.
    /// - Throws: ``PartnerCenterError`` `invalid_argument` (never sent) for an unknown name, a missing
    ///   required value, an identifier that is empty, too long or contains spaces, `/`, `?`, `#` or
    ///   `%`, a value of the wrong kind, or a body that is missing, not JSON or too large.
    public init(_ operation: APIOperation, _ arguments: OperationArguments, caller: String? = nil) throws {
        let label = caller ?? operation.name
        try Self.rejectUnknown(operation, arguments, label: label)
        var path = ""
        for segment in operation.path.split(separator: "/") {
            let text = String(segment)
            if text.hasPrefix("{"), text.hasSuffix("}"), let parameter = operation.parameter(String(text.dropFirst().dropLast())) {
                path += "/" + Self.encodeSegment(try Self.identifier(parameter, arguments[parameter.lua], label: label))
            } else {
                path += "/" + text
            }
        }
        var items: [QueryItem] = []
        for parameter in operation.parameters where parameter.location == .query {
            if let value = try Self.queryValue(parameter, arguments[parameter.lua], label: label) {
                items.append(QueryItem(parameter.wire, value))
            }
        }
        self.init(operation: operation.name, method: operation.method, path: path, query: items,
                  body: try Self.body(operation, arguments, label: label))
        if case .document(let mediaType) = operation.response { accept = mediaType + ", application/json" }
    }

    static func argumentError(_ label: String, _ message: String, hint: String? = nil) -> PartnerCenterError {
        var error = PartnerCenterError(category: .invalidArgument, message: "\(label): \(message)", hint: hint)
        error.notSent = true
        return error
    }

    private static func rejectUnknown(_ operation: APIOperation, _ arguments: OperationArguments, label: String) throws {
        let known = operation.parameters.map(\.lua) + (operation.body.map { [$0.lua] } ?? [])
        for name in arguments.keys.sorted() where !known.contains(name) {
            let options = operation.parameters.filter { !$0.positional }.map(\.lua).sorted()
            let suggestion = closestName(to: name, in: known).map { " — did you mean '\($0)'?" } ?? ""
            throw argumentError(label, "unknown option '\(name)'\(suggestion) (options: \(options.isEmpty ? "none" : options.joined(separator: ", ")))")
        }
    }

    private static func identifier(_ parameter: APIOperation.Parameter, _ value: ArgumentValue?, label: String) throws -> String {
        guard case .string(let text)? = value else {
            throw argumentError(label, "\(parameter.lua) must be a non-empty id string without spaces or '/', got \(describe(value))")
        }
        let bad = text.isEmpty || text.utf8.count > maxIdentifierBytes
            || text.unicodeScalars.contains { CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0)
                || "/?#%".unicodeScalars.contains($0) }
        if bad {
            throw argumentError(label, "\(parameter.lua) must be a non-empty id string without spaces or '/' (at most \(maxIdentifierBytes) bytes), got \(describe(value))")
        }
        return text
    }

    private static func queryValue(_ parameter: APIOperation.Parameter, _ value: ArgumentValue?, label: String) throws -> String? {
        guard let value else {
            if parameter.required && parameter.defaultValue == nil { throw argumentError(label, "missing required option '\(parameter.lua)'") }
            return parameter.defaultValue
        }
        switch (parameter.kind, value) {
        case (.integer, .integer), (.boolean, .boolean), (.string, .string): break
        case (.id, .string): return try identifier(parameter, value, label: label)
        case (.country, .string(let code)):
            guard code.count == 2, code.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.letters.contains($0) }) else {
                throw argumentError(label, "\(parameter.lua) must be an ISO alpha-2 code such as \"US\", got \(describe(value))")
            }
            return code.uppercased()
        default:
            throw argumentError(label, "option '\(parameter.lua)' must be \(article(parameter.kind)), got \(describe(value))")
        }
        let text = value.queryText ?? ""
        guard text.utf8.count <= maxQueryValueBytes else {
            throw argumentError(label, "option '\(parameter.lua)' is \(text.utf8.count) bytes long, more than the \(maxQueryValueBytes) accepted")
        }
        return text
    }

    private static func body(_ operation: APIOperation, _ arguments: OperationArguments, label: String) throws -> Data? {
        guard let body = operation.body else { return nil }
        guard case .json(let data)? = arguments[body.lua] else {
            throw argumentError(label, "\(body.lua) must be a table (the \(body.model) to send), got \(describe(arguments[body.lua]))")
        }
        guard data.count <= maxBodyBytes else {
            throw argumentError(label, "\(body.lua) is \(data.count) bytes of JSON, more than the \(maxBodyBytes >> 20) MiB accepted")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            if let member = body.nonEmpty { throw argumentError(label, "\(body.lua) must be a table with a non-empty \(member) array") }
            throw argumentError(label, "\(body.lua) must be a JSON object (the \(body.model) to send)")
        }
        if let member = body.nonEmpty {
            let value = object.first { $0.key.caseInsensitiveCompare(member) == .orderedSame }?.value
            guard let array = value as? [Any], !array.isEmpty else {
                throw argumentError(label, "\(body.lua) must be a table with a non-empty \(member) array")
            }
        }
        return data
    }

    private static func article(_ kind: APIOperation.Parameter.Kind) -> String {
        switch kind {
        case .id: return "an id string"
        case .string: return "a string"
        case .integer: return "an integer"
        case .boolean: return "a boolean"
        case .country: return "an ISO alpha-2 code"
        }
    }

    /// `"abc"`, `an integer`, `nothing`: how a bad value reads in an error (strings quoted, cut at 64 characters).
    static func describe(_ value: ArgumentValue?) -> String {
        switch value {
        case nil: return "nil"
        case .string(let s):
            let cut = s.count > 64 ? String(s.prefix(64)) + "…" : s
            return "\"" + cut.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined() + "\""
        case .integer: return "integer"
        case .boolean: return "boolean"
        case .json: return "table"
        }
    }

    /// The declared operation this request was made from, if any.
    public var declaration: APIOperation? { OperationCatalog.named(operation) }
}

/// The name in `candidates` closest to `name` (edit distance at most a third of its length, at
/// least 2; 1 for a name of 4 characters or fewer, so `foo` does not suggest `log`).
public func closestName(to name: String, in candidates: [String]) -> String? {
    let limit = name.count <= 4 ? 1 : max(2, name.count / 3)
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(name.lowercased(), candidate.lowercased())
        if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
    }
    return best?.0
}

/// Edit distance between two strings (by Unicode scalar): insertions, deletions, substitutions
/// and swaps of neighbours (`rnu` → `run`) each count 1.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var before = Array(repeating: 0, count: y.count + 1) // the row two back, for swaps
    var previous = Array(0...y.count)
    var current = previous
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { current[j] = min(current[j], before[j - 2] + 1) }
        }
        (before, previous, current) = (previous, current, before)
    }
    return previous[y.count]
}
