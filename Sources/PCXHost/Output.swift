import Foundation

/// How a verb prints its data: `-o table|json|csv|tsv` (`--json` is `-o json`).
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Aligned columns for people (the default).
    case table
    /// JSON: the verb's whole document, amounts as exact decimal text.
    case json
    /// RFC 4180 CSV: a header of column keys, then one line per row (CRLF line ends).
    case csv
    /// Tab-separated: a header of column keys, then one line per row; a tab, newline, carriage
    /// return or backslash inside a value is written `\t`, `\n`, `\r`, `\\`.
    case tsv

    /// The names, as `-o` takes them: "table, json, csv or tsv".
    public static var choices: String { "table, json, csv or tsv" }

    /// The format `-o VALUE` (or `--json`) asks for.
    /// - Throws: ``UsageError`` naming the value, the choices and an example, or the conflict
    ///   of `--json` with another `-o`.
    public static func parse(_ value: String?, json: Bool) throws -> OutputFormat {
        guard let value else { return json ? .json : .table }
        guard let format = OutputFormat(rawValue: value.lowercased()) else {
            throw UsageError("-o \(value) is not an output format\n  hint: give one of \(choices), e.g. -o csv")
        }
        if json && format != .json {
            throw UsageError("--json is -o json, so it cannot go with -o \(format.rawValue)\n  hint: give one of them: -o \(format.rawValue) or --json")
        }
        return format
    }
}

/// Rows of text under named columns, rendered as an aligned table, CSV or TSV: the one renderer
/// behind every verb's `-o` and the stdlib's `output` module (through `pcx.sys.render_rows`).
public struct OutputRows: Sendable {
    /// A column: its header in a table, its key in CSV and TSV (and JSON), its alignment.
    public struct Column: Sendable {
        public var header: String
        public var key: String
        public var rightAligned: Bool

        /// A column; the key defaults to the header.
        public init(_ header: String, key: String? = nil, rightAligned: Bool = false) {
            self.header = header
            self.key = key ?? header
            self.rightAligned = rightAligned
        }
    }

    public var columns: [Column]
    /// Each row's cells in column order (a short row has empty cells at its end).
    public var rows: [[String]]

    /// Rows under columns.
    public init(columns: [Column], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Field/value pairs (a `show` verb's record) as two columns, `field` and `value`.
    public init(record: [(String, String)]) {
        self.init(columns: [Column("FIELD", key: "field"), Column("VALUE", key: "value")], rows: record.map { [$0.0, $0.1] })
    }

    /// The rows as text for `format`: a table (header, rule, rows; no trailing newline), or CSV
    /// and TSV (header of keys, then the rows; every line ends with its line end). JSON is the
    /// verb's own document, not rendered here: it yields the table.
    public func render(_ format: OutputFormat) -> String {
        switch format {
        case .csv: return delimited(separator: ",", lineEnd: "\r\n", field: Self.csvField)
        case .tsv: return delimited(separator: "\t", lineEnd: "\n", field: Self.tsvField)
        case .table, .json: return table()
        }
    }

    private func cell(_ row: [String], _ i: Int) -> String { i < row.count ? row[i] : "" }

    private func delimited(separator: String, lineEnd: String, field: (String) -> String) -> String {
        var out = columns.map { field($0.key) }.joined(separator: separator) + lineEnd
        for row in rows {
            out += columns.indices.map { field(cell(row, $0)) }.joined(separator: separator) + lineEnd
        }
        return out
    }

    /// A CSV field as RFC 4180 quotes it: in double quotes (doubled inside) when it holds a
    /// comma, a quote, CR or LF, or starts or ends with a space; as it is otherwise.
    static func csvField(_ text: String) -> String {
        let special = text.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        let padded = text.first?.isWhitespace == true || text.last?.isWhitespace == true
        guard special || padded else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A TSV field: backslash, tab, newline and carriage return escaped (`\\`, `\t`, `\n`, `\r`).
    static func tsvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A table cell: control characters shown escaped (`\t`, `\n`, `\u{1b}`), so a value can
    /// neither break the alignment nor rewrite the terminal.
    static func tableCell(_ text: String) -> String {
        visible(text.replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r\n", with: "\\r\\n")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r"))
    }

    private func table() -> String {
        let header = columns.map { Self.tableCell($0.header) }
        let body = rows.map { row in columns.indices.map { Self.tableCell(cell(row, $0)) } }
        var widths = header.map(displayWidth)
        for row in body { for (i, c) in row.enumerated() { widths[i] = max(widths[i], displayWidth(c)) } }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { i, c in
                let fill = String(repeating: " ", count: widths[i] - displayWidth(c))
                return columns[i].rightAligned ? fill + c : c + fill
            }
            var text = padded.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + body.map(line)).joined(separator: "\n")
    }
}

// MARK: - Display width

/// The terminal columns `text` takes, as terminals count them (wcwidth): a character of East
/// Asian Wide or Fullwidth (CJK, Hangul, kana, fullwidth forms) or an emoji takes 2, a combining
/// mark or another zero-width character 0, every other character 1. Counted per character
/// (grapheme cluster), so "é" written as "e" + U+0301 takes 1 and "株式会社" takes 8.
public func displayWidth(_ text: String) -> Int {
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
    return text.reduce(0) { $0 + displayWidth(of: $1) }
}

/// The columns one character (grapheme cluster) takes: 0, 1 or 2.
func displayWidth(of character: Character) -> Int {
    let scalars = character.unicodeScalars
    guard let first = scalars.first else { return 0 }
    // an emoji (default emoji presentation, or any character asking for it with VS16) is wide
    if first.properties.isEmojiPresentation || scalars.contains("\u{FE0F}") { return 2 }
    if isZeroWidth(first) { return 0 }
    return wideRanges.contains { $0.contains(first.value) } ? 2 : 1
}

/// Combining marks, format characters (zero-width space and joiner, soft hyphen excepted), the
/// Hangul medial vowels and final consonants, and control characters take no column.
private func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    if v < 0x20 || (0x7F..<0xA0).contains(v) || (0x1160...0x11FF).contains(v) { return true }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark: return true
    case .format: return v != 0xAD
    default: return false
    }
}

/// East Asian Wide (W) and Fullwidth (F) code points that are not emoji (Unicode 15,
/// EastAsianWidth.txt, merged into blocks; emoji are found by their presentation property).
private let wideRanges: [ClosedRange<UInt32>] = [
    0x1100...0x115F,   // Hangul Jamo initial consonants
    0x2329...0x232A,   // angle brackets
    0x2E80...0x303E,   // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
    0x3041...0x33FF,   // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK strokes, enclosed, compatibility
    0x3400...0x4DBF,   // CJK Unified Ideographs Extension A
    0x4E00...0x9FFF,   // CJK Unified Ideographs
    0xA000...0xA4CF,   // Yi syllables and radicals
    0xA960...0xA97F,   // Hangul Jamo Extended-A
    0xAC00...0xD7A3,   // Hangul syllables
    0xF900...0xFAFF,   // CJK Compatibility Ideographs
    0xFE10...0xFE19,   // vertical forms
    0xFE30...0xFE6F,   // CJK compatibility forms, small form variants
    0xFF00...0xFF60,   // fullwidth forms
    0xFFE0...0xFFE6,   // fullwidth signs
    0x16FE0...0x16FE4, // ideographic symbols
    0x17000...0x18CFF, // Tangut, Khitan
    0x1AFF0...0x1B2FF, // Kana supplement and extensions, Nüshu
    0x1F200...0x1F2FF, // enclosed ideographic supplement
    0x20000...0x2FFFD, // CJK Extensions B to F, compatibility supplement
    0x30000...0x3FFFD, // CJK Extensions G and H
]

// MARK: - The verbs' rows

/// Prints a record (field/value pairs): aligned `field  value` lines for `.table`, `field,value`
/// rows for CSV and TSV (JSON is the verb's own document).
func printRecord(_ fields: [(String, String)], format: OutputFormat) {
    if format == .csv || format == .tsv {
        print(OutputRows(record: fields).render(format), terminator: "")
        return
    }
    let width = fields.map { displayWidth($0.0) }.max() ?? 0
    print(fields.map { $0.0 + String(repeating: " ", count: width - displayWidth($0.0)) + "  " + visible($0.1) }.joined(separator: "\n"))
}

extension ProfileSummary {
    /// `pcx profile list -o csv|tsv`: one row per profile (how pcx signs in, never a secret).
    static func rows(_ profiles: [ProfileSummary]) -> OutputRows {
        let columns = [("NAME", "name"), ("DEFAULT", "default"), ("TARGET", "target"), ("ENDPOINT", "endpoint"), ("TENANT", "tenant_id"),
                       ("APP ID", "client_id"), ("SIGN-IN", "sign_in"), ("CREDENTIAL", "credential")]
        return OutputRows(columns: columns.map { OutputRows.Column($0.0, key: $0.1) }, rows: profiles.map {
            [$0.name, String($0.isDefault), $0.target, $0.endpoint, $0.tenant_id ?? "", $0.client_id ?? "", $0.sign_in, $0.credential]
        })
    }
}

extension ProfileSetting {
    /// `pcx profile show NAME -o csv|tsv`: one row per setting, as the table shows it (secrets redacted).
    static func rows(_ settings: [ProfileSetting]) -> OutputRows {
        let columns = [OutputRows.Column("SETTING", key: "setting"), OutputRows.Column("VALUE", key: "value"),
                       OutputRows.Column("FROM", key: "from")]
        return OutputRows(columns: columns, rows: settings.map { [$0.key, $0.shown, $0.from] })
    }
}
