import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Faults, throttling, clock, request log and admin endpoints")
struct FaultsAndThrottlingTests {
    @Test("a scripted fault sequence answers 503, 500, then behaves")
    func scriptedSequence() async throws {
        try await withSandbox({ $0.faults = try! FaultPlan.parse("customers.list=503,500") }) { h in
            let token = try await h.token()
            let first = try await h.send(.GET, "/v1/customers", token: token)
            #expect(first.status == 503)
            #expect(first.header("Retry-After") == "1")
            #expect(first.fault?.numericCode == 800003)
            #expect(try await h.send(.GET, "/v1/customers", token: token).status == 500)
            #expect(try await h.send(.GET, "/v1/customers", token: token).status == 200)
            #expect(h.sandbox.faults.rules.isEmpty)
        }
    }

    @Test("faults are installed and cleared through POST/DELETE /_sandbox/faults")
    func adminFaults() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let customer = try #require(try await h.customers(token).first)
            let set = try await h.send(.POST, "/_sandbox/faults", body: #"{"spec": "customers.get=expired-token"}"#)
            #expect(set.status == 200)
            #expect(set.text.contains("customers.get=expired-token"))
            let expired = try await h.send(.GET, "/v1/customers/\(customer.id)", token: token)
            #expect(expired.status == 401)
            let bad = try await h.send(.POST, "/_sandbox/faults", body: "carts.checkout=explode")
            #expect(bad.status == 400)
            #expect(bad.text.contains("explode"))
            #expect(try await h.send(.POST, "/_sandbox/faults", body: "customers.list=malformed").status == 200)
            let broken = try await h.send(.GET, "/v1/customers", token: token)
            #expect(broken.status == 200)
            #expect(broken.json == nil)
            #expect(try await h.send(.DELETE, "/_sandbox/faults").status == 204)
            #expect(try await h.send(.GET, "/v1/customers", token: token).json != nil)
        }
    }

    @Test("rate faults are deterministic for a seed")
    func rateFaults() async throws {
        func run() async throws -> [Int] {
            var statuses: [Int] = []
            try await withSandbox({ $0.faults = try! FaultPlan.parse("*=rate:0.5:503"); $0.seed = 7 }) { h in
                let token = try await h.token()
                for _ in 0..<12 { statuses.append(try await h.send(.GET, "/v1/invoices/summary", token: token).status) }
            }
            return statuses
        }
        let a = try await run(), b = try await run()
        #expect(a == b)
        #expect(a.contains(503) && a.contains(200))
    }

    @Test("throttling answers 429 with Retry-After and the non-ApiFault body, per partner+customer, refilled by the clock")
    func throttling() async throws {
        try await withSandbox({ $0.rateLimits = try! RateLimits.parse("partner=off,customer=2/1m") }) { h in
            let token = try await h.token()
            let customers = try await h.customers(token)
            let a = customers[0].id, b = customers[1].id
            #expect(try await h.send(.GET, "/v1/customers/\(a)", token: token).status == 200)
            #expect(try await h.send(.GET, "/v1/customers/\(a)", token: token).status == 200)
            let limited = try await h.send(.GET, "/v1/customers/\(a)", token: token)
            #expect(limited.status == 429)
            // 2 per minute: the next token is 30 s away, less the real time the three requests
            // took (a loaded machine can spend a second or two on them).
            let retryAfter = try #require(limited.header("Retry-After").flatMap { Int($0) })
            #expect((25...30).contains(retryAfter))
            let body = try limited.decode(ThrottlingError.self)
            #expect(body.statusCode == 429)
            #expect(body.message == "Rate limit is exceeded. Try again in \(retryAfter) seconds.")
            #expect(limited.fault?.code == nil)
            #expect(try await h.send(.GET, "/v1/customers/\(b)", token: token).status == 200)
            #expect(try await h.send(.GET, "/v1/customers/\(a)", token: try await h.token(partner: 1)).status != 429)
            h.sandbox.clock.advance(by: 30)
            #expect(try await h.send(.GET, "/v1/customers/\(a)", token: token).status == 200)
        }
    }

    @Test("a fault that acts on the answer acts on any answer: drop-after drops a throttled request too, and the log says so")
    func dropAfterAThrottledAnswer() async throws {
        try await withSandbox({
            $0.rateLimits = try! RateLimits.parse("partner=off,customer=1/1m")
            $0.faults = try! FaultPlan.parse("customers.get=ok,drop-after")
        }) { h in
            let token = try await h.token()
            let id = try await h.customers(token)[0].id
            #expect(try await h.send(.GET, "/v1/customers/\(id)", token: token).status == 200)
            await #expect(throws: (any Error).self, "the throttled answer is dropped, not sent") {
                _ = try await h.send(.GET, "/v1/customers/\(id)", token: token)
            }
            let log = h.sandbox.requestLog.entries(route: "customers.get")
            #expect(log.map(\.fault) == [nil, "drop-after"])
            #expect(log.map(\.status) == [200, 0])
        }
    }

    @Test("the clock moves through POST /_sandbox/clock")
    func clockAdmin() async throws {
        try await withSandbox { h in
            let before = h.sandbox.clock.now
            let result = try await h.send(.POST, "/_sandbox/clock", body: #"{"advance": "15m"}"#)
            #expect(result.status == 200)
            #expect(h.sandbox.clock.now.timeIntervalSince(before) >= 900)
            #expect(try await h.send(.POST, "/_sandbox/clock", body: #"{"advanceSeconds": 60}"#).status == 200)
            #expect(h.sandbox.clock.offsetSeconds >= 960)
            #expect(try await h.send(.POST, "/_sandbox/clock", body: #"{"advance": "soon"}"#).status == 400)
            #expect(try await h.send(.GET, "/_sandbox/clock").status == 200)
        }
    }

    @Test("the request log records method, path, query, status, request id, partner and mutation, in-process and over HTTP")
    func requestLog() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let requestId = UUID().uuidString
            _ = try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservationsVM", token: token, headers: [("MS-RequestId", requestId)])
            let entry = try #require(h.sandbox.requestLog.entries(route: "products.list").last)
            #expect(entry.method == "GET")
            #expect(entry.path == "/v1/products")
            #expect(entry.query == "country=US&targetView=AzureReservationsVM")
            #expect(entry.status == 200)
            #expect(entry.requestId == requestId)
            #expect(entry.partner == h.first.tenantId)
            #expect(entry.mutated == false)
            let over = try await h.send(.GET, "/_sandbox/requests?route=products.list")
            #expect(over.text.contains(requestId))
            let credentials = try await h.send(.GET, "/_sandbox/credentials")
            #expect(credentials.text.contains(h.second.tenantId))
            #expect(!h.first.description.contains(h.first.clientSecret))
            #expect(!entry.path.contains(h.first.clientSecret))
        }
    }

    @Test("unknown paths are 404 and wrong methods 405, with the ApiFault body")
    func unknownRoutes() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let missing = try await h.send(.GET, "/v1/nothing/here", token: token)
            #expect(missing.status == 404 && missing.fault?.numericCode == 1000)
            let wrong = try await h.send(.DELETE, "/v1/customers", token: token)
            #expect(wrong.status == 405)
            #expect(wrong.header("Allow") == "GET")
        }
    }
}
