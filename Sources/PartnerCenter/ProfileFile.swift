import Foundation
import TOMLKit

/// A parsed pcx profile file: TOML (v1.0, read by TOMLKit) holding `[profile.NAME]` tables.
///
/// Any valid TOML works: comments at the end of lines, basic, literal and multi-line strings,
/// inline tables, dotted keys (`profile.lab.endpoint = "…"`), arrays over several lines. The
/// document must hold only profile tables; each profile's keys are checked when the profile is
/// used (``ClientConfiguration/applying(_:path:)``), by name and type, naming the file and line.
///
/// A syntax error is reported as `file:line: message` with a hint, from the parser's source
/// position; the key whose value is wrong is named.
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
/// endpoint = "http://127.0.0.1:8080"   # pcx sandbox serve
/// tenant_id = "contoso.onmicrosoft.com"
/// client_id = "9c3e…"
/// client_secret = "…"
/// excluded_markets = [
///   "BR", "CN", "RU",
/// ]
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
        /// An array.
        case array([Value])
        /// A table (an inline table, or a sub-table such as `[profile.NAME.sub]`).
        case table([String: Value])
        /// A date, time or date-time, as TOML writes it.
        case dateTime(String)

        /// The value as TOML-ish text (strings quoted).
        public var description: String {
            switch self {
            case .string(let text): return "\"\(text)\""
            case .integer(let number): return String(number)
            case .float(let number): return String(number)
            case .bool(let flag): return flag ? "true" : "false"
            case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
            case .table(let values):
                return "{ " + values.keys.sorted().map { "\($0) = \(values[$0]!)" }.joined(separator: ", ") + " }"
            case .dateTime(let text): return text
            }
        }
    }

    /// One `[profile.NAME]` table: its keys, with the line each came from.
    public struct Profile: Sendable, Equatable {
        /// The profile's name.
        public var name: String
        /// The key/value pairs.
        public var values: [String: Value]
        /// The line number (1-based) each key was defined on.
        public var lines: [String: Int]
        /// The line (1-based) the profile's table starts on (its `[profile.NAME]` header).
        public var line: Int = 0
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

    /// The profiles' names in file order.
    public var names: [String] {
        profiles.values.sorted { ($0.line, $0.name) < ($1.line, $1.name) }.map(\.name)
    }

    /// Parses profile-file text.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) naming `path:line` and the problem:
    ///   a TOML syntax error, or a document that is not made of `[profile.NAME]` tables.
    public init(parsing text: String, path: String = "<string>") throws {
        self.path = path
        self.profiles = [:]
        if let nul = text.unicodeScalars.firstIndex(of: "\u{0}") {
            let line = text.unicodeScalars[..<nul].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            throw ProfileFile.problem(path, line, "the file holds a NUL character: profiles.toml must be UTF-8 text",
                                      hint: "remove the NUL bytes (the file may have been saved in UTF-16)")
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ProfileFile.syntaxError(error, text: text, path: path)
        }
        let locator = TOMLLocator(text)
        var problems: [(line: Int, error: PartnerCenterError)] = []
        for (key, value) in document where key != "profile" {
            let line = locator.line(of: [key]) ?? 1
            if value.type == .table {
                let name = ProfileFile.show(segment: key).map { "[\($0)]" } ?? "a table (its name is not shown: it does not look like a key name)"
                problems.append((line, ProfileFile.problem(path, line, "table \(name) is not a [profile.NAME] table",
                                                           hint: "profiles.toml holds only [profile.NAME] tables: rename it [profile.NAME], or remove it")))
            } else {
                problems.append((line, ProfileFile.problem(path, line, "\(ProfileFile.show(key: key)) is outside any [profile.NAME] table",
                                                           hint: "move it under the [profile.NAME] header of the profile it belongs to")))
            }
        }
        if let section = document["profile"] {
            let line = locator.line(of: ["profile"]) ?? 1
            if let tables = section.table {
                for (name, value) in tables {
                    let at = locator.line(of: ["profile", name]) ?? line
                    guard let table = value.table else {
                        problems.append((at, ProfileFile.problem(path, at, "profile '\(name)' must be a table, not \(ProfileFile.convert(value).kindName)",
                                                                 hint: "write a [profile.\(name)] header with the profile's keys under it")))
                        continue
                    }
                    if name.isEmpty {
                        problems.append((at, ProfileFile.problem(path, at, "the profile name is empty", hint: "name the profile: [profile.NAME]")))
                        continue
                    }
                    var profile = Profile(name: name, values: [:], lines: [:], line: at)
                    for (key, item) in table {
                        profile.values[key] = ProfileFile.convert(item)
                        profile.lines[key] = locator.line(of: ["profile", name, key]) ?? at
                    }
                    profiles[name] = profile
                }
            } else {
                let what = section.type == .array ? "an array of tables ([[profile]])" : ProfileFile.convert(section).kindName
                problems.append((line, ProfileFile.problem(path, line, "'profile' must hold [profile.NAME] tables, not \(what)",
                                                           hint: "write each profile as a [profile.NAME] table")))
            }
        }
        if let first = problems.min(by: { $0.line < $1.line }) { throw first.error }
    }

    /// A TOMLKit value as a profile value.
    static func convert(_ value: any TOMLValueConvertible) -> Value {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .bool(value.bool ?? false)
        case .array: return .array((value.array.map(Array.init) ?? []).map { convert($0) })
        case .table:
            var values: [String: Value] = [:]
            for (key, item) in value.table ?? TOMLTable() { values[key] = convert(item) }
            return .table(values)
        case .date, .time, .dateTime: return .dateTime(value.debugDescription)
        }
    }

    /// An error about `path:line`, with `hint`.
    static func problem(_ path: String, _ line: Int, _ message: String, hint: String) -> PartnerCenterError {
        PartnerCenterError(category: .invalidArgument, message: "\(path):\(line): \(message)", hint: hint)
    }

    /// "key 'NAME'" when `key` looks like a key name (a known profile key; up to 40 lowercase
    /// letters, '_' and '-'; or a secret-bearing name such as `Client_Secret` or `db_token_2`),
    /// else a description without its text: a line that is not `key = value` may be a pasted
    /// secret, whose leading word would be read as a key.
    static func show(key: String) -> String {
        show(segment: key).map { "key '\($0)'" }
            ?? "the key (its text is not shown: it does not look like a key name and may be a secret)"
    }

    /// `key` when it looks like a key name (see ``show(key:)``), else nil.
    static func show(segment key: String) -> String? {
        let scalars = key.unicodeScalars
        func only(_ allowed: (Unicode.Scalar) -> Bool) -> Bool { scalars.count <= 40 && scalars.allSatisfy(allowed) }
        let lowerWord = only { ("a"..."z").contains($0) || $0 == "_" || $0 == "-" }
        let secretName = isSecretKey(key)
            && only { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        return ClientConfiguration.profileKeys.contains(key) || lowerWord || secretName ? key : nil
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) when it cannot be read or parsed.
    public init(contentsOf path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw PartnerCenterError(
                category: .invalidArgument, message: "cannot read profile file \(path): it is a directory",
                hint: "profiles.toml is a file; point PCX_PROFILE_FILE (or PCX_CONFIG_DIR) elsewhere, or remove the directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path)
                ? (FileManager.default.isReadableFile(atPath: path) ? error.localizedDescription : "permission denied")
                : "no such file"
            throw PartnerCenterError(
                category: .invalidArgument, message: "cannot read profile file \(path): \(reason)",
                hint: reason == "permission denied" ? "let your user read it: chmod 600 \(path)"
                    : "create it, or point PCX_PROFILE_FILE at an existing file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PartnerCenterError(category: .invalidArgument, message: "profile file \(path) is not UTF-8 text",
                                     hint: "save it as UTF-8 (TOML files are UTF-8)")
        }
        try self.init(parsing: text, path: path)
    }

    /// The default location: `$XDG_CONFIG_HOME/pcx/profiles.toml`, else `~/.config/pcx/profiles.toml`.
    public static func defaultPath(environment: [String: String] = processEnvironment()) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return (xdg as NSString).appendingPathComponent("pcx/profiles.toml")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".config/pcx/profiles.toml")
    }
}
