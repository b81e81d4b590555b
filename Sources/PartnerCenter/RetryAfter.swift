import Foundation
import Synchronization

/// Parses the `Retry-After` header: delay-seconds (`57`, also `57.5`) or an HTTP date in any of
/// the three forms of RFC 9110 (IMF-fixdate, RFC 850, asctime).
public enum RetryAfter {
    /// The delay the header asks for, relative to `now`; nil when the value is unreadable.
    /// A date in the past gives zero.
    public static func parse(_ value: String, now: Date = Date()) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return seconds
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            let normalized = format.hasPrefix("EEE MMM") ? text.replacingOccurrences(of: "  ", with: " ") : text
            if let date = formatter.date(from: normalized) {
                return max(0, date.timeIntervalSince(now))
            }
        }
        return nil
    }
}

/// Counters of what the client did, for benchmarks and diagnostics.
public struct ClientMetricsSnapshot: Sendable, Equatable, CustomStringConvertible {
    /// Logical calls started (one per `send`, page or download).
    public var calls: Int
    /// HTTP attempts sent to Partner Center (first tries and retries).
    public var requestsSent: Int
    /// Retries made (attempts after the first).
    public var retries: Int
    /// 429 responses received (whether retried or not).
    public var throttled: Int
    /// Token endpoint requests.
    public var tokenRequests: Int
    /// Logical calls that ended in an error.
    public var failures: Int
    /// Cart requests refused by the market policy.
    public var policyRefusals: Int

    /// `calls=… sent=… retries=… throttled=… tokens=… failures=… refused=…`.
    public var description: String {
        "calls=\(calls) sent=\(requestsSent) retries=\(retries) throttled=\(throttled) tokens=\(tokenRequests) failures=\(failures) refused=\(policyRefusals)"
    }
}

/// Thread-safe counters behind ``ClientMetricsSnapshot``.
final class ClientMetrics: Sendable {
    private let state = Mutex(ClientMetricsSnapshot(
        calls: 0, requestsSent: 0, retries: 0, throttled: 0, tokenRequests: 0, failures: 0, policyRefusals: 0))

    /// Adds one to `counter`.
    func bump(_ counter: WritableKeyPath<ClientMetricsSnapshot, Int>) {
        state.withLock { $0[keyPath: counter] += 1 }
    }

    var snapshot: ClientMetricsSnapshot { state.withLock { $0 } }
}

/// The retry budget shared by every call of one client.
final class RetryBudget: Sendable {
    private let remaining: Mutex<Int?>

    init(_ total: Int?) { remaining = Mutex(total) }

    /// Spends one retry; false when the budget is spent.
    func spend() -> Bool {
        remaining.withLock { value in
            guard let left = value else { return true }
            guard left > 0 else { return false }
            value = left - 1
            return true
        }
    }

    var left: Int? { remaining.withLock { $0 } }
}
