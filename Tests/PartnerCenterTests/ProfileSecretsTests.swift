import Foundation
import Testing
@testable import PartnerCenter

/// A random secret shaped like an Azure client secret (segments joined by `~`, `.`, `_`), drawn
/// from letters that are not hex digits so it cannot collide with a UUID in a temporary path.
private func randomSecret() -> String {
    let upper = Array("GHJKLMNPQRSTVWXYZ"), alphabet = Array("GHJKLMNPQRSTVWXYZghjkmnpqrstvwxyz")
    func segment(_ n: Int) -> String { String((0..<n).map { _ in alphabet.randomElement()! }) }
    // starts with a capital, like most secrets (so its first word never looks like a key name)
    return String(upper.randomElement()!) + segment(9) + "~" + segment(6) + "." + segment(8) + "_" + segment(6)
}

/// A random run of digits (a secret that parses as an integer).
private func randomDigits() -> String {
    "9" + String((0..<13).map { _ in "0123456789".randomElement()! })
}

/// Fails when any 6 consecutive characters of `secret` appear in `text`.
private func expectNoEcho(_ secret: String, in text: String, _ label: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let chars = Array(secret)
    for start in 0...(chars.count - 6) {
        let window = String(chars[start..<start + 6])
        if text.contains(window) {
            Issue.record("\(label): the error shows '\(window)' of the secret: \(text)", sourceLocation: sourceLocation)
            return
        }
    }
}

/// The error of parsing `text` as a profile file (nil when it parsed).
private func parseError(_ text: String) -> PartnerCenterError? {
    do {
        _ = try ProfileFile(parsing: text, path: "profiles.toml")
        return nil
    } catch let error as PartnerCenterError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite("profiles.toml errors never echo secrets")
struct ProfileSecretsTests {
    /// Malformed lines for a secret-bearing key: (label, the line with SECRET in it, the key).
    static let malformed: [(String, String)] = [
        ("unquoted", "KEY = SECRET"),
        ("unquoted with a comment after it", "KEY = SECRET # rotated monthly"),
        ("unterminated basic string", "KEY = \"SECRET"),
        ("unterminated literal string", "KEY = 'SECRET"),
        ("bad escape inside", "KEY = \"SECRET\\ySECRET\""),
        ("bad \\u escape inside", "KEY = \"SECRET\\u12\""),
        ("escape at the end of the line", "KEY = \"SECRET\\"),
        ("unquoted inside an array", "KEY = [SECRET]"),
        ("unclosed array", "KEY = [\"SECRET\""),
        ("text after the value", "KEY = \"SECRET\" SECRET"),
        ("two values", "KEY = \"SECRET\", \"SECRET\""),
    ]

    static let secretKeys = ["client_secret", "refresh_token", "access_token", "my_password", "vault_token",
                             "Client_Secret", "db_secret_2"]

    @Test("a malformed value of a secret-bearing key names file, line and key, never the value")
    func malformedSecretValues() throws {
        for key in Self.secretKeys {
            for (label, template) in Self.malformed {
                let secret = randomSecret()
                let line = template.replacingOccurrences(of: "KEY", with: key).replacingOccurrences(of: "SECRET", with: secret)
                let text = "# profiles\n[profile.work]\nendpoint = \"https://api.partnercenter.microsoft.com\"\n\(line)\n"
                let error = try #require(parseError(text), "\(label) for \(key) was accepted: \(line)")
                let shown = String(describing: error)
                #expect(error.category == .invalidArgument)
                #expect(error.message.contains("profiles.toml:4"), "\(label): \(shown)")
                #expect(error.message.contains("'\(key)'"), "\(label) does not name the key: \(shown)")
                expectNoEcho(secret, in: shown, "\(label) for \(key)")
                expectNoEcho(secret, in: error.message, "\(label) for \(key)")
                expectNoEcho(secret, in: error.hint ?? "", "\(label) for \(key)")
            }
        }
    }

    @Test("a bad escape in a secret does not show the escaped character; elsewhere it still does")
    func badEscapeCharacter() throws {
        let secretError = try #require(parseError("[profile.a]\nclient_secret = \"ab\\qcd\"\n"))
        #expect(!String(describing: secretError).contains("\\q"), "\(secretError)")
        #expect(secretError.message.contains("'client_secret'"))
        let plainError = try #require(parseError("[profile.a]\nlocale = \"ab\\qcd\"\n"))
        #expect(plainError.message.contains("unknown escape '\\q'"), "\(plainError)")
    }

    @Test("a secret pasted on a line of its own is not echoed as a key")
    func secretOnItsOwnLine() throws {
        let secret = randomSecret()
        // only bare characters (read as a key in full)
        let bare = secret.replacingOccurrences(of: "~", with: "").replacingOccurrences(of: ".", with: "")
        for line in [secret, bare, "  " + secret, secret + " = x"] {
            let error = try #require(parseError("[profile.work]\nclient_id = \"c\"\n\(line)\n"), "accepted \(line)")
            #expect(error.message.contains("profiles.toml:3"), "\(error)")
            expectNoEcho(secret, in: String(describing: error), "pasted line")
            expectNoEcho(bare, in: String(describing: error), "pasted bare line")
        }
        // a line without '=' names no word of it, however plain or secret-named it looks; only a
        // known key is named ("endpoint" without its '=')
        for line in ["this is not toml", "supersecretvalue123", "\"quoted-secret-xyz\""] {
            let error = try #require(parseError(line + "\n"))
            #expect(error.message.contains("expected '=' after the line's first word (not shown"), "\(error)")
            let word = line.split(separator: " ")[0].replacingOccurrences(of: "\"", with: "")
            #expect(!String(describing: error).contains(word), "\(line): \(error)")
        }
        let known = try #require(parseError("[profile.p]\nendpoint \"http://x\"\n"))
        #expect(known.message.contains("expected '=' after key 'endpoint'"), "\(known)")
    }

    @Test("secret-bearing keys set twice, outside a table or with the wrong type never show the value")
    func otherPaths() throws {
        let secret = randomSecret()
        let twice = try #require(parseError("[profile.a]\nclient_secret = \"\(secret)\"\nclient_secret = \"\(secret)\"\n"))
        #expect(twice.message.contains("profiles.toml:3"))
        #expect(twice.message.contains("'client_secret'"))
        expectNoEcho(secret, in: String(describing: twice), "set twice")

        let outside = try #require(parseError("refresh_token = \"\(secret)\"\n[profile.a]\n"))
        #expect(outside.message.contains("profiles.toml:1"))
        #expect(outside.message.contains("'refresh_token'"))
        expectNoEcho(secret, in: String(describing: outside), "outside a table")

        // wrong types are found when the profile is applied (through the public loader)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("profiles.toml")
        let digits = randomDigits()
        for (line, value) in [("client_secret = \(digits)", digits), ("access_token = [\"\(secret)\"]", secret),
                              ("refresh_token = \(digits).5", digits)] {
            try "[profile.default]\nendpoint = \"http://127.0.0.1:9\"\n\(line)\n".write(to: file, atomically: true, encoding: .utf8)
            do {
                _ = try ClientConfiguration.load(profileFile: file.path, environment: [:])
                Issue.record("accepted \(line)")
            } catch let error as PartnerCenterError {
                #expect(error.message.contains("profiles.toml:3"), "\(error)")
                expectNoEcho(value, in: String(describing: error), "wrong type: \(line)")
            }
        }
    }

    @Test("values of ordinary keys are still quoted when short, so typos stay easy to find")
    func ordinaryValuesStillShown() throws {
        let error = try #require(parseError("[profile.a]\nconcurrency = sixteen\n"))
        #expect(error.message.contains("'sixteen'"), "\(error)")
        #expect(error.message.contains("'concurrency'"), "\(error)")
    }

    @Test("which keys count as secret-bearing")
    func secretKeyNames() {
        for key in ["client_secret", "refresh_token", "access_token", "password", "DB_PASSWORD", "my_token_2", "secret"] {
            #expect(ProfileFile.isSecretKey(key), "\(key)")
        }
        for key in ["endpoint", "tenant_id", "client_id", "locale", "excluded_markets"] {
            #expect(!ProfileFile.isSecretKey(key), "\(key)")
        }
    }
}
