import Foundation
import Testing
@testable import PartnerCenter

@Suite("Profile files")
struct ProfileFileTests {
    @Test("a profile file with tables, strings, numbers and arrays is read exactly")
    func parsesValidFile() throws {
        let text = """
        # pcx profiles
        [profile.default]
        endpoint = "https://api.partnercenter.microsoft.com"
        tenant_id = 'contoso.onmicrosoft.com'   # literal string
        client_secret = "s3cr\\"et\\u0041"

        [profile."sand box"]
        endpoint = "http://127.0.0.1:8080"
        excluded_markets = ["BR", "cn", "RU",]
        concurrency = 16
        rate_per_partner = 12.5
        """
        let file = try ProfileFile(parsing: text, path: "p.toml")
        #expect(file.profiles.count == 2)
        #expect(file.profiles["default"]?.values["tenant_id"] == .string("contoso.onmicrosoft.com"))
        #expect(file.profiles["default"]?.values["client_secret"] == .string("s3cr\"etA"))
        let sandbox = try #require(file.profiles["sand box"])
        #expect(sandbox.values["excluded_markets"] == .array([.string("BR"), .string("cn"), .string("RU")]))
        #expect(sandbox.values["concurrency"] == .integer(16))
        #expect(sandbox.lines["concurrency"] == 10)

        let config = try ClientConfiguration().applying(sandbox, path: "p.toml")
        #expect(config.endpoint == "http://127.0.0.1:8080")
        #expect(config.marketPolicy.excludedMarkets == ["BR", "CN", "RU"])
        #expect(config.rateLimits.concurrency == 16)
        #expect(config.rateLimits.partnerRate == 12.5)
    }

    @Test("bad profile input is refused with the file, line and problem", arguments: [
        ("[profile.a]\nendpoint = \"http://x", "p.toml:2", "unterminated"),
        ("endpoint = \"x\"", "p.toml:1", "outside any [profile.NAME]"),
        ("[profile.a]\nendpoint = http://x", "p.toml:2", "must be quoted"),
        ("[profile.a]\nendpoint = \"x\"\nendpoint = \"y\"", "p.toml:3", "set twice"),
        ("[server]\nx = \"1\"", "p.toml:1", "[profile.NAME]"),
        ("[profile.a]\nendpoint \"x\"", "p.toml:2", "expected '='"),
        ("[profile.a]\nendpoint = \"x\" trailing", "p.toml:2", "unexpected text"),
        ("[profile.a]\n[profile.a]", "p.toml:2", "defined twice"),
        ("[profile.a]\nx = [\"a\", \"b\"", "p.toml:2", "unclosed array"),
        ("[profile.a]\nx = \"bad \\q escape\"", "p.toml:2", "unknown escape"),
    ])
    func refusesBadInput(text: String, location: String, problem: String) {
        do {
            _ = try ProfileFile(parsing: text, path: "p.toml")
            Issue.record("accepted bad input: \(text)")
        } catch let error as PartnerCenterError {
            #expect(error.category == .invalidArgument)
            #expect(error.message.contains(location), "\(error.message)")
            #expect(error.message.contains(problem), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("unknown keys and wrongly typed values in a profile name the key and the line")
    func refusesUnknownKeysAndTypes() throws {
        let file = try ProfileFile(parsing: "[profile.a]\nendpont = \"x\"\n", path: "p.toml")
        #expect(throws: PartnerCenterError.self) { try ClientConfiguration().applying(file.profiles["a"]!, path: "p.toml") }
        do {
            _ = try ClientConfiguration().applying(file.profiles["a"]!, path: "p.toml")
        } catch let error as PartnerCenterError {
            #expect(error.message.contains("p.toml:2"))
            #expect(error.message.contains("unknown key 'endpont'"))
        }
        let typed = try ProfileFile(parsing: "[profile.a]\nconcurrency = \"16\"\n", path: "p.toml")
        do {
            _ = try ClientConfiguration().applying(typed.profiles["a"]!, path: "p.toml")
            Issue.record("accepted a string concurrency")
        } catch let error as PartnerCenterError {
            #expect(error.message.contains("must be an integer"))
        }
        let markets = try ProfileFile(parsing: "[profile.a]\nexcluded_markets = [\"BRA\"]\n", path: "p.toml")
        #expect(throws: PartnerCenterError.self) { try ClientConfiguration().applying(markets.profiles["a"]!, path: "p.toml") }
    }

    @Test("a profile is loaded by name from XDG_CONFIG_HOME and the environment overrides it")
    func loadsProfileAndEnvironment() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("pcx"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        [profile.work]
        endpoint = "http://127.0.0.1:9"
        tenant_id = "t-from-file"
        client_id = "c-from-file"
        """.write(to: directory.appendingPathComponent("pcx/profiles.toml"), atomically: true, encoding: .utf8)
        let environment = ["XDG_CONFIG_HOME": directory.path, "PCX_CLIENT_ID": "c-from-env", "PCX_EXCLUDED_MARKETS": "ru, cn"]
        let config = try ClientConfiguration.load(profile: "work", environment: environment)
        #expect(config.endpoint == "http://127.0.0.1:9")
        #expect(config.tenantId == "t-from-file")
        #expect(config.clientId == "c-from-env")
        #expect(config.marketPolicy.excludedMarkets == ["RU", "CN"])
        #expect(throws: PartnerCenterError.self) { try ClientConfiguration.load(profile: "missing", environment: environment) }
        #expect(ProfileFile.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.config/pcx/profiles.toml")
    }

    @Test("the environment variables configure endpoint, authority and credentials")
    func readsEnvironment() throws {
        let config = try ClientConfiguration.fromEnvironment([
            "PCX_ENDPOINT": "http://127.0.0.1:1234", "PCX_AUTHORITY": "http://127.0.0.1:1235",
            "PCX_TENANT_ID": "tenant", "PCX_CLIENT_ID": "client", "PCX_CLIENT_SECRET": "very-secret-value",
            "PCX_REFRESH_TOKEN": "refresh-token-value", "PCX_TOKEN_VERSION": "V2",
        ])
        #expect(config.endpoint == "http://127.0.0.1:1234")
        #expect(config.authority == "http://127.0.0.1:1235")
        #expect(config.clientSecret?.reveal() == "very-secret-value")
        #expect(config.refreshToken?.reveal() == "refresh-token-value")
        #expect(config.tokenEndpointVersion == .v2)
        #expect(throws: PartnerCenterError.self) { try ClientConfiguration.fromEnvironment(["PCX_ENDPOINT": "not a url"]) }
        #expect(throws: PartnerCenterError.self) { try ClientConfiguration.fromEnvironment(["PCX_TOKEN_VERSION": "v3"]) }
    }
}

@Suite("Retry-After")
struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 784_111_777) // Sun, 06 Nov 1994 08:49:37 GMT

    @Test("Retry-After in seconds is read as seconds")
    func seconds() {
        #expect(RetryAfter.parse("57", now: now) == 57)
        #expect(RetryAfter.parse(" 0 ", now: now) == 0)
        #expect(RetryAfter.parse("1.5", now: now) == 1.5)
    }

    @Test("Retry-After as an HTTP date in all three RFC 9110 forms is the time until that date")
    func httpDates() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:50:37 GMT", now: now) == 60)
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:50:07 GMT", now: now) == 30)
        #expect(RetryAfter.parse("Sun Nov  6 08:49:47 1994", now: now) == 10)
    }

    @Test("a Retry-After date in the past means no wait; garbage is ignored")
    func pastAndGarbage() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0)
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
        #expect(RetryAfter.parse("", now: now) == nil)
    }
}
