import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// The string literals of Swift source text, comments skipped: each literal's text between its
/// delimiters with interpolations kept as written (`\(cid)`), and the line it starts on. Literals
/// nested in an interpolation are reported too (and stay part of the outer text).
enum SwiftStringLiterals {
    struct Literal: Equatable {
        let line: Int
        let text: String
    }

    static func extract(_ source: String) -> [Literal] {
        var lexer = Lexer(chars: Array(source.unicodeScalars))
        lexer.code(untilParen: false)
        return lexer.found.sorted { $0.line < $1.line }
    }

    private struct Lexer {
        let chars: [Unicode.Scalar]
        var index = 0
        var line = 1
        var found: [Literal] = []

        init(chars: [Unicode.Scalar]) { self.chars = chars }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? { index + offset < chars.count ? chars[index + offset] : nil }
        func starts(_ text: String) -> Bool {
            for (offset, scalar) in text.unicodeScalars.enumerated() where peek(offset) != scalar { return false }
            return true
        }
        mutating func advance(_ count: Int = 1) -> String {
            var out = String.UnicodeScalarView()
            for _ in 0..<count where index < chars.count {
                if chars[index] == "\n" { line += 1 }
                out.append(chars[index])
                index += 1
            }
            return String(out)
        }

        /// Code until the end of input, or (inside an interpolation) until the `)` that closes it,
        /// which is consumed. Returns the code's text.
        @discardableResult
        mutating func code(untilParen: Bool) -> String {
            var text = ""
            var depth = 0
            while index < chars.count {
                if starts("//") {
                    while let c = peek(), c != "\n" { text += advance() }
                } else if starts("/*") {
                    var nesting = 0
                    repeat {
                        if starts("/*") { nesting += 1; text += advance(2) } else if starts("*/") { nesting -= 1; text += advance(2) } else { text += advance() }
                    } while nesting > 0 && index < chars.count
                } else if peek() == "#" || peek() == "\"" {
                    var hashes = 0
                    while peek(hashes) == "#" { hashes += 1 }
                    if peek(hashes) == "\"" {
                        text += string(hashes: hashes)
                    } else {
                        text += advance(max(hashes, 1))
                    }
                } else if untilParen && peek() == "(" {
                    depth += 1
                    text += advance()
                } else if untilParen && peek() == ")" {
                    if depth == 0 { text += advance(); return text }
                    depth -= 1
                    text += advance()
                } else {
                    text += advance()
                }
            }
            return text
        }

        /// A string literal starting at `index` (`#`s, then `"` or `"""`); records it and returns its source text.
        mutating func string(hashes: Int) -> String {
            let startLine = line
            var source = advance(hashes)
            let multiline = starts("\"\"\"")
            let quote = multiline ? "\"\"\"" : "\""
            source += advance(quote.count)
            let closing = quote + String(repeating: "#", count: hashes)
            let escape = "\\" + String(repeating: "#", count: hashes)
            var body = ""
            while index < chars.count {
                if starts(closing) {
                    source += advance(closing.count)
                    found.append(Literal(line: startLine, text: body))
                    return source
                }
                if starts(escape) {
                    let head = advance(escape.count)
                    body += head
                    source += head
                    if peek() == "(" {
                        let open = advance()
                        let inner = code(untilParen: true)
                        body += open + inner
                        source += open + inner
                    } else {
                        let escaped = advance()
                        body += escaped
                        source += escaped
                    }
                    continue
                }
                if !multiline && peek() == "\n" { break }  // unterminated: stop at the line's end
                let c = advance()
                body += c
                source += c
            }
            found.append(Literal(line: startLine, text: body))
            return source
        }
    }
}

/// Finds hand-written paths of declared operations in Swift string literals.
enum HandWrittenPaths {
    /// One literal that spells a declared operation's path.
    struct Finding: CustomStringConvertible {
        let file: String
        let line: Int
        let operation: String
        let literal: String
        var description: String { "\(file):\(line): \"\(literal)\" spells the path of \(operation); use OperationCatalog[\"\(operation)\"].link(...)" }
    }

    /// An interpolation `\( … )` (two levels of nested parentheses), or literal text, in one segment.
    private static let placeholder = #"(?:\\\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)|[^/?#"\\\s])+"#

    /// A pattern per path template (main and alternate spellings) of every declared Partner Center
    /// operation: the template's literal segments (any case, `/v1` optional), each `{placeholder}`
    /// as interpolations or text, ending where the path ends (end of literal, `?`, `#`, space, punctuation).
    static let patterns: [(operation: String, regex: NSRegularExpression)] = OperationCatalog.all
        .filter { $0.host == .partnerCenter }
        .flatMap { op in ([op.path] + op.alternatePaths).map { (op.name, $0) } }
        .map { name, template in
            var segments = template.split(separator: "/").map(String.init)
            if segments.first?.lowercased() == "v1" { segments.removeFirst() }
            let body = segments.map { segment in
                segment.hasPrefix("{") && segment.hasSuffix("}") ? placeholder : NSRegularExpression.escapedPattern(for: segment)
            }.joined(separator: "/")
            let pattern = "(?:/v1)?/" + body + #"(?![A-Za-z0-9_~%/\\-])"#
            return (name, try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive]))
        }

    /// The declared operations whose path `text` spells.
    static func operations(in text: String) -> [String] {
        let range = NSRange(text.startIndex..., in: text)
        var names: [String] = []
        for (name, regex) in patterns where regex.firstMatch(in: text, range: range) != nil && !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// Every finding in `source`, reported under `file`.
    static func scan(_ source: String, file: String) -> [Finding] {
        SwiftStringLiterals.extract(source).flatMap { literal in
            operations(in: literal.text).map { Finding(file: file, line: literal.line, operation: $0, literal: literal.text) }
        }
    }
}

/// The package root, found from this file's path (`<root>/Tests/PartnerCenterSandboxTests/…`).
func packageRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

@Suite("The sandbox and the operation catalogue agree")
struct CatalogueAgreementTests {
    @Test("every declared operation (Partner Center and Graph) has a sandbox handler, and every handler names a declared operation")
    func handlersMatchCatalogue() {
        let declared = Set(OperationCatalog.all.map(\.name))
        let handled = Set(SandboxRoutes.names)
        let missing = declared.subtracting(handled).sorted()
        let undeclared = handled.subtracting(declared).sorted()
        #expect(missing.isEmpty, "declared in OperationCatalog but no handler in SandboxRoutes.handlers: \(missing.joined(separator: ", "))")
        #expect(undeclared.isEmpty, "handlers in SandboxRoutes.handlers for operations OperationCatalog does not declare: \(undeclared.joined(separator: ", "))")
        #expect(SandboxRoutes.names.count == SandboxRoutes.handlers.count)
    }

    @Test("each declared operation's own path, in every spelling, routes to that operation (no template shadows another)")
    func everyTemplateRoutesToItsOperation() {
        for op in OperationCatalog.all where op.host == .partnerCenter {
            for template in [op.path] + op.alternatePaths {
                var segments = template.split(separator: "/").map(String.init)
                if segments.first?.lowercased() == "v1" { segments.removeFirst() }
                let values = segments.map { $0.hasPrefix("{") ? "value-of-\($0.dropFirst().dropLast())" : $0 }
                let routed = SandboxRoutes.match(method: op.method, segments: values)
                #expect(routed?.0.name == op.name, "\(op.method) \(template) routes to \(routed?.0.name ?? "nothing")")
                for placeholder in APIOperation.placeholders(in: template) {
                    #expect(routed?.1[placeholder] == "value-of-\(placeholder)", "\(template): \(placeholder) is captured")
                }
                // Partner Center's paths are case-insensitive (base §1.4): so is the sandbox's routing
                #expect(SandboxRoutes.match(method: op.method, segments: values.map { $0.hasPrefix("value-of-") ? $0 : $0.uppercased() })?.0.name == op.name)
            }
        }
    }

    @Test("the path scanner finds hand-written operation paths in string literals, and ignores comments and other paths")
    func scannerSelfCheck() {
        let sample = #"""
        // Link(uri: "/customers/\(cid)/orders/\(order.id)") in a comment is not code
        /// `GET /customers/{id}/orders` in documentation is not code either
        let a = Link(uri: "/customers/\(cid)/orders/\(order.id)/provisioningstatus")
        let b = "/invoices/\(typeText)-\(id)/lineitems/\(providerPath)/\(typePath)"
        let c = Link(uri: "/customers/\(cid)/artifacts/reservedinstance/groups/\(g)/lineitems/\(l)/resource/\(r)")
        let d = "/offers/\(offer)?country=\(country)"
        let e = "/subscriptions/\(sub)"
        let f = "/v1/Customers/\(customerId(for: x, in: (a, b)))/subscriptions?x=1"
        let g = "/invoices?size=\(size)&offset=\(offset)"
        let h = "see \(x ? "/customers/\(cid)" : "nothing")"
        /* "/customers/\(cid)/carts/\(cart)" in a block comment */
        let i = """
            SELECT doc FROM orders WHERE customer_id = ?
            """
        """#
        let findings = HandWrittenPaths.scan(sample, file: "Sample.swift")
        let byLine = Dictionary(grouping: findings, by: \.line).mapValues { Set($0.map(\.operation)) }
        #expect(byLine[1] == nil && byLine[2] == nil && byLine[11] == nil, "comments are skipped: \(findings)")
        #expect(byLine[3] == ["orders.provisioning_status"])
        #expect(byLine[4] == ["invoices.line_items"], "the alternate (legacy) spelling is found")
        #expect(byLine[5] == ["entitlements.reservation_details"], "a placeholder written as text is found too")
        #expect(byLine[6] == ["offers.get"], "/offers/{offer_id} is declared (offers.get)")
        #expect(byLine[7] == nil, "an ARM scope is not a Partner Center path")
        #expect(byLine[8] == ["subscriptions.list"], "/v1, any case and nested parentheses: \(findings)")
        #expect(byLine[9] == ["invoices.list"], "a template without placeholders, followed by a query")
        #expect(byLine[10] == ["customers.get"], "a literal nested in an interpolation")
        #expect(byLine[12] == nil)
    }

    @Test("the sandbox writes no declared operation's path by hand: links come from OperationCatalog[…].link (Routes.swift excepted)")
    func noHandWrittenPaths() throws {
        let directory = packageRoot().appendingPathComponent("Sources/PartnerCenterSandbox")
        let enumerator = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil))
        var scanned = 0, literals = 0
        var findings: [HandWrittenPaths.Finding] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" && url.lastPathComponent != "Routes.swift" {
            let source = try String(contentsOf: url, encoding: .utf8)
            scanned += 1
            literals += SwiftStringLiterals.extract(source).count
            findings += HandWrittenPaths.scan(source, file: url.lastPathComponent)
        }
        #expect(scanned >= 15, "found the sandbox's sources under \(directory.path) (\(scanned) files)")
        #expect(literals >= 300, "read their string literals (\(literals))")
        #expect(findings.isEmpty, "\(findings.count) hand-written path(s):\n\(findings.map(\.description).joined(separator: "\n"))")
    }
}
