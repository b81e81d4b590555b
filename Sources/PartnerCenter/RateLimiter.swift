import Foundation
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

    /// Creates a full bucket at time `now`.
    public init(rate: Double, burst: Int, now: Double) {
        self.configuredRate = rate
        self.rate = rate
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
    /// and, when `retryAfter` is given, pause the bucket until `now + retryAfter`.
    public mutating func penalize(now: Double, retryAfter: Double?, factor: Double, floor: Double) {
        refill(now)
        rate = max(configuredRate * floor, rate * factor)
        if let retryAfter, retryAfter > 0 {
            tokens = min(tokens, 0)
            last = max(last, now + retryAfter)
        }
    }

    /// A request succeeded: add `fraction` × configured rate back, up to the configured rate.
    public mutating func reward(fraction: Double) {
        rate = min(configuredRate, rate + configuredRate * fraction)
    }
}

/// The client's rate limiter: a concurrency cap plus token buckets per partner and per customer.
///
/// Each request first takes a concurrency slot, then one token from the partner bucket and one
/// from its customer's bucket (when the path names a customer), waiting as long as the emptier
/// bucket requires. ``penalize(customer:retryAfter:)`` (on 429) and ``reward(customer:)`` (on
/// success) adapt the buckets' rates (see ``RateLimitPolicy``).
public final class RateLimiter: Sendable {
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

    /// The wait a request for `customer` must make now (and the tokens it took). Exposed for tests.
    public func reserve(customer: String?, now: Double) -> Double {
        state.withLock { state in
            var wait = state.partner?.reserve(now: now) ?? 0
            if let customer, let rate = policy.customerRate {
                let key = customer.lowercased()
                var bucket = state.customers[key] ?? TokenBucket(rate: rate, burst: policy.customerBurst, now: now)
                wait = max(wait, bucket.reserve(now: now))
                state.customers[key] = bucket
            }
            return wait
        }
    }

    /// Waits for a slot and the tokens; the returned permit must be released after the attempt.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire(customer: String?) async throws -> Permit {
        try await slots.wait()
        let permit = Permit(slots: slots)
        do {
            let wait = reserve(customer: customer, now: now)
            if wait > 0 { try await sleeper(.seconds(wait)) }
            try Task.checkCancellation()
        } catch {
            permit.release()
            throw error
        }
        return permit
    }

    /// A 429 arrived for a request of `customer`: tighten the buckets it used and pause them for `retryAfter` seconds.
    public func penalize(customer: String?, retryAfter: Double?) {
        penalize(customer: customer, retryAfter: retryAfter, now: now)
    }

    /// ``penalize(customer:retryAfter:)`` at an explicit clock reading (for tests).
    public func penalize(customer: String?, retryAfter: Double?, now: Double) {
        state.withLock { state in
            state.partner?.penalize(now: now, retryAfter: retryAfter, factor: policy.decreaseFactor, floor: policy.minimumFraction)
            if let customer, let rate = policy.customerRate {
                let key = customer.lowercased()
                var bucket = state.customers[key] ?? TokenBucket(rate: rate, burst: policy.customerBurst, now: now)
                bucket.penalize(now: now, retryAfter: retryAfter, factor: policy.decreaseFactor, floor: policy.minimumFraction)
                state.customers[key] = bucket
            }
        }
    }

    /// A request of `customer` succeeded: let the buckets it used recover a step.
    public func reward(customer: String?) {
        state.withLock { state in
            state.partner?.reward(fraction: policy.recoveryFraction)
            if let customer {
                state.customers[customer.lowercased()]?.reward(fraction: policy.recoveryFraction)
            }
        }
    }

    /// The partner bucket's current rate (nil when unlimited).
    public var currentPartnerRate: Double? { state.withLock { $0.partner?.rate } }

    /// The current rate of `customer`'s bucket (nil when none exists yet or unlimited).
    public func currentRate(customer: String) -> Double? {
        state.withLock { $0.customers[customer.lowercased()]?.rate }
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
