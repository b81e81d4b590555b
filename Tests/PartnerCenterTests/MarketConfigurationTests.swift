import Foundation
import Testing
@testable import PartnerCenter

/// The error `body` throws (nil when it does not throw).
private func configurationError(_ body: () throws -> Void) -> PartnerCenterError? {
    do {
        try body()
        return nil
    } catch let error as PartnerCenterError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite("excluded markets configuration")
struct MarketConfigurationTests {
    @Test("PCX_EXCLUDED_MARKETS set to a value with no market is an error naming the variable and the fix",
          arguments: [",", " ", "", ",,", " , ", "\t", " ,\t, "])
    func emptyListIsAnError(value: String) throws {
        let error = try #require(configurationError {
            _ = try ClientConfiguration.fromEnvironment(["PCX_EXCLUDED_MARKETS": value])
        }, "PCX_EXCLUDED_MARKETS='\(value)' was accepted (it turns the market rule off)")
        #expect(error.category == .invalidArgument)
        #expect(error.message.contains("PCX_EXCLUDED_MARKETS"), "\(error)")
        let hint = try #require(error.hint)
        #expect(hint.contains("none"), "\(error)")
        #expect(hint.contains("PCX_EXCLUDED_MARKETS"), "\(error)")
    }

    @Test("PCX_EXCLUDED_MARKETS=none (any case) is the explicit empty list")
    func noneMeansEmpty() throws {
        for value in ["none", "NONE", " None "] {
            let config = try ClientConfiguration.fromEnvironment(["PCX_EXCLUDED_MARKETS": value])
            #expect(config.marketPolicy.excludedMarkets.isEmpty, "\(value)")
        }
    }

    @Test("PCX_EXCLUDED_MARKETS with codes replaces the list; unset keeps the default")
    func codesAndDefault() throws {
        let config = try ClientConfiguration.fromEnvironment(["PCX_EXCLUDED_MARKETS": " br, cn ,RU,"])
        #expect(config.marketPolicy.excludedMarkets == ["BR", "CN", "RU"])
        let unset = try ClientConfiguration.fromEnvironment([:])
        #expect(unset.marketPolicy.excludedMarkets == MarketPolicy().excludedMarkets)
        #expect(!unset.marketPolicy.excludedMarkets.isEmpty)
    }

    @Test("PCX_EXCLUDED_MARKETS items that are not ISO alpha-2 codes are errors naming the item and the fix",
          arguments: ["BRA", "B", "B1", "12", "ß", "ÉU", "BR;CN", "none,BR", "BR,none"])
    func badCodesAreErrors(value: String) throws {
        let error = try #require(configurationError {
            _ = try ClientConfiguration.fromEnvironment(["PCX_EXCLUDED_MARKETS": value])
        }, "PCX_EXCLUDED_MARKETS='\(value)' was accepted")
        #expect(error.category == .invalidArgument)
        #expect(error.message.hasPrefix("PCX_EXCLUDED_MARKETS"), "\(error)")
        #expect(error.hint?.contains("none") == true, "\(error)")
    }

    @Test("a profile's excluded_markets = [] is an explicit choice and allowed")
    func emptyProfileArrayIsAllowed() throws {
        let file = try ProfileFile(parsing: "[profile.a]\nexcluded_markets = []\n", path: "p.toml")
        let config = try ClientConfiguration().applying(file.profiles["a"]!, path: "p.toml")
        #expect(config.marketPolicy.excludedMarkets.isEmpty)
    }

    @Test("a profile's excluded_markets entries must each be an alpha-2 code",
          arguments: ["[\"\"]", "[\" \"]", "[\"BR\", \"\"]", "[\"BRA\"]", "[\"ß\"]", "[\"B1\"]"])
    func badProfileEntriesAreErrors(array: String) throws {
        let file = try ProfileFile(parsing: "[profile.a]\nendpoint = \"http://127.0.0.1:9\"\nexcluded_markets = \(array)\n", path: "p.toml")
        let error = try #require(configurationError {
            _ = try ClientConfiguration().applying(file.profiles["a"]!, path: "p.toml")
        }, "excluded_markets = \(array) was accepted")
        #expect(error.message.contains("p.toml:3"), "\(error)")
        #expect(error.message.contains("ISO 3166-1 alpha-2"), "\(error)")
        #expect(error.hint?.contains("[]") == true, "\(error)")
    }

    @Test("the environment's strict reading applies on top of a profile too")
    func environmentOverProfile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-markets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("profiles.toml").path
        try "[profile.default]\nendpoint = \"http://127.0.0.1:9\"\nexcluded_markets = [\"BR\"]\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try ClientConfiguration.load(profileFile: path, environment: [:])
        #expect(fromFile.marketPolicy.excludedMarkets == ["BR"])
        #expect(configurationError { _ = try ClientConfiguration.load(profileFile: path, environment: ["PCX_EXCLUDED_MARKETS": ","]) } != nil)
        let none = try ClientConfiguration.load(profileFile: path, environment: ["PCX_EXCLUDED_MARKETS": "none"])
        #expect(none.marketPolicy.excludedMarkets.isEmpty)
    }
}
