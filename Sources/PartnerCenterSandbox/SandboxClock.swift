import Foundation
import PartnerCenterModels
import Synchronization

/// The sandbox's controllable clock: real time plus an offset that only moves forward
/// through ``advance(by:)`` (or is set outright with ``set(to:)``).
///
/// Registration delays, cart expiry, order lag, order completion, token expiry and throttling
/// all read this clock, so tests jump past them without sleeping.
public final class SandboxClock: Sendable {
    private let offset: Mutex<Double>

    /// Makes a clock; `start` sets the initial reading (nil = the real time).
    public init(start: Date? = nil) {
        offset = Mutex(start.map { $0.timeIntervalSinceNow } ?? 0)
    }

    /// The sandbox's current time.
    public var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    /// Seconds the clock runs ahead of the real time.
    public var offsetSeconds: Double { offset.withLock { $0 } }

    /// Moves the clock forward by `seconds` (negative values are ignored).
    public func advance(by seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        offset.withLock { $0 += seconds }
    }

    /// Moves the clock forward by a Swift `Duration`.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        advance(by: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Sets the clock to `date` (may move backwards; use with care).
    public func set(to date: Date) {
        offset.withLock { $0 = date.timeIntervalSinceNow }
    }
}

/// One request the sandbox answered (or dropped).
public struct SandboxRequestLogEntry: Sendable, Codable, Equatable {
    /// 1-based position in the log.
    public var sequence: Int
    /// Sandbox-clock time the request arrived.
    public var time: Date
    /// HTTP method.
    public var method: String
    /// Path as requested (without the query).
    public var path: String
    /// Raw query string ("" when none).
    public var query: String
    /// Route name (e.g. `checkout`), `token`, `admin`, or `unknown`.
    public var route: String
    /// HTTP status sent; 0 when the connection was dropped without an answer.
    public var status: Int
    /// The request's MS-RequestId (or the one generated for it).
    public var requestId: String
    /// The request's MS-CorrelationId (or the one generated for it).
    public var correlationId: String
    /// Partner tenant id of the caller, when authenticated.
    public var partner: String?
    /// True when the request changed sandbox state (a committed write).
    public var mutated: Bool
    /// True when the answer was a stored response replayed for a repeated MS-RequestId.
    public var replayed: Bool
    /// The injected fault, if any (spec spelling).
    public var fault: String?
}

/// Every request the sandbox has seen, queryable in-process and at `GET /_sandbox/requests`.
public final class SandboxRequestLog: Sendable {
    private let storage = Mutex<[SandboxRequestLogEntry]>([])

    /// The log keeps at most this many entries (the oldest half is dropped when full).
    public static let capacity = 200_000

    init() {}

    /// All entries, oldest first.
    public var entries: [SandboxRequestLogEntry] { storage.withLock { $0 } }

    /// Number of entries.
    public var count: Int { storage.withLock { $0.count } }

    /// Entries matching the filters (nil = any). `path` matches case-insensitively as a substring.
    public func entries(method: String? = nil, route: String? = nil, path: String? = nil, mutatedOnly: Bool = false, since sequence: Int = 0) -> [SandboxRequestLogEntry] {
        storage.withLock { entries in
            entries.filter { entry in
                entry.sequence > sequence
                    && (method.map { entry.method.caseInsensitiveCompare($0) == .orderedSame } ?? true)
                    && (route.map { entry.route.caseInsensitiveCompare($0) == .orderedSame } ?? true)
                    && (path.map { entry.path.lowercased().contains($0.lowercased()) } ?? true)
                    && (!mutatedOnly || entry.mutated)
            }
        }
    }

    /// Forgets every entry (sequence numbers keep counting).
    public func clear() { storage.withLock { $0.removeAll() } }

    private let sequence = Mutex(0)

    func append(_ make: (Int) -> SandboxRequestLogEntry) {
        let next = sequence.withLock { value -> Int in
            value += 1
            return value
        }
        let entry = make(next)
        storage.withLock { entries in
            entries.append(entry)
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity / 2) }
        }
    }
}

/// Token buckets keyed per partner, per partner+customer, and per documented (or listed)
/// throttling group and partition (see ``RateLimits``), refilled by the sandbox clock.
final class SandboxRateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = Mutex<[String: Bucket]>([:])
    private let limits: Mutex<RateLimits>

    init(limits: RateLimits) { self.limits = Mutex(limits) }

    var current: RateLimits {
        get { limits.withLock { $0 } }
        set { limits.withLock { $0 = newValue }; buckets.withLock { $0.removeAll() } }
    }

    /// The buckets a request draws on, with their limits.
    private func keys(partner: String, customer: String?, throttle: APIOperation.Throttle?) -> [(String, RateLimit)] {
        let limits = current
        let partner = partner.lowercased(), customer = customer?.lowercased()
        var keys: [(String, RateLimit)] = []
        if let limit = limits.partner { keys.append(("p:" + partner, limit)) }
        if let customer, let limit = limits.customer { keys.append(("c:" + partner + "/" + customer, limit)) }
        if let throttle {
            let limit = throttle.perMinute.flatMap { limits.documented ? RateLimits.documentedLimit(perMinute: $0) : nil } ?? limits.listed
            let scope = throttle.partition == .partnerAndCustomer ? partner + "/" + (customer ?? "") : partner
            if let limit { keys.append(("r:" + throttle.group + ":" + scope, limit)) }
        }
        return keys
    }

    /// Takes one token from each applicable bucket; returns the seconds to wait when any is empty.
    func take(partner: String, customer: String?, throttle: APIOperation.Throttle? = nil, now: Double) -> Int? {
        let keys = keys(partner: partner, customer: customer, throttle: throttle)
        guard !keys.isEmpty else { return nil }
        return buckets.withLock { buckets in
            var wait: Double = 0
            var refreshed: [(String, Bucket)] = []
            for (key, limit) in keys {
                let rate = Double(limit.requests) / limit.per
                var bucket = buckets[key] ?? Bucket(tokens: Double(limit.burst), updated: now)
                bucket.tokens = min(Double(limit.burst), bucket.tokens + max(0, now - bucket.updated) * rate)
                bucket.updated = now
                if bucket.tokens < 1 { wait = max(wait, (1 - bucket.tokens) / rate) }
                refreshed.append((key, bucket))
            }
            if wait > 0 {
                for (key, bucket) in refreshed { buckets[key] = bucket }
                return max(1, Int(wait.rounded(.up)))
            }
            for (key, var bucket) in refreshed {
                bucket.tokens -= 1
                buckets[key] = bucket
            }
            return nil
        }
    }
}
