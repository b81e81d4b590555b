import Foundation
import TOMLKit

/// TOML syntax errors in a profile file, said as `file:line: message` with a hint, naming the key
/// whose value is wrong and never showing any part of a secret.
///
/// The parser (toml++ through TOMLKit) gives a source position and a description such as
/// `Error while parsing string: unknown escape sequence '\q'`. Its descriptions may quote the
/// text they stopped at (a digit run, a character, a table name), so the statement the error is
/// in is found first (``TOMLLocator``): when it may hold a secret (a credential's key, a line
/// without `=`, anything the locator cannot read as a key), no quoted part of the description is
/// shown, only the file, the line and (when it looks like a key name) the key.
extension ProfileFile {
    static func syntaxError(_ error: TOMLParseError, text: String, path: String) -> PartnerCenterError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        let errorLine = max(1, min(error.source.begin.line, lines.count))
        let locator = TOMLLocator(text)
        let statement = locator.statement(covering: errorLine)
        let spanned = statement.map { lines[($0.line - 1)..<min($0.endLine, lines.count)].joined(separator: "\n") } ?? ""
        let context = SyntaxContext(statement, text: spanned)
        var diagnosis = SyntaxDiagnosis(description: error.description, context: context,
                                        lineText: lines[errorLine - 1], column: error.source.begin.column)
        let line = diagnosis.atStatementStart ? (statement?.line ?? errorLine) : errorLine
        diagnosis.hint = diagnosis.hint ?? "profiles.toml is TOML (https://toml.io/en/v1.0.0): [profile.NAME] tables of key = value lines"
        return problem(path, line, diagnosis.message, hint: diagnosis.hint!)
    }
}

/// What the bad line is, as far as the text before the error tells.
private struct SyntaxContext {
    enum Kind {
        /// A `[table]` header.
        case header([String])
        /// A `key = value` statement (the table it is in, and its key).
        case value(table: [String], key: [String])
        /// A key not followed by `=`: possibly a pasted secret; `word` is its first word.
        case noEquals(word: String?)
        /// Nothing the locator could read as a key or header.
        case unknown
    }

    let kind: Kind
    /// Whether the statement may hold a secret: then no quoted part of the parser's message is shown.
    let secret: Bool

    init(_ statement: TOMLLocator.Statement?, text: String) {
        guard let statement else {
            kind = .unknown
            secret = true
            return
        }
        if statement.header {
            kind = .header(statement.table)
            // a profile's name is shown as written; other segments only when they look like key names
            let path = statement.table
            secret = !path.indices.allSatisfy { index in
                index == 1 && path[0] == "profile"
                    ? path[index].unicodeScalars.count <= 40 && !ProfileFile.isSecretKey(path[index])
                    : ProfileFile.show(segment: path[index]) != nil && !ProfileFile.isSecretKey(path[index])
            }
        } else if statement.complete {
            kind = .value(table: statement.table, key: statement.key)
            let path = statement.table + statement.key
            // the key or anything else on its lines naming a credential (an inline table's
            // `client_secret = …`) makes the whole statement secret
            secret = path.contains(where: ProfileFile.isSecretKey) || ProfileFile.isSecretKey(text)
                || statement.key.contains { ProfileFile.show(segment: $0) == nil }
        } else if statement.key.isEmpty {
            kind = .unknown
            secret = true
        } else {
            kind = .noEquals(word: statement.firstWord)
            secret = true
        }
    }

    /// The key as the messages name it (`key 'endpoint'`), without the `profile.NAME.` of a dotted key.
    var keyName: String {
        guard case .value(let table, let key) = kind else { return "the key" }
        let own = ownKey(table: table, key: key)
        guard !own.isEmpty, own.allSatisfy({ ProfileFile.show(segment: $0) != nil }) else {
            return "the key (its text is not shown: it does not look like a key name and may be a secret)"
        }
        return "key '\(own.joined(separator: "."))'"
    }

    /// "the value of 'endpoint'", "the value of that key", "the table header", "the line".
    var valueName: String {
        switch kind {
        case .value:
            let name = keyName
            return name.hasPrefix("key '") ? "the value of " + name.dropFirst("key ".count) : "the value of that key"
        case .header: return "the table header"
        case .noEquals, .unknown: return "the line"
        }
    }

    /// " in profile 'NAME'" when the statement is in one.
    var inProfile: String {
        guard case .value(let table, let key) = kind else { return "" }
        let path = table + key
        guard path.count >= 3, path[0] == "profile" else { return "" }
        return " in profile '\(path[1])'"
    }

    /// The key's segments below `profile.NAME`.
    private func ownKey(table: [String], key: [String]) -> [String] {
        let path = table + key
        return path.count >= 3 && path[0] == "profile" ? Array(path.dropFirst(2)) : key
    }
}

/// The message and hint for one parser error.
private struct SyntaxDiagnosis {
    var message = ""
    var hint: String?
    /// Report the line the statement starts on (an unclosed string or array runs to the end of
    /// the file), not the line the parser stopped at.
    var atStatementStart = false

    init(description: String, context: SyntaxContext, lineText: String, column: Int) {
        var scope = "", detail = description
        let prefix = "Error while parsing "
        if description.hasPrefix(prefix), let colon = description.range(of: ": ") {
            scope = String(description[description.index(description.startIndex, offsetBy: prefix.count)..<colon.lowerBound])
            detail = String(description[colon.upperBound...])
        }
        if diagnoseLine(context, detail: detail) { return }
        diagnoseValue(scope: scope, detail: detail, context: context, scalars: Array(lineText.unicodeScalars), column: column)
    }

    /// A line that is no `key = value` at all (never shown: it may be a pasted secret); true when it was one.
    private mutating func diagnoseLine(_ context: SyntaxContext, detail: String) -> Bool {
        switch context.kind {
        case .noEquals(let word):
            if let word, ClientConfiguration.profileKeys.contains(word) {
                message = "expected '=' after key '\(word)'"
            } else {
                message = "expected '=' after the line's first word (not shown: a line without '=' may be a pasted secret)"
            }
            hint = "each line is key = value, a [profile.NAME] header or a # comment; strings are quoted: key = \"value\""
            return true
        case .unknown where detail.hasPrefix("expected bare key"):
            message = "expected a key, a [profile.NAME] header or a # comment (the line is not shown: it may be a pasted secret)"
            hint = "each line is key = value, a [profile.NAME] header or a # comment"
            return true
        default:
            return false
        }
    }

    /// A value, a header or a key the parser could not read.
    private mutating func diagnoseValue(scope: String, detail: String, context: SyntaxContext, scalars: [Unicode.Scalar], column: Int) {
        let endOfFile = detail.contains("end-of-file")
        let valueName = context.valueName
        if scope.hasSuffix("string") && (endOfFile || (detail.contains("control character") && column > scalars.count)) {
            let quote = scope.contains("literal") ? "'" : "\""
            message = "unterminated string in \(valueName) (missing closing \(quote))"
            hint = "close the string on the same line, or write a multi-line string between \(quote)\(quote)\(quote) and \(quote)\(quote)\(quote)"
            atStatementStart = endOfFile
        } else if detail == "could not determine value type" {
            var token = ""
            var index = max(0, column - 1)
            while index < scalars.count, !" \t,]}#".unicodeScalars.contains(scalars[index]) {
                token.unicodeScalars.append(scalars[index])
                index += 1
            }
            let shown = context.secret ? " (not shown)" : (token.isEmpty || token.count > 40 ? "" : ", '\(token)'")
            message = "cannot read \(valueName)\(shown): strings must be quoted (\"…\")"
            hint = "quote strings: key = \"value\"; numbers, true and false, [arrays] and { inline tables } are written bare"
        } else if detail.hasPrefix("cannot redefine existing") {
            diagnoseRedefinition(context)
        } else if detail.hasPrefix("expected a comment or whitespace") {
            message = "unexpected text after \(valueName)"
            hint = "write one key = value per line; a # starts a comment"
        } else if detail.hasPrefix("unknown escape sequence") {
            if context.secret {
                message = "unknown escape in \(valueName) (not shown; escapes are \\\" \\\\ \\b \\f \\n \\r \\t \\uXXXX \\UXXXXXXXX)"
            } else {
                message = "unknown escape \(Self.quoted(in: detail) ?? "") in \(valueName)"
            }
            hint = "write a backslash as \\\\, or use a 'literal string' (backslashes are plain there)"
        } else if scope == "array" && endOfFile {
            message = "unclosed array in \(valueName) (missing closing ']')"
            hint = "close the array with ]; an array may span several lines"
            atStatementStart = true
        } else {
            let text = context.secret ? Self.redacted(detail) : Self.capped(detail)
            switch context.kind {
            case .value: message = "\(text) in \(valueName)"
            case .header: message = "\(text) in the table header"
            default: message = "\(text) (while reading \(scope.isEmpty ? "the line" : scope))"
            }
            if scope == "inline table" {
                hint = "an inline table { … } must fit on one line (TOML 1.0); or write its keys under a [profile.NAME] header"
            }
            atStatementStart = endOfFile
        }
    }

    /// A table or a key defined twice.
    private mutating func diagnoseRedefinition(_ context: SyntaxContext) {
        switch context.kind {
        case .header(let path) where path.count == 2 && path[0] == "profile":
            message = context.secret ? "a [profile.NAME] table is defined twice (its name is not shown)" : "profile '\(path[1])' is defined twice"
            hint = "merge the two tables into one, or rename one of them"
        case .header(let path):
            message = context.secret ? "a table is defined twice (its name is not shown)" : "table [\(path.joined(separator: "."))] is defined twice"
            hint = "merge the two tables into one"
        default:
            message = "\(context.keyName) is set twice\(context.inProfile)"
            hint = "keep one of the two"
        }
    }

    /// The first `'…'` part of a parser message, with its quotes.
    static func quoted(in text: String) -> String? {
        guard let range = text.range(of: "'[^']*'", options: .regularExpression) else { return nil }
        return String(text[range])
    }

    /// The message with every part that quotes the document removed (`saw 'x'`, `'1234' is …`).
    static func redacted(_ text: String) -> String {
        var out = text.replacingOccurrences(of: ",? saw .*$", with: "", options: .regularExpression)
        out = out.replacingOccurrences(of: "'[^']*'", with: "the value (not shown)", options: .regularExpression)
        if let quote = out.firstIndex(of: "'") { out = String(out[..<quote]) }
        out = out.trimmingCharacters(in: .whitespaces)
        return out.isEmpty ? "invalid TOML" : out
    }

    /// The message with long quoted parts cut out.
    static func capped(_ text: String) -> String {
        text.replacingOccurrences(of: "'[^']{41,}'", with: "'…' (long text not shown)", options: .regularExpression)
    }
}
