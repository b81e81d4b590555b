import Foundation

/// How the client retries a logical call.
///
/// Retried: network errors, timeouts of one attempt, HTTP 408/500/502/503/504 and 429. A 429
/// waits at least its `Retry-After`; other retries wait an exponential backoff with full jitter
/// (`random(0 … min(maxDelay, baseDelay · multiplier^attempt))`). Every retry spends one unit
/// of the client-wide ``retryBudget``; when it is spent the call fails (a 429 as `throttled`).
/// A POST is retried after a network error, a timeout or a 5xx only when the caller pinned its
/// `MS-RequestId` (the idempotency key); a 429 or 401 is always safe to retry because the
/// service did not process the request.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per logical call, including the first (≥ 1).
    public var maxAttempts: Int
    /// The first backoff ceiling.
    public var baseDelay: Duration
    /// Growth factor of the backoff ceiling per retry.
    public var multiplier: Double
    /// The largest backoff ceiling.
    public var maxDelay: Duration
    /// The longest `Retry-After` the client will wait; a longer request fails as `throttled`.
    public var maxRetryAfter: Duration
    /// Retries allowed for the client's whole run (all calls together); `nil` = unlimited.
    public var retryBudget: Int?

    /// Creates a policy; defaults: 5 attempts, 0.5 s base, ×2, 30 s cap, Retry-After ≤ 120 s, budget 200.
    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(500), multiplier: Double = 2,
        maxDelay: Duration = .seconds(30), maxRetryAfter: Duration = .seconds(120), retryBudget: Int? = 200
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.multiplier = max(1, multiplier)
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.retryBudget = retryBudget
    }

    /// The backoff ceiling before retry number `retry` (0-based), before jitter.
    public func backoffCeiling(forRetry retry: Int) -> Duration {
        let base = baseDelay.seconds
        let ceiling = min(maxDelay.seconds, base * pow(multiplier, Double(max(0, retry))))
        return .seconds(ceiling)
    }

    /// The jittered backoff before retry number `retry`, using `unit` ∈ [0, 1] as the random draw.
    public func backoff(forRetry retry: Int, unit: Double) -> Duration {
        .seconds(backoffCeiling(forRetry: retry).seconds * min(1, max(0, unit)))
    }
}

/// The client-side rate limiter's settings (see ``RateLimiter``).
///
/// By default the client follows Partner Center's documented limits and nothing else: one token
/// bucket per row of `APIOperation.Throttle.table` with a figure (500 requests per minute for
/// the Customer, Subscription and Order resources) and per partition (partner tenant, or
/// partner + customer tenant). Every other route (line items, invoices, catalog, carts, whose
/// limits are dynamic or unpublished) runs unthrottled and adapts only when Partner Center
/// answers 429: its rate is cut to `decreaseFactor` of what it was sending, it pauses for
/// `Retry-After`, and each success adds back `recoveryFraction` of that rate until it is reached
/// and the route is unthrottled again (AIMD). A documented bucket adapts the same way below its
/// limit. `partnerRate`/`customerRate` add optional caps on everything (profile `rate_per_partner`,
/// `rate_per_customer`), and `concurrency` caps requests in flight.
public struct RateLimitPolicy: Sendable, Equatable {
    /// Follow the documented limits (default true; false only for tests and a sandbox without limits).
    public var documented: Bool
    /// A cap on every request of the partner, requests per second; `nil` (default) = none.
    public var partnerRate: Double?
    /// Burst size of the partner cap.
    public var partnerBurst: Int
    /// A cap on every request per customer, requests per second; `nil` (default) = none.
    public var customerRate: Double?
    /// Burst size of each customer cap.
    public var customerBurst: Int
    /// Requests in flight at most.
    public var concurrency: Int
    /// Multiplicative decrease on 429 (0 < factor < 1).
    public var decreaseFactor: Double
    /// Additive increase per success, as a fraction of the rate to recover to.
    public var recoveryFraction: Double
    /// Lowest rate after decreases, as a fraction of the rate to recover to.
    public var minimumFraction: Double

    /// Creates a policy. Defaults: the documented limits, no other cap, 16 in flight, halve on 429,
    /// recover 2% per success, never below 5%.
    public init(
        documented: Bool = true, partnerRate: Double? = nil, partnerBurst: Int = 8, customerRate: Double? = nil, customerBurst: Int = 8,
        concurrency: Int = 16, decreaseFactor: Double = 0.5, recoveryFraction: Double = 0.02,
        minimumFraction: Double = 0.05
    ) {
        self.documented = documented
        self.partnerRate = partnerRate.flatMap { $0 > 0 ? $0 : nil }
        self.partnerBurst = max(1, partnerBurst)
        self.customerRate = customerRate.flatMap { $0 > 0 ? $0 : nil }
        self.customerBurst = max(1, customerBurst)
        self.concurrency = max(1, concurrency)
        self.decreaseFactor = min(0.99, max(0.01, decreaseFactor))
        self.recoveryFraction = min(1, max(0.0001, recoveryFraction))
        self.minimumFraction = min(1, max(0.001, minimumFraction))
    }

    /// A limiter that never waits (no documented limits, no caps), keeping only the concurrency cap
    /// and the reaction to 429.
    public static func unlimited(concurrency: Int = 64) -> RateLimitPolicy {
        RateLimitPolicy(documented: false, partnerRate: nil, customerRate: nil, concurrency: concurrency)
    }
}

/// The market rule: markets in which Reserved VM Instances are not sold.
///
/// The one rule, applied by pcx's purchase policy before any change is journaled and, as a
/// backstop, inside the client to every declared operation marked `marketRule`: the customer's
/// country is looked up (and cached) and the change is refused with `policy_denied` before
/// anything is sent.
public struct MarketPolicy: Sendable, Equatable {
    /// Partner Center's RI purchase guide: Brazil, China, India, Russia, South Korea, Taiwan, Hong Kong.
    public static let defaultExcludedMarkets: Set<String> = ["BR", "CN", "IN", "RU", "KR", "TW", "HK"]

    /// Upper-case ISO 3166-1 alpha-2 codes where cart creation is refused.
    public var excludedMarkets: Set<String>
    /// Refuse when the customer's country cannot be determined (fail closed). Default true.
    public var refuseUnknownCountry: Bool
    /// The rule's name, quoted in refusals.
    public var ruleName: String

    /// Creates a policy; the default excludes ``defaultExcludedMarkets``.
    public init(
        excludedMarkets: Set<String> = MarketPolicy.defaultExcludedMarkets, refuseUnknownCountry: Bool = true,
        ruleName: String = "reserved-instance-markets"
    ) {
        self.excludedMarkets = Set(excludedMarkets.map { $0.uppercased() })
        self.refuseUnknownCountry = refuseUnknownCountry
        self.ruleName = ruleName
    }

    /// True when `country` is excluded (case-insensitive).
    public func excludes(_ country: String) -> Bool {
        excludedMarkets.contains(country.uppercased())
    }

    /// The refusal for `operation` on `customer` whose country is `country` (nil: unknown), or nil
    /// when the rule allows it. The only place the rule is decided and worded.
    public func refusal(operation: String, customer: String, country: String?) -> PartnerCenterError? {
        let rule = "rule \(ruleName): Reserved VM Instances are not sold in " + excludedMarkets.sorted().joined(separator: ", ")
        let hint = "nothing was sent; the excluded markets are configuration (excluded_markets in the profile, or PCX_EXCLUDED_MARKETS)"
        var error: PartnerCenterError
        if let country {
            guard excludes(country) else { return nil }
            error = PartnerCenterError(
                category: .policyDenied,
                message: "refused \(operation) for customer \(customer): its country \(country.uppercased()) is an excluded market (\(rule))",
                hint: hint)
        } else {
            guard refuseUnknownCountry else { return nil }
            error = PartnerCenterError(
                category: .policyDenied,
                message: "refused \(operation) for customer \(customer): its country is unknown, so the market rule cannot be checked (\(rule))",
                hint: "nothing was sent; make sure the customer's company or billing profile carries a country")
        }
        error.notSent = true
        return error
    }
}

/// Per-attempt and per-call deadlines.
public struct Timeouts: Sendable, Equatable {
    /// Time to establish a TCP/TLS connection.
    public var connect: Duration
    /// Time for one attempt (request sent, whole response read).
    public var request: Duration
    /// Time for a logical call including all its retries and waits.
    public var overall: Duration

    /// Creates timeouts; defaults: connect 10 s, request 60 s, overall 5 min.
    public init(connect: Duration = .seconds(10), request: Duration = .seconds(60), overall: Duration = .seconds(300)) {
        self.connect = connect
        self.request = request
        self.overall = overall
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
