import Foundation

/// A parsed pcx profile file: a small subset of TOML.
///
/// Supported: `# comments`, blank lines, table headers `[profile.NAME]` (NAME bare
/// `A-Za-z0-9_-` or a quoted string), and `key = value` lines where value is a basic string
/// (`"…"` with `\"`, `\\`, `\n`, `\t`, `\u` + four hex digits escapes), a literal string (`'…'`), an integer,
/// a float, `true`/`false`, or a one-line array of those. Anything else is an error naming the
/// file, the line and what was expected.
///
/// **Errors never echo a secret.** A key that names a credential (see ``isSecretKey(_:)``) never
/// has any part of its value in an error, on any path (unquoted, unterminated, bad escape, bad
/// array...), only the file, the line and the key. No error quotes a whole line; a key is quoted
/// only when it looks like a key name (a known profile key, lowercase letters with `_` and `-`,
/// or a secret-bearing name), so a secret pasted on a line of its own is not echoed either, and
/// a value only when its key is not secret-bearing and the value is short.
///
/// ```toml
/// [profile.sandbox]
/// endpoint = "http://127.0.0.1:8080"
/// tenant_id = "contoso.onmicrosoft.com"
/// client_id = "9c3e…"
/// client_secret = "…"
/// excluded_markets = ["BR", "CN", "RU"]
/// ```
public struct ProfileFile: Sendable, Equatable {
    /// A value in a profile file.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        /// A string.
        case string(String)
        /// An integer.
        case integer(Int)
        /// A floating-point number.
        case float(Double)
        /// A boolean.
        case bool(Bool)
        /// A one-line array.
        case array([Value])

        /// The value as TOML-ish text (strings quoted).
        public var description: String {
            switch self {
            case .string(let text): return "\"\(text)\""
            case .integer(let number): return String(number)
            case .float(let number): return String(number)
            case .bool(let flag): return flag ? "true" : "false"
            case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
            }
        }
    }

    /// One `[profile.NAME]` table: its keys in file order, with the line each came from.
    public struct Profile: Sendable, Equatable {
        /// The profile's name.
        public var name: String
        /// The key/value pairs.
        public var values: [String: Value]
        /// The line number (1-based) each key was defined on.
        public var lines: [String: Int]
    }

    /// Whether a key's value is a credential that errors must never show: `client_secret`,
    /// `refresh_token`, `access_token`, and any key whose name contains `secret`, `token`,
    /// `password`, `passwd`, `passphrase`, `credential`, `private` or `apikey`/`api_key`
    /// (in any case).
    public static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["secret", "token", "password", "passwd", "passphrase", "credential", "private", "apikey", "api_key"]
            .contains(where: { k.contains($0) })
    }

    /// The profiles, by name.
    public var profiles: [String: Profile]
    /// The path the file was read from (for error messages), or `<string>`.
    public var path: String

    /// Parses profile-file text.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) naming the line and the problem.
    public init(parsing text: String, path: String = "<string>") throws {
        self.path = path
        self.profiles = [:]
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var scanner = LineScanner(Substring(rawLine), path: path, line: lineNumber)
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.peek == "[" {
                let name = try scanner.parseHeader()
                if profiles[name] != nil {
                    throw scanner.error("profile '\(name)' is defined twice")
                }
                profiles[name] = Profile(name: name, values: [:], lines: [:])
                current = name
                continue
            }
            let key = try scanner.parseKey()
            let shown = LineScanner.show(key: key)
            scanner.skipSpaces()
            // A line without '=' may be a secret pasted on its own: only a known key is named.
            try scanner.expect("=", "expected '=' after " + (ClientConfiguration.profileKeys.contains(key)
                ? shown : "the line's first word (not shown: a line without '=' may be a pasted secret)"))
            scanner.skipSpaces()
            scanner.key = key
            let value = try scanner.parseValue()
            scanner.skipSpaces()
            guard scanner.atEndOrComment else {
                throw scanner.error("unexpected text after the value of \(shown)")
            }
            guard let name = current else {
                throw scanner.error("\(shown) is outside any [profile.NAME] table")
            }
            if profiles[name]?.values[key] != nil {
                throw scanner.error("\(shown) is set twice in profile '\(name)'")
            }
            profiles[name]?.values[key] = value
            profiles[name]?.lines[key] = lineNumber
        }
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) when it cannot be read or parsed.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PartnerCenterError(
                category: .invalidArgument, message: "cannot read profile file \(path): \(error.localizedDescription)",
                hint: "create it, or point PCX_PROFILE_FILE at an existing file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PartnerCenterError(category: .invalidArgument, message: "profile file \(path) is not UTF-8 text")
        }
        try self.init(parsing: text, path: path)
    }

    /// The default location: `$XDG_CONFIG_HOME/pcx/profiles.toml`, else `~/.config/pcx/profiles.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return (xdg as NSString).appendingPathComponent("pcx/profiles.toml")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".config/pcx/profiles.toml")
    }
}

/// Character-level scanner over one line of a profile file.
private struct LineScanner {
    var chars: [Character]
    var index = 0
    let path: String
    let line: Int

    init(_ text: Substring, path: String, line: Int) {
        var content = Array(text)
        if content.last == "\r" { content.removeLast() }
        self.chars = content
        self.path = path
        self.line = line
    }

    /// The key whose value is being read (nil while reading a key or a header).
    var key: String? = nil

    var peek: Character? { index < chars.count ? chars[index] : nil }
    var atEndOrComment: Bool { peek == nil || peek == "#" }

    /// Whether the value being read belongs to a secret-bearing key: then no part of it may
    /// appear in an error.
    var secret: Bool { key.map(ProfileFile.isSecretKey) ?? false }

    /// "key 'NAME'" when `key` looks like a key name (a known profile key; up to 40 lowercase
    /// letters, '_' and '-'; or a secret-bearing name such as `Client_Secret` or `db_token_2`),
    /// else a description without its text: a line that is not `key = value` may be a pasted
    /// secret, whose leading word would be read as a key.
    static func show(key: String) -> String {
        let scalars = key.unicodeScalars
        func only(_ allowed: (Unicode.Scalar) -> Bool) -> Bool { scalars.count <= 40 && scalars.allSatisfy(allowed) }
        let lowerWord = only { ("a"..."z").contains($0) || $0 == "_" || $0 == "-" }
        let secretName = ProfileFile.isSecretKey(key)
            && only { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        if ClientConfiguration.profileKeys.contains(key) || lowerWord || secretName {
            return "key '\(key)'"
        }
        return "the key (its text is not shown: it does not look like a key name and may be a secret)"
    }

    /// "the value of 'client_secret'" (for value errors); "a quoted name" before a key is known
    /// (a quoted key or profile name).
    var valueName: String {
        guard let key else { return "a quoted name" }
        let shown = LineScanner.show(key: key)
        return shown.hasPrefix("key '") ? "the value of " + shown.dropFirst("key ".count) : "the value of that key"
    }

    func error(_ message: String) -> PartnerCenterError {
        PartnerCenterError(
            category: .invalidArgument, message: "\(path):\(line): \(message)",
            hint: "profile files use [profile.NAME] tables with key = \"string\" lines (a TOML subset)")
    }

    mutating func skipSpaces() {
        while let c = peek, c == " " || c == "\t" { index += 1 }
    }

    mutating func expect(_ c: Character, _ message: String) throws {
        guard peek == c else { throw error(message) }
        index += 1
    }

    static func isBare(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
    }

    mutating func parseBare() -> String {
        var text = ""
        while let c = peek, LineScanner.isBare(c) { text.append(c); index += 1 }
        return text
    }

    mutating func parseHeader() throws -> String {
        index += 1
        skipSpaces()
        let first = parseBare()
        guard first == "profile" else {
            throw error("expected a [profile.NAME] table header")
        }
        try expect(".", "expected '.' after 'profile' in the table header")
        let name: String
        if peek == "\"" {
            name = try parseBasicString()
        } else if peek == "'" {
            name = try parseLiteralString()
        } else {
            name = parseBare()
        }
        guard !name.isEmpty else { throw error("the profile name is empty") }
        skipSpaces()
        try expect("]", "expected ']' to close the table header")
        skipSpaces()
        guard atEndOrComment else { throw error("unexpected text after the table header") }
        return name
    }

    mutating func parseKey() throws -> String {
        if peek == "\"" { return try parseBasicString() }
        let key = parseBare()
        guard !key.isEmpty else { throw error("expected a key (letters, digits, '_' or '-')") }
        return key
    }

    mutating func parseValue() throws -> ProfileFile.Value {
        guard let c = peek else { throw error("expected a value after '=' for \(valueName)") }
        switch c {
        case "\"": return .string(try parseBasicString())
        case "'": return .string(try parseLiteralString())
        case "[":
            index += 1
            var values: [ProfileFile.Value] = []
            skipSpaces()
            if peek == "]" { index += 1; return .array(values) }
            while true {
                skipSpaces()
                values.append(try parseValue())
                skipSpaces()
                if peek == "," {
                    index += 1
                    skipSpaces()
                    if peek == "]" { index += 1; return .array(values) }
                    continue
                }
                try expect("]", "expected ',' or ']' in the array, \(valueName) (arrays must fit on one line)")
                return .array(values)
            }
        default:
            var token = ""
            while let c = peek, !(c == " " || c == "\t" || c == "," || c == "]" || c == "#") {
                token.append(c); index += 1
            }
            if token == "true" { return .bool(true) }
            if token == "false" { return .bool(false) }
            let digits = token.replacingOccurrences(of: "_", with: "")
            if let number = Int(digits) { return .integer(number) }
            if let number = Double(digits), digits.contains(where: { $0.isNumber }) { return .float(number) }
            if secret || token.count > 40 {
                throw error("cannot read \(valueName) (not shown): strings must be quoted (\"…\")")
            }
            throw error("cannot read \(valueName), '\(token)': strings must be quoted (\"…\")")
        }
    }

    mutating func parseLiteralString() throws -> String {
        index += 1
        var text = ""
        while let c = peek {
            index += 1
            if c == "'" { return text }
            text.append(c)
        }
        throw error("unterminated string in \(valueName) (missing closing ')")
    }

    mutating func parseBasicString() throws -> String {
        index += 1
        var text = ""
        while let c = peek {
            index += 1
            switch c {
            case "\"": return text
            case "\\":
                guard let escaped = peek else { throw error("unterminated escape at the end of the line in \(valueName)") }
                index += 1
                switch escaped {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "u", "U":
                    let width = escaped == "u" ? 4 : 8
                    guard index + width <= chars.count,
                          let code = UInt32(String(chars[index..<index + width]), radix: 16),
                          let scalar = Unicode.Scalar(code) else {
                        throw error("invalid \\\(escaped) escape in \(valueName)")
                    }
                    text.unicodeScalars.append(scalar)
                    index += width
                default:
                    if secret { throw error("unknown escape in \(valueName) (not shown; escapes are \\\" \\\\ \\n \\t \\r \\u)") }
                    throw error("unknown escape '\\\(escaped)' in \(valueName)")
                }
            default: text.append(c)
            }
        }
        throw error("unterminated string in \(valueName) (missing closing \")")
    }
}
