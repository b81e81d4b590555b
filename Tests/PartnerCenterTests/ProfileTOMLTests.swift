import Foundation
import Testing
@testable import PartnerCenter

/// The error of parsing `text` as a profile file, or nil when it parsed.
private func parseError(_ text: String, path: String = "p.toml") -> PartnerCenterError? {
    do {
        _ = try ProfileFile(parsing: text, path: path)
        return nil
    } catch let error as PartnerCenterError {
        return error
    } catch {
        Issue.record("not a PartnerCenterError: \(error)")
        return nil
    }
}

/// profiles.toml is TOML, read by TOMLKit: what the hand-written subset refused now works, and
/// bad TOML is `file:line: message` with a hint.
@Suite("profiles.toml is TOML")
struct ProfileTOMLTests {
    @Test("valid TOML the old subset refused is read: dotted keys, inline tables, multi-line strings and arrays, end-of-line comments")
    func readsWholeTOML() throws {
        let text = #"""
        # pcx profiles
        profile.dotted.endpoint = "http://127.0.0.1:9"
        profile.dotted.max_attempts = 2
        profile.inline = { endpoint = "http://127.0.0.1:7", client_id = "c-inline", retry_budget = 5 }

        [profile.lab]  # the loopback sandbox
        endpoint = "http://127.0.0.1:8080"   # pcx sandbox serve --port 8080
        client_secret = '''
        multi-line literal \n secret'''
        excluded_markets = [
          "BR",  # Brazil
          "CN",
        ]
        concurrency = 0x10
        request_timeout = 1_2.5e0
        locale = "en-\u0055S"
        app_name = """
        pcx \
           lab"""

        [ profile . "two words" ]
        tenant_id = "t2"
        """#
        let file = try ProfileFile(parsing: text, path: "p.toml")
        #expect(file.names == ["dotted", "inline", "lab", "two words"])
        let lab = try #require(file.profiles["lab"])
        #expect(lab.line == 6)
        #expect(lab.values["client_secret"] == .string("multi-line literal \\n secret"))
        #expect(lab.values["excluded_markets"] == .array([.string("BR"), .string("CN")]))
        #expect(lab.values["concurrency"] == .integer(16))
        #expect(lab.values["app_name"] == .string("pcx lab"))
        #expect(lab.lines == ["endpoint": 7, "client_secret": 8, "excluded_markets": 10, "concurrency": 14,
                              "request_timeout": 15, "locale": 16, "app_name": 17])
        let config = try ClientConfiguration().applying(lab, path: "p.toml")
        #expect(config.endpoint == "http://127.0.0.1:8080")
        #expect(config.clientSecret?.reveal() == "multi-line literal \\n secret")
        #expect(config.marketPolicy.excludedMarkets == ["BR", "CN"])
        #expect(config.rateLimits.concurrency == 16)
        #expect(config.timeouts.request == .seconds(12.5))
        #expect(config.locale == "en-US")
        #expect(config.applicationName == "pcx lab")

        #expect(file.profiles["two words"]?.line == 21)
        #expect(file.profiles["two words"]?.values == ["tenant_id": .string("t2")])
        let dotted = try ClientConfiguration().applying(try #require(file.profiles["dotted"]), path: "p.toml")
        #expect(dotted.endpoint == "http://127.0.0.1:9")
        #expect(dotted.retry.maxAttempts == 2)
        #expect(file.profiles["dotted"]?.lines == ["endpoint": 2, "max_attempts": 3])
        let inline = try #require(file.profiles["inline"])
        #expect(inline.line == 4)
        #expect(inline.lines == ["endpoint": 4, "client_id": 4, "retry_budget": 4])
        let inlineConfig = try ClientConfiguration().applying(inline, path: "p.toml")
        #expect(inlineConfig.clientId == "c-inline")
        #expect(inlineConfig.retry.retryBudget == 5)
    }

    @Test("every TOML example of the README reads and applies")
    func readmeExamples() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lines = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8).components(separatedBy: "\n")
        var blocks: [(Int, String)] = []
        var start: Int?
        var body: [String] = []
        for (index, line) in lines.enumerated() {
            if start == nil, line == "```toml" {
                start = index + 2
                body = []
            } else if let first = start, line == "```" {
                blocks.append((first, body.joined(separator: "\n")))
                start = nil
            } else if start != nil {
                body.append(line)
            }
        }
        #expect(!blocks.isEmpty)
        for (line, text) in blocks {
            let file = try ProfileFile(parsing: text, path: "README.md:\(line)")
            #expect(!file.profiles.isEmpty, "README.md:\(line)")
            for profile in file.profiles.values {
                _ = try ClientConfiguration().applying(profile, path: "README.md:\(line)")
            }
        }
    }

    @Test("a sub-table or a date in a profile is a wrong key or type at its own line")
    func subTablesAndDatesAreSemanticErrors() throws {
        let file = try ProfileFile(parsing: "[profile.a]\nendpoint = \"http://x\"\n\n[profile.a.timeouts]\nrequest = 5\n", path: "p.toml")
        #expect(file.profiles["a"]?.values["timeouts"] == .table(["request": .integer(5)]))
        #expect(file.profiles["a"]?.lines["timeouts"] == 4)
        #expect(throws: PartnerCenterError.self) { try ClientConfiguration().applying(file.profiles["a"]!, path: "p.toml") }
        do {
            _ = try ClientConfiguration().applying(file.profiles["a"]!, path: "p.toml")
        } catch let error as PartnerCenterError {
            #expect(error.message == "p.toml:4: unknown key 'timeouts' in profile 'a'")
        }
        let dated = try ProfileFile(parsing: "[profile.a]\nlocale = 1979-05-27T07:32:00Z\n", path: "p.toml")
        do {
            _ = try ClientConfiguration().applying(dated.profiles["a"]!, path: "p.toml")
            Issue.record("a date was accepted as a locale")
        } catch let error as PartnerCenterError {
            #expect(error.message == "p.toml:2: 'locale' in profile 'a' must be a string, not a date-time")
        }
    }

    /// (text, the whole message, the whole hint)
    static let badTOML: [(String, String, String)] = [
        ("[profile.a]\nendpoint = \"http://x\n",
         "p.toml:2: unterminated string in the value of 'endpoint' (missing closing \")",
         "close the string on the same line, or write a multi-line string between \"\"\" and \"\"\""),
        ("[profile.a]\nx = [\n  \"a\",\n  \"b\"\n",
         "p.toml:2: unclosed array in the value of 'x' (missing closing ']')",
         "close the array with ]; an array may span several lines"),
        ("[profile.a]\napp_name = \"\"\"\nline one\n",
         "p.toml:2: unterminated string in the value of 'app_name' (missing closing \")",
         "close the string on the same line, or write a multi-line string between \"\"\" and \"\"\""),
        ("[profile.a]\nconcurrency = sixteen\n",
         "p.toml:2: cannot read the value of 'concurrency', 'sixteen': strings must be quoted (\"…\")",
         "quote strings: key = \"value\"; numbers, true and false, [arrays] and { inline tables } are written bare"),
        ("[profile.a]\nendpoint = \"x\"\n\nendpoint = \"y\"\n",
         "p.toml:4: key 'endpoint' is set twice in profile 'a'", "keep one of the two"),
        ("[profile.a]\nx = 1\n[profile.b]\n[profile.a]\n",
         "p.toml:4: profile 'a' is defined twice", "merge the two tables into one, or rename one of them"),
        ("[profile.a]\nendpoint \"x\"\n",
         "p.toml:2: expected '=' after key 'endpoint'",
         "each line is key = value, a [profile.NAME] header or a # comment; strings are quoted: key = \"value\""),
        ("[profile.a]\nendpoint = \"x\" trailing\n",
         "p.toml:2: unexpected text after the value of 'endpoint'", "write one key = value per line; a # starts a comment"),
        ("[profile.a]\nlocale = \"en\\qUS\"\n",
         "p.toml:2: unknown escape '\\q' in the value of 'locale'",
         "write a backslash as \\\\, or use a 'literal string' (backslashes are plain there)"),
        ("[profile.a]\nx = { a = 1,\n b = 2 }\n",
         "p.toml:2: expected key or closing '}', saw '\\n' in the value of 'x'",
         "an inline table { … } must fit on one line (TOML 1.0); or write its keys under a [profile.NAME] header"),
        ("[profile.a]\nmax_attempts = 1979-13-01\n",
         "p.toml:2: expected month between 1 and 12 (inclusive), saw 13 in the value of 'max_attempts'",
         "profiles.toml is TOML (https://toml.io/en/v1.0.0): [profile.NAME] tables of key = value lines"),
    ]

    @Test("bad TOML is file:line: message with a hint, the key named", arguments: badTOML)
    func badTOMLIsFileLineMessage(text: String, message: String, hint: String) throws {
        let error = try #require(parseError(text), "accepted: \(text)")
        #expect(error.category == .invalidArgument)
        #expect(error.message == message)
        #expect(error.hint == hint)
    }

    /// (text, the whole message): documents that are TOML but not made of profile tables.
    static let badShape: [(String, String)] = [
        ("endpoint = \"x\"\n[profile.a]\n", "p.toml:1: key 'endpoint' is outside any [profile.NAME] table"),
        ("[profile.a]\nx = 1\n\n[server]\nport = 1\n", "p.toml:4: table [server] is not a [profile.NAME] table"),
        ("[[profile]]\nendpoint = \"x\"\n", "p.toml:1: 'profile' must hold [profile.NAME] tables, not an array of tables ([[profile]])"),
        ("profile = \"lab\"\n", "p.toml:1: 'profile' must hold [profile.NAME] tables, not a string"),
        ("[profile]\nlab = 1\n", "p.toml:2: profile 'lab' must be a table, not an integer"),
        ("[profile.\"\"]\nx = 1\n", "p.toml:1: the profile name is empty"),
        ("[profile.a]\nx = 1\nbad = \"\u{0}\"\n", "p.toml:3: the file holds a NUL character: profiles.toml must be UTF-8 text"),
    ]

    @Test("a document that is TOML but not [profile.NAME] tables is refused at the line", arguments: badShape)
    func badShapeIsRefused(text: String, message: String) throws {
        let error = try #require(parseError(text), "accepted: \(text)")
        #expect(error.message == message)
        #expect(error.hint?.isEmpty == false)
    }

    @Test("parser messages never show a secret: digits, inline tables, multi-line strings, table names")
    func parserMessagesNeverShowSecrets() throws {
        let digits = "91234567890123456789012345"
        let cases: [(String, String, String)] = [
            // a secret made of digits, too large for an integer: toml++ quotes the digits
            ("[profile.a]\nclient_secret = \(digits)\n", digits, "p.toml:2: "),
            ("[profile.a]\nclient_secret = \(digits).5e99999\n", digits, "p.toml:2: "),
            // a secret inside an inline table, unquoted
            ("[profile.a]\nauth = { client_secret = Gqxzvbnmwkj~rt }\n", "Gqxzvbnmwkj", "p.toml:2: "),
            ("profile.a = { client_secret = \"Gqxzvbnmwkj\\y\" }\n", "\\y", "p.toml:1: "),
            // a bad escape on the second line of a multi-line secret
            ("[profile.a]\nclient_secret = \"\"\"Gqxzv\nbnmwkj\\y\"\"\"\n", "\\y", "p.toml:3: "),
            // a secret pasted as a table header, twice
            ("[profile.a]\n[Gqxzvbnmwkj.secret]\nx = 1\n[Gqxzvbnmwkj.secret]\n", "Gqxzvbnmwkj", "p.toml:4: "),
            ("[profile.a]\n[Gqxzvbnmwkj]\nx = 1\n[Gqxzvbnmwkj]\n", "Gqxzvbnmwkj", "p.toml:4: "),
        ]
        for (text, secret, location) in cases {
            let error = try #require(parseError(text), "accepted: \(text)")
            let shown = "\(error.message) \(error.hint ?? "")"
            #expect(!shown.contains(secret), "\(text) -> \(shown)")
            #expect(error.message.hasPrefix(location), "\(text) -> \(shown)")
        }
        // the key is named where it looks like one
        let named = try #require(parseError("[profile.a]\nclient_secret = \(digits)\n"))
        #expect(named.message == "p.toml:2: the value (not shown) is not representable in 64 bits in the value of 'client_secret'")
    }

    @Test("a file on disk that is not UTF-8 or cannot be read is an input error naming it")
    func unreadableFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-toml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let latin1 = directory.appendingPathComponent("latin1.toml")
        try Data([0x5B, 0x70, 0x5D, 0x0A, 0x78, 0x20, 0x3D, 0x20, 0x22, 0xE9, 0x22, 0x0A]).write(to: latin1)
        #expect(throws: PartnerCenterError.self) { try ProfileFile(contentsOf: latin1.path) }
        do {
            _ = try ProfileFile(contentsOf: directory.path)
            Issue.record("a directory was read as a profile file")
        } catch let error as PartnerCenterError {
            #expect(error.message.hasPrefix("cannot read profile file \(directory.path)"), "\(error)")
        }
    }
}
