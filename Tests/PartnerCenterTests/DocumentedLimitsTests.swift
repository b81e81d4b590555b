import Foundation
import PartnerCenter
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// The client's documented buckets against the sandbox's: the same rows of
/// `APIOperation.Throttle.table`, the same partitions.
@Suite("Documented rate limits: the client and the sandbox agree", .serialized)
struct DocumentedLimitsTests {
    static func route(_ operation: String, _ customer: String?) -> PartnerCenter.RateLimiter.Route {
        .init(operation: operation, throttle: OperationCatalog.named(operation)?.throttle, customer: customer)
    }

    @Test("the sandbox enforces 500 per minute per documented group and customer by default, and nothing on other routes")
    func sandboxEnforces() throws {
        let limiter = SandboxRateLimiter(limits: .default)
        let orders = OperationCatalog.named("orders.list")?.throttle
        let deep = RateLimits.documentedLimit(perMinute: 500).burst
        for _ in 0..<deep { #expect(limiter.take(partner: "P", customer: "A", throttle: orders, now: 0) == nil) }
        #expect(limiter.take(partner: "P", customer: "A", throttle: orders, now: 0) == 1, "the bucket is empty: 429, Retry-After 1")
        #expect(limiter.take(partner: "P", customer: "a", throttle: OperationCatalog.named("orders.get")?.throttle, now: 0) != nil,
                "orders.get draws on the same Order bucket, customer ids case-insensitive")
        #expect(limiter.take(partner: "P", customer: "B", throttle: orders, now: 0) == nil, "another customer has its own bucket")
        #expect(limiter.take(partner: "P", customer: "A", throttle: OperationCatalog.named("customers.get")?.throttle, now: 0) == nil,
                "another resource has its own bucket")
        #expect(limiter.take(partner: "P", customer: "A", throttle: orders, now: 0.13) == nil, "refilled at 500 per minute")
        for _ in 0..<5000 { #expect(limiter.take(partner: "P", customer: nil, throttle: nil, now: 0) == nil, "line items: no limit") }
        let carts = OperationCatalog.named("carts.create")?.throttle
        for _ in 0..<1000 { #expect(limiter.take(partner: "P", customer: "A", throttle: carts, now: 0) == nil, "no figure: no limit unless --rate-limit listed=…") }
        let off = SandboxRateLimiter(limits: try RateLimits.parse("documented=off"))
        for _ in 0..<1000 { #expect(off.take(partner: "P", customer: "A", throttle: orders, now: 0) == nil) }
        let listed = SandboxRateLimiter(limits: try RateLimits.parse("listed=2/1m"))
        #expect(listed.take(partner: "P", customer: "A", throttle: carts, now: 0) == nil)
        #expect(listed.take(partner: "P", customer: "A", throttle: carts, now: 0) == nil)
        #expect(listed.take(partner: "P", customer: "A", throttle: carts, now: 0) != nil)
    }

    @Test("a burst of 2,000 calls on one documented bucket, sent when the client's limiter says, arriving up to 50 ms apart out of order: no 429, at least 95% of the limit")
    func burstSimulation() {
        let client = PartnerCenter.RateLimiter(policy: RateLimitPolicy())
        let sandbox = SandboxRateLimiter(limits: .default)
        let route = Self.route("orders.get", "A")
        let throttle = OperationCatalog.named("orders.get")?.throttle
        var generator = SystemRandomNumberGenerator()
        // Every call is issued at t = 0 (pc.map with a deep queue) and waits what the client says.
        var arrivals = (0..<2000).map { _ in client.reserve(route, now: 0) + Double.random(in: 0...0.05, using: &generator) }
        arrivals.sort()
        var throttled = 0
        for t in arrivals where sandbox.take(partner: "P", customer: "A", throttle: throttle, now: t) != nil { throttled += 1 }
        #expect(throttled == 0)
        let achieved = Double(arrivals.count) / arrivals.last!
        let limit: Double = 500.0 / 60
        #expect(achieved >= 0.95 * limit)
        let ceiling: Double = 1.05 * limit * 2000 / 1992
        #expect(achieved <= ceiling, "never faster than the limit beyond the first second's burst")
    }

    @Test("against the sandbox's default limits, the client's defaults send a burst on customers.get without one 429")
    func noThrottleEndToEnd() async throws {
        try await withSandbox({ $0.rateLimits = .default }, client: {
            $0.sleeper = { try await Task.sleep(for: $0) }
            $0.rateLimits = RateLimitPolicy()
        }) { harness, client in
            var customers: [Customer] = []
            for try await customer in client.customers(pageSize: 3) { customers.append(customer) }
            let customer = try #require(customers.first).id
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<24 { group.addTask { _ = try await client.send(.getCustomer(customerId: customer)) } }
                try await group.waitForAll()
            }
            #expect(client.metrics.throttled == 0)
            #expect(harness.log.filter { $0.status == 429 }.isEmpty)
            // 24 calls; a response lost after the sandbox logged it (a busy machine) is sent again
            // as a retry, which the sandbox logs a second time
            let served = harness.log.filter { $0.route == "customers.get" && $0.status == 200 }.count
            #expect(served >= 24 && served <= 24 + client.metrics.retries, "\(served) served, \(client.metrics.retries) retries")
            #expect(client.rateLimiter.currentRate(Self.route("customers.get", customer)) == 500.0 / 60)
        }
    }

    @Test("a route without a documented limit that answers 429 is slowed on the client, waits Retry-After, and every call succeeds")
    func adaptiveEndToEnd() async throws {
        try await withSandbox({ $0.rateLimits = RateLimits(documented: true, partner: RateLimit(requests: 5, per: 1), customer: nil) }, client: {
            $0.sleeper = { try await Task.sleep(for: $0) }
            $0.rateLimits = RateLimitPolicy()
            $0.retry = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(50), maxDelay: .seconds(1), retryBudget: 200)
        }) { harness, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { _ = try await client.send(.listProducts(country: "US", targetView: "AzureReservationsVM")) } }
                try await group.waitForAll()
            }
            #expect(client.metrics.failures == 0)
            #expect(client.metrics.throttled >= 1)
            // every call answered 200 once at least; on a saturated machine a read whose answer came
            // too late may be sent again (reads are retried), so the log may hold one more
            #expect(harness.log.filter { $0.route == "products.list" && $0.status == 200 }.count >= 20)
        }
    }

    @Test("the README's rate-limit table is the declared table: every row, its operations and its figure")
    func readmeTable() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| ") }
        for rule in APIOperation.Throttle.table {
            let row = try #require(rows.first { $0.hasPrefix("| \(rule.group) |") }, "no README row for \(rule.group)")
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let listed = Set(cells[1].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) })
            let declared = Set(OperationCatalog.all.filter { $0.throttle == rule }.map(\.name))
            #expect(listed == declared, "\(rule.group): the README lists \(listed.sorted()), the catalogue \(declared.sorted())")
            if let figure = rule.perMinute { #expect(cells[2] == "\(figure) / min") } else { #expect(cells[2].contains("no figure")) }
            #expect(cells[3] == (rule.partition == .partnerAndCustomer ? "partner + customer" : "partner"))
        }
    }
}
