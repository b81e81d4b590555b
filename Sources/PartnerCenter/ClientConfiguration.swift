import Foundation
import PartnerCenterModels
import Logging

/// A secret value (client secret, refresh token, access token) that never prints itself.
///
/// `description`, `debugDescription` and string interpolation all give `[REDACTED]`; only
/// ``reveal()`` returns the text, and the client calls it only to build a token request.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, ExpressibleByStringLiteral {
    private let value: String

    /// Wraps `value`.
    public init(_ value: String) { self.value = value }
    /// Wraps a literal.
    public init(stringLiteral value: String) { self.value = value }

    /// The secret text. Never log it.
    public func reveal() -> String { value }
    /// Always `[REDACTED]`.
    public var description: String { "[REDACTED]" }
    /// Always `Secret([REDACTED])`.
    public var debugDescription: String { "Secret([REDACTED])" }
}

/// Which Microsoft Entra token endpoint the client uses.
public enum TokenEndpointVersion: String, Sendable, Equatable {
    /// `{authority}/{tenant}/oauth2/token` with `resource=`.
    case v1
    /// `{authority}/{tenant}/oauth2/v2.0/token` with `scope=`.
    case v2
}

/// Something the client did, reported to ``ClientConfiguration/onEvent`` (never carries secrets).
public enum ClientEvent: Sendable, Equatable {
    /// An HTTP attempt is about to be sent (`attempt` 1 = first try).
    case sending(operation: String, method: String, path: String, requestId: String, attempt: Int)
    /// A response arrived.
    case response(operation: String, status: Int, requestId: String, attempt: Int)
    /// Partner Center answered 429 (`retryAfter` in seconds when it said).
    case throttled(operation: String, requestId: String, retryAfter: Double?)
    /// The call will be retried after `delay` because of `reason` (an error category).
    case retrying(operation: String, requestId: String, retry: Int, delay: Duration, reason: String)
    /// The market policy refused a cart request.
    case refused(operation: String, customerId: String, country: String?)
}

/// Waits for a duration; injectable so tests can observe backoff without waiting.
public typealias Sleeper = @Sendable (Duration) async throws -> Void

/// Everything a ``PartnerCenterClient`` needs: where to talk, who to be, and how to behave.
///
/// Build one directly, from the environment (``fromEnvironment(_:base:)``), or from a profile
/// file plus the environment (``load(profile:profileFile:environment:)``):
///
/// ```swift
/// var config = try ClientConfiguration.load(profile: "sandbox")
/// config.rateLimits = RateLimitPolicy(partnerRate: 50, customerRate: 50, concurrency: 16)
/// let client = try PartnerCenterClient(configuration: config)
/// ```
public struct ClientConfiguration: Sendable {
    /// Partner Center base URL (no `/v1`), e.g. `https://api.partnercenter.microsoft.com`.
    public var endpoint: String
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com`.
    public var authority: String
    /// Microsoft Graph base URL with its version segment, for reconciliation v2 (addendum §3):
    /// `https://graph.microsoft.com/v1.0` (or `/beta`). `PCX_GRAPH_ENDPOINT`, profile `graph_endpoint`.
    public var graphEndpoint: String = "https://graph.microsoft.com/v1.0"
    /// The Graph token audience (`https://graph.microsoft.com`): v1 `resource=`, v2 `{graphResource}/.default`.
    public var graphResource: String = GraphBilling.audience
    /// The partner's tenant ID or primary domain.
    public var tenantId: String?
    /// The Entra application (client) ID.
    public var clientId: String?
    /// The application's client secret.
    public var clientSecret: Secret?
    /// An App+User refresh token; when set, the client uses the refresh_token grant.
    public var refreshToken: Secret?
    /// File where the rotated refresh token is persisted (mode 0600); read at start when present.
    public var refreshTokenStore: String?
    /// A ready bearer token to use as-is (no token endpoint); for short-lived scripts and tests.
    public var accessToken: Secret?
    /// Token endpoint flavour.
    public var tokenEndpointVersion: TokenEndpointVersion
    /// The resource the token is for (`resource=` on v1; `{resource}/.default` or
    /// `{resource}/user_impersonation offline_access` on v2).
    public var resource: String
    /// Renew a cached token this long before it expires.
    public var tokenRenewalMargin: Duration
    /// Deadlines.
    public var timeouts: Timeouts
    /// Retry behaviour.
    public var retry: RetryPolicy
    /// Client-side rate limiting.
    public var rateLimits: RateLimitPolicy
    /// Markets where carts are refused.
    public var marketPolicy: MarketPolicy
    /// Sent as `MS-PartnerCenter-Application`.
    public var applicationName: String
    /// Sent as `X-Locale`.
    public var locale: String
    /// Sent as `MS-CorrelationId` on every call of this client; `nil` = a new one per call.
    public var correlationId: String?
    /// Largest response body read into memory (downloads stream to disk instead).
    public var maxResponseBytes: Int
    /// Pages of a collection fetched ahead of the caller (1–16; one more is in flight).
    public var prefetchPages: Int = 2
    /// Where the client logs (requests, retries, throttling; never secrets).
    public var logger: Logger
    /// How the client waits between retries and for rate-limit tokens.
    public var sleeper: Sleeper
    /// Called (synchronously, keep it cheap) for every attempt, response, retry and throttle; nil = none.
    public var onEvent: (@Sendable (ClientEvent) -> Void)?

    /// Creates a configuration; every parameter has a production default.
    public init(
        endpoint: String = partnerCenterProductionEndpoint,
        authority: String = "https://login.microsoftonline.com",
        tenantId: String? = nil, clientId: String? = nil, clientSecret: Secret? = nil,
        refreshToken: Secret? = nil, refreshTokenStore: String? = nil, accessToken: Secret? = nil,
        tokenEndpointVersion: TokenEndpointVersion = .v1,
        resource: String = "https://api.partnercenter.microsoft.com",
        tokenRenewalMargin: Duration = .seconds(300),
        timeouts: Timeouts = Timeouts(), retry: RetryPolicy = RetryPolicy(),
        rateLimits: RateLimitPolicy = RateLimitPolicy(), marketPolicy: MarketPolicy = MarketPolicy(),
        applicationName: String = "pcx", locale: String = "en-US", correlationId: String? = UUID().uuidString.lowercased(),
        maxResponseBytes: Int = 64 << 20,
        logger: Logger = Logger(label: "pcx.partnercenter"),
        sleeper: @escaping Sleeper = { try await Task.sleep(for: $0) },
        onEvent: (@Sendable (ClientEvent) -> Void)? = nil
    ) {
        self.onEvent = onEvent
        self.endpoint = endpoint
        self.authority = authority
        self.tenantId = tenantId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.refreshTokenStore = refreshTokenStore
        self.accessToken = accessToken
        self.tokenEndpointVersion = tokenEndpointVersion
        self.resource = resource
        self.tokenRenewalMargin = tokenRenewalMargin
        self.timeouts = timeouts
        self.retry = retry
        self.rateLimits = rateLimits
        self.marketPolicy = marketPolicy
        self.applicationName = applicationName
        self.locale = locale
        self.correlationId = correlationId
        self.maxResponseBytes = maxResponseBytes
        self.logger = logger
        self.sleeper = sleeper
    }

    /// The environment variables the client reads (`PCX_ENDPOINT` … `PCX_REFRESH_TOKEN`, plus
    /// `PCX_REFRESH_TOKEN_STORE`, `PCX_ACCESS_TOKEN`, `PCX_TOKEN_VERSION`, `PCX_LOCALE`,
    /// `PCX_EXCLUDED_MARKETS` (comma-separated)).
    public static let environmentKeys: [String] = [
        "PCX_ENDPOINT", "PCX_AUTHORITY", "PCX_TENANT_ID", "PCX_CLIENT_ID", "PCX_CLIENT_SECRET",
        "PCX_REFRESH_TOKEN", "PCX_REFRESH_TOKEN_STORE", "PCX_ACCESS_TOKEN", "PCX_TOKEN_VERSION",
        "PCX_LOCALE", "PCX_EXCLUDED_MARKETS", "PCX_GRAPH_ENDPOINT",
    ]

    /// Returns `base` with every set, non-empty `PCX_*` variable applied on top.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) for a malformed value.
    public static func fromEnvironment(
        _ environment: [String: String] = processEnvironment(),
        base: ClientConfiguration = ClientConfiguration()
    ) throws -> ClientConfiguration {
        var config = try policyFromEnvironment(environment, base: base)
        func value(_ key: String) -> String? { Self.value(key, in: environment) }
        if let v = value("PCX_ENDPOINT") { config.endpoint = v }
        if let v = value("PCX_GRAPH_ENDPOINT") { config.graphEndpoint = v }
        if let v = value("PCX_AUTHORITY") { config.authority = v }
        if let v = value("PCX_TENANT_ID") { config.tenantId = v }
        if let v = value("PCX_CLIENT_ID") { config.clientId = v }
        if let v = value("PCX_CLIENT_SECRET") { config.clientSecret = Secret(v) }
        if let v = value("PCX_REFRESH_TOKEN") { config.refreshToken = Secret(v) }
        if let v = value("PCX_REFRESH_TOKEN_STORE") { config.refreshTokenStore = v }
        if let v = value("PCX_ACCESS_TOKEN") { config.accessToken = Secret(v) }
        if let v = value("PCX_TOKEN_VERSION") {
            guard let version = TokenEndpointVersion(rawValue: v.lowercased()) else {
                throw PartnerCenterError(category: .invalidArgument, message: "PCX_TOKEN_VERSION must be v1 or v2, not '\(v)'")
            }
            config.tokenEndpointVersion = version
        }
        try config.validate()
        return config
    }

    /// Returns `base` with the variables that do not choose the endpoint or credentials applied:
    /// `PCX_LOCALE` and `PCX_EXCLUDED_MARKETS`. They hold for the embedded sandbox too.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) for a malformed market list.
    public static func policyFromEnvironment(
        _ environment: [String: String] = processEnvironment(),
        base: ClientConfiguration = ClientConfiguration()
    ) throws -> ClientConfiguration {
        var config = base
        if let v = value("PCX_LOCALE", in: environment) { config.locale = v }
        if let v = environment["PCX_EXCLUDED_MARKETS"] {
            // set at all, even empty, is a choice: read it strictly (an empty value must not turn
            // the market rule off by accident)
            config.marketPolicy.excludedMarkets = try parseMarketList(v, variable: "PCX_EXCLUDED_MARKETS")
        }
        return config
    }

    /// A set, non-empty variable's trimmed text.
    private static func value(_ key: String, in environment: [String: String]) -> String? {
        guard let text = environment[key]?.trimmingWhitespace(), !text.isEmpty else { return nil }
        return text
    }

    /// Loads a profile from the profile file (if any), then applies the environment on top.
    ///
    /// - Parameters:
    ///   - profile: the profile's name; `nil` means `PCX_PROFILE`, else `default` if the file has one.
    ///   - profileFile: the file; `nil` means `PCX_PROFILE_FILE`, else ``ProfileFile/defaultPath(environment:)``.
    ///   - environment: the process environment.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) when a named profile or its file is
    ///   missing, the file is malformed, or a key is unknown or has the wrong type.
    public static func load(
        profile: String? = nil, profileFile: String? = nil,
        environment: [String: String] = processEnvironment(),
        base: ClientConfiguration = ClientConfiguration()
    ) throws -> ClientConfiguration {
        let explicitName = profile ?? environment["PCX_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        let path = profileFile ?? environment["PCX_PROFILE_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProfileFile.defaultPath(environment: environment)
        var config = base
        if access(path, F_OK) == 0 { // (access: no FileManager on the start-up path)
            let file = try ProfileFile(contentsOf: path)
            let name = explicitName ?? "default"
            if let table = file.profiles[name] {
                config = try config.applying(table, path: path)
                let secretKeys: Set<String> = ["client_secret", "refresh_token", "access_token"]
                if !secretKeys.isDisjoint(with: table.values.keys),
                   let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
                   mode.intValue & 0o077 != 0 {
                    config.logger.warning(
                        "profile file holds secrets but is readable by other users; run: chmod 600 \(path)",
                        metadata: ["mode": "\(String(mode.intValue, radix: 8))"])
                }
            } else if explicitName != nil {
                let known = file.profiles.keys.sorted().joined(separator: ", ")
                throw PartnerCenterError(
                    category: .invalidArgument,
                    message: "profile '\(name)' is not in \(path) (profiles there: \(known.isEmpty ? "none" : known))",
                    hint: "add a [profile.\(name)] table or pick an existing profile")
            }
        } else if let explicitName {
            throw PartnerCenterError(
                category: .invalidArgument, message: "profile '\(explicitName)' requested but \(path) does not exist",
                hint: "create \(path) with a [profile.\(explicitName)] table")
        }
        return try fromEnvironment(environment, base: config)
    }

    /// The keys a profile table may contain.
    public static let profileKeys: [String] = [
        "endpoint", "graph_endpoint", "authority", "tenant_id", "client_id", "client_secret", "refresh_token",
        "refresh_token_store", "access_token", "token_version", "resource", "locale", "app_name",
        "excluded_markets", "connect_timeout", "request_timeout", "overall_timeout", "max_attempts",
        "retry_budget", "documented_limits", "rate_per_partner", "rate_per_customer", "burst", "concurrency",
        "prefetch_pages", "max_response_mib",
    ]

    /// Returns this configuration with the profile's keys applied.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) naming `path:line` for a bad key or value.
    public func applying(_ profile: ProfileFile.Profile, path: String = "<profile>") throws -> ClientConfiguration {
        var config = self
        for key in profile.values.keys.sorted() {
            let value = ProfileValue(key: key, value: profile.values[key]!, line: profile.lines[key] ?? 0,
                                     profile: profile.name, path: path)
            if try config.applyIdentity(value) || config.applyLimits(value) { continue }
            throw PartnerCenterError(
                category: .invalidArgument,
                message: "\(path):\(value.line): unknown key '\(key)' in profile '\(profile.name)'",
                hint: "known keys: " + ClientConfiguration.profileKeys.joined(separator: ", "))
        }
        return config
    }

    /// One key of a profile, read as the type its setting needs.
    struct ProfileValue {
        let key: String
        let value: ProfileFile.Value
        let line: Int
        let profile: String
        let path: String

        func fail(_ expected: String) -> PartnerCenterError {
            PartnerCenterError(
                category: .invalidArgument,
                message: "\(path):\(line): '\(key)' in profile '\(profile)' must be \(expected), not \(value.kindName)")
        }
        func string() throws -> String {
            guard case .string(let text) = value else { throw fail("a string") }
            return text
        }
        func number() throws -> Double {
            switch value {
            case .integer(let n): return Double(n)
            case .float(let n): return n
            default: throw fail("a number")
            }
        }
        func integer() throws -> Int {
            guard case .integer(let n) = value else { throw fail("an integer") }
            return n
        }
        func positiveNumber() throws -> Double { try positive(number(), fail) }
        func bool() throws -> Bool {
            guard case .bool(let flag) = value else { throw fail("true or false") }
            return flag
        }
    }

    /// Where and who: endpoint, authority, credentials, token settings, locale. False for other keys.
    private mutating func applyIdentity(_ v: ProfileValue) throws -> Bool {
        switch v.key {
        case "endpoint": endpoint = try v.string()
        case "graph_endpoint": graphEndpoint = try v.string()
        case "authority": authority = try v.string()
        case "tenant_id": tenantId = try v.string()
        case "client_id": clientId = try v.string()
        case "client_secret": clientSecret = Secret(try v.string())
        case "refresh_token": refreshToken = Secret(try v.string())
        case "refresh_token_store": refreshTokenStore = (try v.string() as NSString).expandingTildeInPath
        case "access_token": accessToken = Secret(try v.string())
        case "resource": resource = try v.string()
        case "locale": locale = try v.string()
        case "app_name": applicationName = try v.string()
        case "token_version":
            guard let version = TokenEndpointVersion(rawValue: try v.string().lowercased()) else { throw v.fail("\"v1\" or \"v2\"") }
            tokenEndpointVersion = version
        default: return false
        }
        return true
    }

    /// How: the market rule, timeouts, retries, rates, concurrency, response size. False for other keys.
    private mutating func applyLimits(_ v: ProfileValue) throws -> Bool {
        switch v.key {
        case "excluded_markets":
            // `[]` is an explicit choice (sell everywhere) and allowed; every entry must be a code
            guard case .array(let items) = v.value else { throw v.fail("an array of country codes") }
            let codes = try items.map { item -> String in
                guard case .string(let code) = item else { throw v.fail("an array of country codes") }
                return code
            }
            marketPolicy.excludedMarkets = try ClientConfiguration.parseMarkets(
                codes, source: "\(v.path):\(v.line)",
                hint: "excluded_markets is an array of ISO 3166-1 alpha-2 codes such as [\"BR\", \"CN\"]; [] sells everywhere")
        case "connect_timeout": timeouts.connect = .seconds(try v.positiveNumber())
        case "request_timeout": timeouts.request = .seconds(try v.positiveNumber())
        case "overall_timeout": timeouts.overall = .seconds(try v.positiveNumber())
        case "max_attempts": retry.maxAttempts = max(1, try v.integer())
        case "retry_budget": retry.retryBudget = try v.integer()
        case "rate_per_partner": rateLimits.partnerRate = try v.positiveNumber()
        case "rate_per_customer": rateLimits.customerRate = try v.positiveNumber()
        case "burst":
            let burst = try v.integer()
            rateLimits.partnerBurst = max(1, burst)
            rateLimits.customerBurst = max(1, burst)
        case "concurrency": rateLimits.concurrency = max(1, try v.integer())
        case "documented_limits": rateLimits.documented = try v.bool()
        case "prefetch_pages":
            let pages = try v.integer()
            guard (1...16).contains(pages) else { throw v.fail("a whole number of pages from 1 to 16") }
            prefetchPages = pages
        case "max_response_mib":
            let mib = try v.integer()
            guard (1...4096).contains(mib) else { throw v.fail("a whole number of MiB from 1 to 4096") }
            maxResponseBytes = mib << 20
        default: return false
        }
        return true
    }

    /// Checks the endpoint and authority are absolute http(s) URLs.
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`).
    public func validate() throws {
        for (name, text) in [("endpoint", endpoint), ("authority", authority), ("graph_endpoint", graphEndpoint)] {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", url.host != nil else {
                throw PartnerCenterError(
                    category: .invalidArgument, message: "\(name) '\(text)' is not an absolute http(s) URL",
                    hint: "e.g. https://api.partnercenter.microsoft.com or http://127.0.0.1:8080")
            }
        }
    }

    /// Reads a comma-separated market list from an environment variable: ISO 3166-1 alpha-2
    /// codes (any case, spaces around them and empty items between commas ignored), or `none`
    /// (any case) for an empty list. A value with no code at all (`""`, `" "`, `","`) or with an
    /// item that is not a code is an error naming the variable and the fix.
    static func parseMarketList(_ text: String, variable: String) throws -> Set<String> {
        let fix = "set \(variable) to comma-separated ISO 3166-1 alpha-2 codes such as BR,CN,RU, to none to sell in every market, or unset it for the default list"
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.lowercased() == "none" { return [] }
        let codes = trimmed.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        guard !codes.isEmpty else {
            throw PartnerCenterError(
                category: .invalidArgument,
                message: "\(variable) is set but lists no market ('\(text)'); an empty value would turn the market rule off",
                hint: fix)
        }
        if codes.contains(where: { $0.lowercased() == "none" }) {
            throw PartnerCenterError(
                category: .invalidArgument,
                message: "\(variable): 'none' cannot be combined with country codes ('\(text)')", hint: fix)
        }
        return try parseMarkets(codes, source: variable, hint: fix)
    }

    static func parseMarkets(_ codes: [String], source: String, hint: String? = nil) throws -> Set<String> {
        var result: Set<String> = []
        for code in codes {
            // exactly two ASCII letters, checked before uppercasing ("ß" must not become "SS")
            let letters = code.unicodeScalars
            guard letters.count == 2, letters.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) }) else {
                throw PartnerCenterError(
                    category: .invalidArgument,
                    message: "\(source): '\(code)' is not an ISO 3166-1 alpha-2 country code", hint: hint)
            }
            result.insert(code.uppercased())
        }
        return result
    }
}

private func positive(_ value: Double, _ fail: (String) -> PartnerCenterError) throws -> Double {
    guard value > 0, value.isFinite else { throw fail("a positive number") }
    return value
}

extension ProfileFile.Value {
    /// A word for the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float"
        case .bool: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        case .dateTime: return "a date-time"
        }
    }
}
