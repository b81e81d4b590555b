import Foundation
import PartnerCenter
import PartnerCenterSandbox
import Testing

/// Not a timed test: runs only with `PCX_BENCH=1` and prints the achieved rate; it asserts only
/// correctness (every call succeeds, no 429 reaches the caller).
@Suite("Burst benchmark (PCX_BENCH=1)", .enabled(if: ProcessInfo.processInfo.environment["PCX_BENCH"] == "1"))
struct BurstBenchmark {
    @Test("a burst of GETs under a sandbox limit of R req/s runs near R with no 429 reaching the caller")
    func burst() async throws {
        let environment = ProcessInfo.processInfo.environment
        let rate = Int(environment["PCX_BENCH_RATE"] ?? "") ?? 200
        let total = Int(environment["PCX_BENCH_REQUESTS"] ?? "") ?? 2000
        let concurrency = Int(environment["PCX_BENCH_CONCURRENCY"] ?? "") ?? 16
        let harness = try await Harness.start {
            $0.rateLimits = RateLimits(partner: RateLimit(requests: rate, per: 1), customer: nil)
        }
        let client = try harness.client {
            $0.sleeper = { try await Task.sleep(for: $0) }
            $0.rateLimits = environment["PCX_BENCH_CLIENT_UNLIMITED"] == "1"
                ? .unlimited(concurrency: concurrency)
                : RateLimitPolicy(partnerRate: Double(rate), partnerBurst: Int(environment["PCX_BENCH_BURST"] ?? "") ?? 1, customerRate: nil, concurrency: concurrency)
            $0.retry.retryBudget = nil
        }
        _ = try await client.accountBalance() // token + warm connection
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            let counter = LockedBox(0)
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        var mine = 0
                        counter.mutate { $0 += 1; mine = $0 }
                        if mine > total { return }
                        _ = try await client.send(.listProducts(country: "US", targetView: "AzureReservationsVM"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (clock.now - start)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let achieved = Double(total) / seconds
        print("burst: \(total) GETs, concurrency \(concurrency), limit \(rate)/s: \(String(format: "%.1f", achieved)) req/s = \(String(format: "%.1f", 100 * achieved / Double(rate)))% of R; \(client.metrics)")
        #expect(client.metrics.failures == 0)
        try await client.shutdown()
        await harness.stop()
    }
}
