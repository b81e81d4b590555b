import Foundation

/// Writing profiles: the text of a new `[profile.NAME]` table, and an existing table taken out
/// (for `pcx profile add --force`). The rest of the file, comments included, stays as written.
extension ProfileFile {
    /// The TOML text of one profile table: a `[profile.NAME]` header, then `key = value` lines
    /// in the order given, ending with a newline.
    public static func tomlTable(name: String, values: [(key: String, value: Value)]) -> String {
        var lines = ["[profile.\(tomlKey(name))]"]
        for (key, value) in values { lines.append("\(tomlKey(key)) = \(tomlValue(value))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A key as TOML writes it: bare when it can be, else a basic string.
    public static func tomlKey(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        return bare ? key : tomlString(key)
    }

    /// A value as TOML writes it (strings as basic strings with escapes).
    public static func tomlValue(_ value: Value) -> String {
        switch value {
        case .string(let text): return tomlString(text)
        case .integer(let number): return String(number)
        case .float(let number): return number.isFinite ? String(number) : (number.isNaN ? "nan" : (number > 0 ? "inf" : "-inf"))
        case .bool(let flag): return flag ? "true" : "false"
        case .array(let values): return "[" + values.map(tomlValue).joined(separator: ", ") + "]"
        case .table(let values):
            return "{ " + values.keys.sorted().map { "\(tomlKey($0)) = \(tomlValue(values[$0]!))" }.joined(separator: ", ") + " }"
        case .dateTime(let text): return text
        }
    }

    /// `text` as a TOML basic string: quotes, backslashes and control characters escaped.
    public static func tomlString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `text` without the profile `name`: its `[profile.NAME]` header and every line up to the
    /// next header that is not one of its sub-tables.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) when `text` is not a valid profile
    ///   file, has no such profile, or holds it in another form (dotted keys, an inline table, or
    ///   keys outside its table) that cannot be taken out line by line.
    public static func removing(profile name: String, from text: String, path: String) throws -> String {
        let file = try ProfileFile(parsing: text, path: path)
        guard let profile = file.profiles[name] else {
            throw PartnerCenterError(category: .invalidArgument, message: "profile '\(name)' is not in \(path)")
        }
        let locator = TOMLLocator(text)
        let own = ["profile", name]
        func belongs(_ s: TOMLLocator.Statement) -> Bool {
            let path = s.table + s.key
            return path.count >= 2 && Array(path.prefix(2)) == own
        }
        guard let header = locator.statements.first(where: { $0.header && $0.table == own }) else {
            throw PartnerCenterError(
                category: .invalidArgument,
                message: "\(path):\(profile.line): profile '\(name)' is written with dotted keys or an inline table, not as a [profile.\(name)] table",
                hint: "edit \(path) by hand to replace it, or add the new profile under another name")
        }
        // the section: from its header to the next header that is not its own sub-table
        let next = locator.statements.first { $0.header && $0.line > header.line && !belongs($0) }
        let end = next?.line ?? Int.max
        if let stray = locator.statements.first(where: { belongs($0) && ($0.line < header.line || $0.line >= end) }) {
            throw PartnerCenterError(
                category: .invalidArgument,
                message: "\(path):\(stray.line): profile '\(name)' also has keys outside its [profile.\(name)] table",
                hint: "edit \(path) by hand to replace it, or add the new profile under another name")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let upper = min(end - 1, lines.count)
        lines.removeSubrange((header.line - 1)..<upper)
        return lines.joined(separator: "\n")
    }
}
