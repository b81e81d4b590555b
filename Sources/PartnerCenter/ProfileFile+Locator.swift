import Foundation

/// Where the keys and tables of a TOML document are defined: their line numbers, which TOMLKit's
/// parsed tables do not carry.
///
/// It reads the document's structure only (table headers, dotted keys, inline tables, and just
/// enough of strings, arrays and comments to step over them); TOMLKit decides what the document
/// means and whether it is valid. On a document TOMLKit accepted the lines are exact. On one it
/// refused, the locator never fails: it keeps going as best it can, and ``statements`` up to the
/// bad line are still right (the text before a syntax error is valid TOML), which is what the
/// error messages use to name the key whose value is wrong.
struct TOMLLocator {
    /// One `[table]` header or `key = value` line.
    struct Statement {
        /// The line it starts on (1-based).
        var line: Int
        /// The line its value ends on (a multi-line string or array ends later).
        var endLine: Int
        /// The table it belongs to (the header's own path for a header).
        var table: [String]
        /// The key's segments (empty for a header).
        var key: [String]
        /// A header (`[a.b]` or `[[a.b]]`).
        var header: Bool
        /// Whether the header was closed by `]`, or the key followed by `=`.
        var complete: Bool
        /// The first word of the line, as the locator read it (a bare or quoted key segment).
        var firstWord: String?
    }

    /// Every statement, in file order.
    private(set) var statements: [Statement] = []
    /// First explicit definition of each path (a header, or a key with its value).
    private var explicit: [[String]: Int] = [:]
    /// First line where each path was created implicitly (a prefix of a header or dotted key).
    private var implicit: [[String]: Int] = [:]

    /// The line a key or table is defined on: its own header or `key =` line, else the first line
    /// that created it implicitly (`[a.b]` creates `a`).
    func line(of path: [String]) -> Int? { explicit[path] ?? implicit[path] }

    /// The statement that spans `line` (a header, or a key and its value), if any.
    func statement(covering line: Int) -> Statement? {
        statements.last { $0.line <= line && line <= $0.endLine }
    }

    init(_ text: String) {
        var cursor = Cursor(Array(text.unicodeScalars))
        var table: [String] = []
        while true {
            cursor.skipBlankLinesAndComments()
            guard let c = cursor.peek else { break }
            let line = cursor.line
            if c == "[" {
                cursor.advance()
                if cursor.peek == "[" { cursor.advance() }
                cursor.skipSpaces()
                let path = cursor.readKey() ?? []
                cursor.skipSpaces()
                statements.append(Statement(line: line, endLine: line, table: path, key: [], header: true,
                                            complete: cursor.peek == "]", firstWord: path.first))
                define(path, line: line)
                table = path
                cursor.skipRestOfLine()
                continue
            }
            guard let key = cursor.readKey() else {
                // not a key: a pasted word, a stray character; the parser's error says what
                statements.append(Statement(line: line, endLine: line, table: table, key: [], header: false,
                                            complete: false, firstWord: nil))
                cursor.skipRestOfLine()
                continue
            }
            cursor.skipSpaces()
            guard cursor.peek == "=" else {
                statements.append(Statement(line: line, endLine: line, table: table, key: key, header: false,
                                            complete: false, firstWord: key.first))
                cursor.skipRestOfLine()
                continue
            }
            cursor.advance()
            cursor.skipSpaces()
            define(table + key, line: line)
            cursor.skipValue(prefix: table + key) { path, at in self.define(path, line: at) }
            statements.append(Statement(line: line, endLine: cursor.line, table: table, key: key, header: false,
                                        complete: true, firstWord: key.first))
            cursor.skipRestOfLine()
        }
    }

    /// Records `path` as defined on `line` (first definition wins) and its prefixes as created there.
    private mutating func define(_ path: [String], line: Int) {
        guard !path.isEmpty else { return }
        if explicit[path] == nil { explicit[path] = line }
        for length in 1..<path.count where implicit[Array(path.prefix(length))] == nil {
            implicit[Array(path.prefix(length))] = line
        }
    }
}

/// A position in the document's scalars, counting lines.
private struct Cursor {
    let scalars: [Unicode.Scalar]
    var index = 0
    var line = 1

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    func peek(_ offset: Int) -> Unicode.Scalar? { index + offset < scalars.count ? scalars[index + offset] : nil }

    mutating func advance() {
        guard index < scalars.count else { return }
        if scalars[index] == "\n" { line += 1 }
        index += 1
    }

    mutating func skipSpaces() {
        while let c = peek, c == " " || c == "\t" { advance() }
    }

    mutating func skipRestOfLine() {
        while let c = peek, c != "\n" { advance() }
    }

    /// Spaces, line breaks and comments (between statements, or between array items).
    mutating func skipBlankLinesAndComments() {
        while let c = peek {
            if c == " " || c == "\t" || c == "\r" || c == "\n" { advance() } else if c == "#" { skipRestOfLine() } else { return }
        }
    }

    static func isBare(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    /// A dotted key (`a."b c".d`), each segment unquoted and unescaped; nil when none starts here.
    mutating func readKey() -> [String]? {
        var segments: [String] = []
        while true {
            guard let c = peek else { break }
            if c == "\"" {
                advance()
                segments.append(readBasicString())
            } else if c == "'" {
                advance()
                segments.append(readLiteralString())
            } else if Cursor.isBare(c) {
                var text = ""
                while let c = peek, Cursor.isBare(c) { text.unicodeScalars.append(c); advance() }
                segments.append(text)
            } else {
                break
            }
            skipSpaces()
            guard peek == "." else { break }
            advance()
            skipSpaces()
        }
        return segments.isEmpty ? nil : segments
    }

    /// The rest of a `"…"` string (after its opening quote), escapes decoded; stops at the closing
    /// quote or the end of the line.
    mutating func readBasicString() -> String {
        var text = ""
        while let c = peek, c != "\n" {
            advance()
            if c == "\"" { return text }
            guard c == "\\", let e = peek else { text.unicodeScalars.append(c); continue }
            advance()
            switch e {
            case "b": text.append("\u{08}")
            case "t": text.append("\t")
            case "n": text.append("\n")
            case "f": text.append("\u{0C}")
            case "r": text.append("\r")
            case "u", "U":
                var hex = ""
                for _ in 0..<(e == "u" ? 4 : 8) { if let h = peek { hex.unicodeScalars.append(h); advance() } }
                if let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) { text.unicodeScalars.append(scalar) }
            default: text.unicodeScalars.append(e)
            }
        }
        return text
    }

    /// The rest of a `'…'` string (after its opening quote); stops at the quote or the line's end.
    mutating func readLiteralString() -> String {
        var text = ""
        while let c = peek, c != "\n" {
            advance()
            if c == "'" { return text }
            text.unicodeScalars.append(c)
        }
        return text
    }

    /// Steps over a `"""…"""` or `'''…'''` string (after its opening delimiter), and the one or
    /// two quotes a string may end with before the closing three.
    mutating func skipMultiline(_ quote: Unicode.Scalar) {
        while let c = peek {
            if c == "\\" && quote == "\"" {
                advance()
                advance()
                continue
            }
            if c == quote && peek(1) == quote && peek(2) == quote {
                while peek == quote { advance() }
                return
            }
            advance()
        }
    }

    /// Steps over one value, calling `define` for each key of an inline table (with its path and line).
    mutating func skipValue(prefix: [String], define: (_ path: [String], _ line: Int) -> Void) {
        guard let c = peek else { return }
        switch c {
        case "\"", "'":
            if peek(1) == c && peek(2) == c {
                advance(); advance(); advance()
                skipMultiline(c)
            } else {
                advance()
                _ = c == "\"" ? readBasicString() : readLiteralString()
            }
        case "[":
            advance()
            while true {
                skipBlankLinesAndComments()
                guard let next = peek else { return }
                if next == "]" { advance(); return }
                if next == "," { advance(); continue }
                let before = index
                skipValue(prefix: prefix, define: { _, _ in })
                if index == before { advance() }
            }
        case "{":
            advance()
            while true {
                skipSpaces()
                guard let next = peek, next != "\n" else { return }
                if next == "}" { advance(); return }
                if next == "," { advance(); continue }
                guard let key = readKey() else { advance(); continue }
                let line = self.line
                skipSpaces()
                guard peek == "=" else { continue }
                advance()
                skipSpaces()
                define(prefix + key, line)
                let before = index
                skipValue(prefix: prefix + key, define: define)
                if index == before, peek != "}", peek != ",", peek != "\n" { advance() }
            }
        default:
            // a number, boolean or date: up to whitespace or a delimiter (a date's time part after a
            // space is stepped over by the caller)
            while let c = peek, !(c == " " || c == "\t" || c == "\r" || c == "\n" || c == "," || c == "]" || c == "}" || c == "#") {
                advance()
            }
        }
    }
}
