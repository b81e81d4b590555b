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

/// Runs only with `PCX_BENCH=1`: walks the sandbox's scale invoice (`PCX_BENCH_LINEITEMS`, default
/// 100k one-time lines) in pages of 2000 with prefetch, and prints the rate. Asserts only the count.
@Suite("Paging benchmark (PCX_BENCH=1)", .enabled(if: ProcessInfo.processInfo.environment["PCX_BENCH"] == "1"))
struct PagingBenchmark {
    @Test("every line item of a large invoice is read through seek paging with prefetch")
    func walk() async throws {
        let total = Int(ProcessInfo.processInfo.environment["PCX_BENCH_LINEITEMS"] ?? "") ?? 100_000
        let harness = try await Harness.start { $0.scale = SandboxScale(customers: 0, lineItems: total, invoices: 0) }
        let client = try harness.client { $0.sleeper = { try await Task.sleep(for: $0) } }
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        var parse = Duration.zero
        if ProcessInfo.processInfo.environment["PCX_BENCH_RAW"] == "1" {
            for try await page in client.pages(of: .invoiceLineItems(
                invoiceId: "G100000001", provider: "onetime", invoiceLineItemType: "billinglineitems", size: 2000)) {
                count += page.body.count > 0 ? 2000 : 0
                let t0 = clock.now
                _ = page.nextPageRequest
                parse += clock.now - t0
            }
            count = min(count, total)
        } else {
            for try await _ in client.invoiceLineItems(invoiceId: "G100000001", pageSize: 2000) { count += 1 }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("paging: \(count) line items in \(String(format: "%.2f", seconds)) s = \(Int(Double(count) / seconds)) items/s; next-link parsing \(parse); \(client.metrics)")
        #expect(count == total)
        try await client.shutdown()
        await harness.stop()
    }
}
