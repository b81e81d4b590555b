import Foundation
import PartnerCenterModels
import Synchronization

/// A token bucket with a rate that can shrink and recover (AIMD) and a pause (`Retry-After`).
///
/// Pure value logic over an explicit clock reading (`now`, seconds), so it is unit-testable
/// without waiting. Reservations never fail: a reservation that finds the bucket empty goes
/// into debt and is told how long to wait, so callers are served in arrival order.
public struct TokenBucket: Sendable, Equatable {
    /// The configured (maximum) rate, tokens per second.
    public let configuredRate: Double
    /// The current rate after decreases and recoveries.
    public private(set) var rate: Double
    /// The most tokens the bucket holds.
    public let burst: Double
    /// Tokens available now (negative = reservations are queued).
    public private(set) var tokens: Double
    /// The clock reading the tokens were last brought up to date at (may lie in the future during a pause).
    public private(set) var last: Double
    /// When the rate was last decreased.
    private var lastDecrease = -Double.infinity

    /// Creates a full bucket at time `now`; `startingRate` (default `rate`) is where an adaptive
    /// bucket starts, recovering towards `rate`.
    public init(rate: Double, burst: Int, now: Double, startingRate: Double? = nil) {
        self.configuredRate = rate
        self.rate = min(rate, startingRate ?? rate)
        self.burst = Double(max(1, burst))
        self.tokens = Double(max(1, burst))
        self.last = now
    }

    private mutating func refill(_ now: Double) {
        guard now > last else { return }
        tokens = min(burst, tokens + (now - last) * rate)
        last = now
    }

    /// Takes one token at `now`; returns how long (seconds) the caller must wait before sending.
    public mutating func reserve(now: Double) -> Double {
        refill(now)
        tokens -= 1
        let pause = max(0, last - now)
        return tokens >= 0 ? pause : pause + (-tokens) / rate
    }

    /// A 429 arrived at `now`: multiply the rate by `factor` (not below `floor` × configured),
    /// and, when `retryAfter` is given, pause the bucket until `now + retryAfter`. The 429s of
    /// one burst (within a second of the last decrease) count as one decrease.
    public mutating func penalize(now: Double, retryAfter: Double?, factor: Double, floor: Double) {
        refill(now)
        if now >= lastDecrease + 1 {
            rate = max(configuredRate * floor, rate * factor)
            lastDecrease = now
        }
        if let retryAfter, retryAfter > 0 {
            tokens = min(tokens, 0)
            last = max(last, now + retryAfter)
        }
    }

    /// A request succeeded: add `fraction` × configured rate back, up to the configured rate.
    public mutating func reward(fraction: Double) {
        rate = min(configuredRate, rate + configuredRate * fraction)
    }

    /// True once the rate is back at the configured rate.
    public var recovered: Bool { rate >= configuredRate }
}

/// Requests per second recently sent on one route, over windows of a second.
struct RateMeter: Sendable, Equatable {
    private var windowStart: Double
    private var count = 0
    private var lastRate: Double = 0

    init(now: Double) { windowStart = now }

    mutating func record(now: Double) {
        if now - windowStart >= 1 {
            lastRate = Double(count) / (now - windowStart)
            windowStart = now
            count = 0
        }
        count += 1
    }

    /// The rate of the last full window, or of the current one when that is higher.
    func rate(now: Double) -> Double {
        max(lastRate, Double(count) / max(1, now - windowStart))
    }
}

/// The client's rate limiter: a concurrency cap, the documented buckets, adaptive buckets for
/// routes that answered 429, and optional caps (see ``RateLimitPolicy``).
///
/// Each request first takes a concurrency slot, then one token from every bucket of its
/// ``Route``, waiting as long as the emptiest requires (callers are served in arrival order).
/// ``penalize(_:retryAfter:)`` (on 429) and ``reward(_:)`` (on success) adapt the buckets.
public final class RateLimiter: Sendable {
    /// Where a request draws its tokens: its throttling group (the documented rule's, or the
    /// operation's name for routes without one) and partition (a customer, or the partner).
    public struct Route: Sendable, Hashable {
        /// The documented rule's group, or the operation's name.
        public var group: String
        /// The customer tenant (lower-case) when the rule partitions by customer, else "".
        public var partition: String
        /// Requests per second the documentation allows (nil: no figure; adaptive only).
        public var documentedRate: Double?
        /// The customer named in the path, for the optional per-customer cap.
        public var customer: String?

        /// The route of operation `operation` under `throttle` for `customer`.
        public init(operation: String, throttle: APIOperation.Throttle?, customer: String?) {
            let customer = customer?.lowercased()
            group = throttle?.group ?? operation
            partition = throttle?.partition == .partner ? "" : customer ?? ""
            documentedRate = throttle?.perMinute.map { Double($0) / 60 }
            self.customer = customer
        }

        var key: String { partition.isEmpty ? group : group + "|" + partition }
    }

    /// The policy in force.
    public let policy: RateLimitPolicy
    private let state: Mutex<State>
    private let slots: AsyncSemaphore
    private let sleeper: Sleeper
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    struct State {
        var partner: TokenBucket?
        var customers: [String: TokenBucket] = [:]
        /// Documented and adaptive buckets by route key.
        var routes: [String: TokenBucket] = [:]
        /// Recent rates of routes without a bucket, for the first 429's decrease.
        var meters: [String: RateMeter] = [:]
    }

    /// Creates a limiter. `sleeper` performs the waits (injectable for tests).
    public init(policy: RateLimitPolicy, sleeper: @escaping Sleeper = { try await Task.sleep(for: $0) }) {
        self.policy = policy
        self.slots = AsyncSemaphore(permits: policy.concurrency)
        self.sleeper = sleeper
        self.origin = clock.now
        let partner = policy.partnerRate.map { TokenBucket(rate: $0, burst: policy.partnerBurst, now: 0) }
        self.state = Mutex(State(partner: partner))
    }

    private var now: Double { (clock.now - origin).seconds }

    /// The documented rate of `route` as the client applies it, or nil (not followed / no figure).
    private func documented(_ route: Route) -> Double? { policy.documented ? route.documentedRate : nil }

    /// The wait a request on `route` must make now (and the tokens it took). Exposed for tests.
    public func reserve(_ route: Route, now: Double) -> Double {
        state.withLock { state in
            var wait = state.partner?.reserve(now: now) ?? 0
            if let customer = route.customer, let rate = policy.customerRate {
                var bucket = state.customers[customer] ?? TokenBucket(rate: rate, burst: policy.customerBurst, now: now)
                wait = max(wait, bucket.reserve(now: now))
                state.customers[customer] = bucket
            }
            let key = route.key
            if var bucket = state.routes[key] ?? documented(route).map({ rate in
                // One second's worth of burst: the service's bucket is at least that deep.
                TokenBucket(rate: rate, burst: max(1, Int(rate)), now: now)
            }) {
                wait = max(wait, bucket.reserve(now: now))
                state.routes[key] = bucket
            } else {
                state.meters[key, default: RateMeter(now: now)].record(now: now)
            }
            return wait
        }
    }

    /// Waits for a slot and the tokens; the returned permit must be released after the attempt.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire(_ route: Route) async throws -> Permit {
        try await slots.wait()
        let permit = Permit(slots: slots)
        do {
            let wait = reserve(route, now: now)
            if wait > 0 { try await sleeper(.seconds(wait)) }
            try Task.checkCancellation()
        } catch {
            permit.release()
            throw error
        }
        return permit
    }

    /// A 429 arrived on `route`: tighten its buckets and pause them for `retryAfter` seconds.
    public func penalize(_ route: Route, retryAfter: Double?) {
        penalize(route, retryAfter: retryAfter, now: now)
    }

    /// ``penalize(_:retryAfter:)`` at an explicit clock reading (for tests). A route without a
    /// bucket gets an adaptive one, starting at `decreaseFactor` of the rate it was sending and
    /// recovering towards that rate.
    public func penalize(_ route: Route, retryAfter: Double?, now: Double) {
        state.withLock { state in
            let (factor, floor) = (policy.decreaseFactor, policy.minimumFraction)
            state.partner?.penalize(now: now, retryAfter: retryAfter, factor: factor, floor: floor)
            if let customer = route.customer, let rate = policy.customerRate {
                var bucket = state.customers[customer] ?? TokenBucket(rate: rate, burst: policy.customerBurst, now: now)
                bucket.penalize(now: now, retryAfter: retryAfter, factor: factor, floor: floor)
                state.customers[customer] = bucket
            }
            let key = route.key
            var bucket: TokenBucket
            if let existing = state.routes[key] {
                bucket = existing
                bucket.penalize(now: now, retryAfter: retryAfter, factor: factor, floor: floor)
            } else if let rate = documented(route) {
                bucket = TokenBucket(rate: rate, burst: max(1, Int(rate)), now: now)
                bucket.penalize(now: now, retryAfter: retryAfter, factor: factor, floor: floor)
            } else {
                let sending = max(1, state.meters[key]?.rate(now: now) ?? 1)
                bucket = TokenBucket(rate: sending, burst: 1, now: now, startingRate: max(sending * floor, sending * factor))
                bucket.penalize(now: now, retryAfter: retryAfter, factor: 1, floor: floor)
                state.meters[key] = nil
            }
            state.routes[key] = bucket
        }
    }

    /// A request on `route` succeeded: let its buckets recover a step. An adaptive bucket that is
    /// back at the rate it started from goes: the route is unthrottled again.
    public func reward(_ route: Route) {
        state.withLock { state in
            state.partner?.reward(fraction: policy.recoveryFraction)
            if let customer = route.customer { state.customers[customer]?.reward(fraction: policy.recoveryFraction) }
            let key = route.key
            guard var bucket = state.routes[key] else { return }
            bucket.reward(fraction: policy.recoveryFraction)
            state.routes[key] = bucket.recovered && documented(route) == nil ? nil : bucket
        }
    }

    /// The partner cap's current rate (nil when there is none).
    public var currentPartnerRate: Double? { state.withLock { $0.partner?.rate } }

    /// The current rate of `route`'s bucket (nil: unthrottled, no bucket yet).
    public func currentRate(_ route: Route) -> Double? {
        state.withLock { $0.routes[route.key]?.rate }
    }

    /// A held concurrency slot; ``release()`` it exactly once (extra calls are ignored).
    public final class Permit: Sendable {
        private let slots: AsyncSemaphore
        private let released = Atomic<Bool>(false)

        init(slots: AsyncSemaphore) { self.slots = slots }

        /// Gives the slot back.
        public func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { slots.signal() }
        }

        deinit { release() }
    }
}

/// A FIFO counting semaphore for async tasks; waiting is cancellable.
final class AsyncSemaphore: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var permits: Int
        var waiters: [Waiter] = []
        var nextId: UInt64 = 0
    }

    private let state: Mutex<State>

    init(permits: Int) { state = Mutex(State(permits: permits)) }

    func wait() async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64 in
            state.nextId += 1
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool? = state.withLock { state in
                    if Task.isCancelled { return false }
                    if state.permits > 0 {
                        state.permits -= 1
                        return true
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                switch resumeNow {
                case true: continuation.resume()
                case false: continuation.resume(throwing: CancellationError())
                default: break
                }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func signal() {
        let waiter: Waiter? = state.withLock { state in
            if state.waiters.isEmpty {
                state.permits += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.continuation.resume()
    }
}
