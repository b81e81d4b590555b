import Foundation

/// A configuration problem: what was wrong, where, and how to fix it. Never contains secrets.
public struct SandboxConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `bad_duration`, `bad_fault_spec`.
    public let code: String
    /// The option or field the problem is in, e.g. `--faults`.
    public let option: String
    /// What was wrong and how to fix it.
    public let message: String
    /// Makes an error.
    public init(code: String, option: String, message: String) {
        self.code = code
        self.option = option
        self.message = message
    }
    /// `option: message`.
    public var description: String { "\(option): \(message)" }
}

/// Where the sandbox keeps its state.
public enum SandboxStorage: Sendable, Equatable {
    /// A private in-memory SQLite database (state is lost at shutdown).
    case inMemory
    /// A SQLite file; created and seeded on first use, reused (not reseeded) afterwards.
    case file(String)

    /// Parses `--db`: `:memory:` or a path.
    public static func parse(_ text: String) -> SandboxStorage {
        text == ":memory:" || text.isEmpty ? .inMemory : .file(text)
    }
}

/// A token-bucket limit: `requests` per `per` seconds, refilled continuously, at most `burst`
/// requests at once (default `requests`).
public struct RateLimit: Sendable, Equatable {
    /// Refill amount per period.
    public var requests: Int
    /// The period in seconds.
    public var per: Double
    /// Bucket capacity.
    public var burst: Int
    /// Makes a limit.
    public init(requests: Int, per: Double, burst: Int? = nil) {
        self.requests = requests
        self.per = per
        self.burst = max(1, burst ?? requests)
    }
}

/// Throttling limits. By default the sandbox enforces Partner Center's documented limits the way
/// the client follows them: one bucket per row of `APIOperation.Throttle.table` with a figure and
/// per partition (partner, or partner + customer), e.g. 500 requests per minute on each
/// customer's Order resource. Optional generic limits apply to every route per partner and per
/// partner + customer, and `listed` to routes listed as throttled without a published figure
/// (carts and checkout), per their group and partition.
public struct RateLimits: Sendable, Equatable {
    /// Enforce the documented limits (default true).
    public var documented: Bool
    /// Per partner tenant, every API route; nil = none (default).
    public var partner: RateLimit?
    /// Per partner + customer tenant, customer-scoped routes; nil = none (default).
    public var customer: RateLimit?
    /// Routes listed as throttled with no published figure, per group and partition; nil = none (default).
    public var listed: RateLimit?

    /// The documented limits only.
    public static let `default` = RateLimits(partner: nil, customer: nil)
    /// No throttling.
    public static let unlimited = RateLimits(documented: false, partner: nil, customer: nil)

    /// Makes limits.
    public init(documented: Bool = true, partner: RateLimit?, customer: RateLimit?, listed: RateLimit? = nil) {
        self.documented = documented
        self.partner = partner
        self.customer = customer
        self.listed = listed
    }

    /// The documented limit of a throttling rule as the sandbox enforces it: the published rate,
    /// with a bucket ten seconds deep (Partner Center publishes no burst size).
    public static func documentedLimit(perMinute: Int) -> RateLimit {
        RateLimit(requests: perMinute, per: 60, burst: max(1, perMinute / 6))
    }

    /// Parses `--rate-limit SPEC`.
    ///
    /// SPEC is `off`, or comma-separated `SCOPE=N/PERIOD` with SCOPE `partner`, `customer` or
    /// `listed`, N a positive integer or `off`, PERIOD a duration (`1m`, `30s`) or
    /// `s`/`sec`/`min`/`minute`/`h`; or `documented=on|off`. Scopes not named keep their defaults
    /// (the documented limits on, the others off). Example: `partner=100/1m,customer=10/30s`.
    /// - Throws: ``SandboxConfigurationError`` (`bad_rate_limit`) naming the bad part.
    public static func parse(_ spec: String, base: RateLimits = .default) throws -> RateLimits {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "off" || trimmed.lowercased() == "none" { return .unlimited }
        var result = base
        for part in trimmed.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            func bad(_ why: String) -> SandboxConfigurationError {
                SandboxConfigurationError(code: "bad_rate_limit", option: "--rate-limit",
                    message: "'\(part)': \(why); expected SCOPE=N/PERIOD with SCOPE partner|customer|listed, e.g. partner=100/1m,customer=10/30s, documented=on|off, or 'off'")
            }
            guard pieces.count == 2 else { throw bad("missing '='") }
            let scope = pieces[0].lowercased()
            if scope == "documented" {
                switch pieces[1].lowercased() {
                case "on", "true", "yes": result.documented = true
                case "off", "false", "no": result.documented = false
                default: throw bad("documented is on or off")
                }
                continue
            }
            let limit: RateLimit?
            if pieces[1].lowercased() == "off" {
                limit = nil
            } else {
                let rate = pieces[1].split(separator: "/", maxSplits: 1).map(String.init)
                guard rate.count == 2, let count = Int(rate[0]), count > 0 else { throw bad("the request count must be a positive integer") }
                let period: Double
                switch rate[1].lowercased() {
                case "s", "sec", "second": period = 1
                case "m", "min", "minute": period = 60
                case "h", "hour": period = 3600
                default:
                    guard let seconds = try? SandboxDuration.parse(rate[1], option: "--rate-limit"), seconds > 0 else {
                        throw bad("'\(rate[1])' is not a period")
                    }
                    period = seconds
                }
                limit = RateLimit(requests: count, per: period)
            }
            switch scope {
            case "partner": result.partner = limit
            case "customer": result.customer = limit
            case "listed": result.listed = limit
            default: throw bad("unknown scope '\(pieces[0])'")
            }
        }
        return result
    }
}

/// Durations on the command line: `250ms`, `30s`, `15m`, `2h`, `7d`, combinations (`1h30m`) or bare seconds.
public enum SandboxDuration {
    /// Parses a duration into seconds.
    /// - Throws: ``SandboxConfigurationError`` (`bad_duration`) for anything else.
    public static func parse(_ text: String, option: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        func bad() -> SandboxConfigurationError {
            SandboxConfigurationError(code: "bad_duration", option: option,
                message: "'\(text)' is not a duration; use a number with a unit, e.g. 250ms, 30s, 15m, 2h, 7d, 1h30m, or bare seconds")
        }
        guard !trimmed.isEmpty else { throw bad() }
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        var total = 0.0
        var number = ""
        var index = trimmed.startIndex
        var sawUnit = false
        while index < trimmed.endIndex {
            let char = trimmed[index]
            if char.isNumber || char == "." {
                number.append(char)
                index = trimmed.index(after: index)
                continue
            }
            var unit = ""
            while index < trimmed.endIndex, trimmed[index].isLetter {
                unit.append(trimmed[index])
                index = trimmed.index(after: index)
            }
            guard let value = Double(number), !unit.isEmpty else { throw bad() }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s", "sec": scale = 1
            case "m", "min": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: throw bad()
            }
            total += value * scale
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { throw bad() }
        return total
    }

    /// Renders seconds compactly (`90` → `1m30s`).
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 && seconds > 0 { return "\(Int((seconds * 1000).rounded()))ms" }
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var text = ""
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}

/// How much seeded data to generate beyond the baseline.
public struct SandboxScale: Sendable, Equatable {
    /// Extra customers for the first partner (baseline ~26).
    public var customers: Int
    /// One-time line items of the scale invoice (`G100000001`); 0 = no scale invoice.
    public var lineItems: Int
    /// Extra historical invoices for the first partner.
    public var invoices: Int
    /// Reconciliation lines of the Graph scale invoice (`G100000002`, the newest); 0 = none.
    public var reconLines: Int = 0
    /// Daily-rated usage lines of the Graph scale invoice's billed usage export.
    public var usageLines: Int = 0

    /// The baseline: no extra data.
    public static let baseline = SandboxScale(customers: 0, lineItems: 0, invoices: 0)

    /// Makes a scale.
    public init(customers: Int, lineItems: Int, invoices: Int, reconLines: Int = 0, usageLines: Int = 0) {
        self.customers = customers
        self.lineItems = lineItems
        self.invoices = invoices
        self.reconLines = reconLines
        self.usageLines = usageLines
    }

    /// Parses `--scale SPEC`: comma-separated `customers=N`, `lineitems=N`, `invoices=N`,
    /// `reconlines=N`, `usagelines=N` (the Graph scale invoice);
    /// N accepts `k`/`m` suffixes (`lineitems=1m` = 1,000,000). `bench` = `lineitems=1000000`.
    /// - Throws: ``SandboxConfigurationError`` (`bad_scale`).
    public static func parse(_ spec: String) throws -> SandboxScale {
        var scale = SandboxScale.baseline
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !part.isEmpty {
            if part == "bench" { scale.lineItems = 1_000_000; continue }
            func bad(_ why: String) -> SandboxConfigurationError {
                SandboxConfigurationError(code: "bad_scale", option: "--scale",
                    message: "'\(part)': \(why); expected customers=N, lineitems=N, invoices=N, reconlines=N or usagelines=N (N may end in k or m), e.g. lineitems=1000000")
            }
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { throw bad("missing '='") }
            var digits = pieces[1]
            var multiplier = 1
            if digits.hasSuffix("k") { multiplier = 1000; digits.removeLast() }
            else if digits.hasSuffix("m") { multiplier = 1_000_000; digits.removeLast() }
            guard let count = Int(digits), count >= 0, count <= 100_000_000 / multiplier else { throw bad("'\(pieces[1])' is not a count between 0 and 100m") }
            switch pieces[0] {
            case "customers": scale.customers = count * multiplier
            case "lineitems", "line-items", "line_items": scale.lineItems = count * multiplier
            case "invoices": scale.invoices = count * multiplier
            case "reconlines", "recon-lines", "recon_lines": scale.reconLines = count * multiplier
            case "usagelines", "usage-lines", "usage_lines": scale.usageLines = count * multiplier
            default: throw bad("unknown key '\(pieces[0])'")
            }
        }
        return scale
    }
}

/// Markets (ISO country codes) where Azure reservations cannot be bought (§5.10).
public enum RestrictedMarkets {
    /// The seven markets of pcx's founding RI purchase guide (2018 docs): BR CN IN RU KR TW HK.
    public static let profile2018: Set<String> = ["BR", "CN", "IN", "RU", "KR", "TW", "HK"]
    /// The current docs' list, reduced to the ISO codes of its countries that matter here.
    public static let profileCurrent: Set<String> = ["BR", "CN", "RU", "AD", "AG", "AI", "AQ", "AS", "AW", "AX", "BF", "BI", "BJ", "BL", "BQ", "BT", "BV", "CC", "CD", "CF", "CG", "CK", "CX", "DJ", "DM", "ER", "FK", "GA", "GD", "GF", "GG", "GI", "GL", "GM", "GN", "GP", "GQ", "GS", "GU", "GW", "GY", "HM", "HT", "IM", "IO", "JE", "KH", "KI", "KM", "LA", "LC", "LR", "LS", "MF", "MG", "MH", "ML", "MM", "MP", "MQ", "MR", "MS", "MV", "MW", "MZ", "NC", "NE", "NF", "NR", "NU", "PF", "PG", "PM", "PN", "PW", "RE", "SB", "SC", "SH", "SJ", "SL", "SM", "SO", "SR", "SS", "ST", "SX", "SZ", "TD", "TF", "TG", "TK", "TL", "TO", "TC", "TV", "UM", "VA", "VC", "VG", "VU", "WF", "WS", "XK", "YE", "YT", "TL"]

    /// Parses `2018`, `current`, `none` or a comma-separated list of country codes.
    public static func parse(_ text: String) throws -> Set<String> {
        switch text.lowercased() {
        case "2018", "default": return profile2018
        case "current": return profileCurrent
        case "none", "": return []
        default:
            let codes = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            guard codes.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isLetter) }) else {
                throw SandboxConfigurationError(code: "bad_markets", option: "--restricted-markets",
                    message: "'\(text)' must be 2018, current, none or ISO country codes like BR,CN")
            }
            return Set(codes)
        }
    }
}

/// A request as it reaches the sandbox (see ``SandboxConfiguration/onRequest``).
public struct SandboxObservedRequest: Sendable {
    /// The declared operation's name (`carts.checkout`).
    public let route: String
    /// The HTTP method.
    public let method: String
    /// The request's MS-RequestId (or the one generated for it).
    public let requestId: String
}

/// Everything that shapes a sandbox run. Every field has a demo-friendly default.
public struct SandboxConfiguration: Sendable {
    /// Interface to listen on (loopback by default).
    public var host: String = "127.0.0.1"
    /// Port; 0 picks a free one (read it back from ``PartnerCenterSandbox/endpoint``).
    public var port: Int = 0
    /// SQLite file or in-memory.
    public var storage: SandboxStorage = .inMemory
    /// Seed for all generated data and ids (same seed, same data).
    public var seed: UInt64 = 1
    /// Extra generated data.
    public var scale: SandboxScale = .baseline
    /// Fault rules active from the start (see ``FaultPlan/parse(_:)``).
    public var faults: FaultPlan = FaultPlan()
    /// Delay before a checked-out order shows in order lists (the service documents up to 15 min).
    public var orderLag: Double = 2
    /// Delay before a pending order completes (and creates entitlements and charges).
    public var orderCompletionDelay: Double = 2
    /// Delay from a registration POST to `Registered`.
    public var registrationDelay: Double = 3
    /// Throttling limits.
    public var rateLimits: RateLimits = .default
    /// Access-token lifetime in seconds.
    public var tokenLifetime: Double = 3600
    /// Refresh-token lifetime in seconds (90 days).
    public var refreshTokenLifetime: Double = 90 * 86400
    /// Cart lifetime (7 days per the current docs).
    public var cartLifetime: Double = 7 * 86400
    /// Markets where reservation products are not offered.
    public var restrictedMarkets: Set<String> = RestrictedMarkets.profile2018
    /// Registration status casing (§2.5): PascalCase (`NotRegistered`, the sample) or lower case (`notregistered`, the table).
    public var registrationStatusLowercase: Bool = false
    /// Legacy behaviour: re-checkout of an ordered cart returns 400/800065 instead of the stored result.
    public var legacyAlreadySubmittedError: Bool = false
    /// Maximum page size for seek/offset-paged line items.
    public var maxLineItemPageSize: Int = 2000
    /// Where the sandbox clock starts when a fresh database is seeded (nil = the real time).
    public var clockStart: Date? = nil
    /// The largest request body accepted, in bytes; a larger one is answered 413 with an
    /// ApiFault (and the connection closed) without being read. Partner Center's own limit is
    /// not documented.
    public var maxBodyBytes: Int = 4 * 1024 * 1024
    /// Seconds a connection may take to deliver a request's headers (counted from the connect,
    /// or from the previous response on a kept-alive connection) before the sandbox closes it:
    /// a client that never finishes its headers cannot hold a connection open.
    public var headerReadTimeout: Double = 10
    /// Seconds a kept-alive connection may stay idle before it is closed.
    public var idleTimeout: Double = 60
    /// Called for every routed Partner Center request as it arrives, before faults, auth and the
    /// handler (in-process observers: tests that check what a client recorded before sending).
    public var onRequest: (@Sendable (SandboxObservedRequest) -> Void)? = nil
    /// Microsoft Graph reconciliation v2 (addendum §3): delays, manifest mode, key case, prefixes,
    /// permission, throttling and the v1 cut-over.
    public var graph = GraphSandboxOptions()
    /// The device authorization grant (`/oauth2/v2.0/devicecode`): code lifetime, polling
    /// interval, and approvals or refusals after N polls; changeable while running through
    /// `POST /_sandbox/device`.
    public var deviceCode = DeviceCodeOptions()

    /// The defaults: 127.0.0.1, free port, in-memory, seed 1.
    public init() {}

    /// Builds a configuration from `pcx sandbox serve` option strings (nil = default): `--host`,
    /// `--port` (0 = free), `--db` (`:memory:` or a path), `--seed`, `--scale`, `--faults`,
    /// `--order-lag`, `--order-completion`, `--rate-limit`, `--registration-delay`,
    /// `--token-lifetime`, `--restricted-markets`, `--max-body`, `--header-timeout`, `--graph`
    /// (``GraphSandboxOptions/parse(_:base:)``).
    /// - Throws: ``SandboxConfigurationError`` naming the bad option.
    public static func fromOptions(host: String? = nil, port: Int? = nil, db: String? = nil, seed: String? = nil,
                                   scale: String? = nil, faults: String? = nil, orderLag: String? = nil,
                                   orderCompletion: String? = nil, rateLimit: String? = nil, registrationDelay: String? = nil,
                                   tokenLifetime: String? = nil, restrictedMarkets: String? = nil,
                                   maxBody: String? = nil, headerTimeout: String? = nil, graph: String? = nil) throws -> SandboxConfiguration {
        var config = SandboxConfiguration()
        if let host { config.host = host }
        if let port {
            guard (0...65535).contains(port) else {
                throw SandboxConfigurationError(code: "bad_port", option: "--port", message: "\(port) is not a port; use 0 (any free port) to 65535")
            }
            config.port = port
        }
        if let db { config.storage = .parse(db) }
        if let seed {
            guard let value = UInt64(seed) else {
                throw SandboxConfigurationError(code: "bad_seed", option: "--seed", message: "'\(seed)' is not a non-negative integer")
            }
            config.seed = value
        }
        if let scale { config.scale = try SandboxScale.parse(scale) }
        if let faults { config.faults = try FaultPlan.parse(faults) }
        if let orderLag { config.orderLag = try SandboxDuration.parse(orderLag, option: "--order-lag") }
        if let orderCompletion { config.orderCompletionDelay = try SandboxDuration.parse(orderCompletion, option: "--order-completion") }
        if let rateLimit { config.rateLimits = try RateLimits.parse(rateLimit) }
        if let registrationDelay { config.registrationDelay = try SandboxDuration.parse(registrationDelay, option: "--registration-delay") }
        if let tokenLifetime { config.tokenLifetime = try SandboxDuration.parse(tokenLifetime, option: "--token-lifetime") }
        if let restrictedMarkets { config.restrictedMarkets = try RestrictedMarkets.parse(restrictedMarkets) }
        if let graph { config.graph = try GraphSandboxOptions.parse(graph) }
        if let maxBody { config.maxBodyBytes = try SandboxByteSize.parse(maxBody, option: "--max-body") }
        if let headerTimeout {
            let seconds = try SandboxDuration.parse(headerTimeout, option: "--header-timeout")
            guard seconds > 0 else {
                throw SandboxConfigurationError(code: "bad_duration", option: "--header-timeout", message: "'\(headerTimeout)' must be longer than 0, e.g. 10s")
            }
            config.headerReadTimeout = seconds
        }
        return config
    }
}

/// Byte sizes for `--max-body`: `65536`, `512KiB`, `4MiB`, `1GiB` (also `k`/`KB`/`m`/`MB`, all
/// powers of 1024).
public enum SandboxByteSize {
    /// Parses a size into bytes (at least 1).
    /// - Throws: ``SandboxConfigurationError`` (`bad_size`).
    public static func parse(_ text: String, option: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let bad = SandboxConfigurationError(code: "bad_size", option: option,
            message: "'\(text)' is not a size; use bytes or a unit, e.g. 65536, 512KiB, 4MiB")
        let digits = trimmed.prefix { $0.isNumber }
        guard !digits.isEmpty, let number = Int(digits) else { throw bad }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let multipliers: [String: Int] = ["": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
                                          "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30]
        guard let multiplier = multipliers[unit] else { throw bad }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bytes >= 1 else { throw bad }
        return bytes
    }
}
