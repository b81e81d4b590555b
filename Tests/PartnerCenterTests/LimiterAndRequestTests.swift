import Foundation
import Testing
@testable import PartnerCenter
import PartnerCenterModels
import Synchronization

@Suite("Rate limiter logic")
struct RateLimiterTests {
    @Test("a token bucket serves its burst at once, then spaces requests at its rate")
    func bucketSpacing() {
        var bucket = TokenBucket(rate: 10, burst: 2, now: 0)
        #expect(bucket.reserve(now: 0) == 0)
        #expect(bucket.reserve(now: 0) == 0)
        #expect(abs(bucket.reserve(now: 0) - 0.1) < 1e-9)
        #expect(abs(bucket.reserve(now: 0) - 0.2) < 1e-9)
        // Time passing pays the debt back.
        #expect(bucket.reserve(now: 1) == 0)
    }

    @Test("a 429 halves the bucket's rate and pauses it for Retry-After; successes recover it up to the configured rate")
    func aimd() {
        var bucket = TokenBucket(rate: 10, burst: 5, now: 0)
        bucket.penalize(now: 0, retryAfter: 3, factor: 0.5, floor: 0.1)
        #expect(bucket.rate == 5)
        // During the pause every reservation waits at least until it ends.
        #expect(bucket.reserve(now: 1) >= 2)
        bucket.penalize(now: 1, retryAfter: nil, factor: 0.5, floor: 0.1)
        #expect(bucket.rate == 2.5)
        bucket.penalize(now: 1.5, retryAfter: nil, factor: 0.5, floor: 0.1)
        #expect(bucket.rate == 2.5, "the 429s of one burst count as one decrease")
        bucket.penalize(now: 2, retryAfter: nil, factor: 0.5, floor: 0.1)
        bucket.penalize(now: 3, retryAfter: nil, factor: 0.5, floor: 0.1)
        #expect(bucket.rate == 1, "never below the floor (10% of 10)")
        for _ in 0..<1000 { bucket.reward(fraction: 0.02) }
        #expect(bucket.rate == 10, "recovers, but never above the configured rate")
    }

    static func route(_ operation: String, _ customer: String? = nil) -> RateLimiter.Route {
        RateLimiter.Route(operation: operation, throttle: OperationCatalog.named(operation)?.throttle, customer: customer)
    }

    @Test("optional caps limit every request per partner and per customer, each customer in its own bucket")
    func perCustomerBuckets() {
        let limiter = RateLimiter(policy: RateLimitPolicy(documented: false, partnerRate: 100, partnerBurst: 100, customerRate: 1, customerBurst: 1))
        #expect(limiter.reserve(Self.route("customers.get", "A"), now: 0) == 0)
        #expect(limiter.reserve(Self.route("customers.get", "a"), now: 0) == 1, "customer keys are case-insensitive")
        #expect(limiter.reserve(Self.route("customers.get", "B"), now: 0) == 0, "another customer is not slowed")
        #expect(limiter.reserve(Self.route("invoices.balance"), now: 0) == 0)
        #expect(limiter.currentPartnerRate == 100)
        limiter.penalize(Self.route("customers.get", "B"), retryAfter: nil, now: 0)
        #expect(limiter.currentPartnerRate == 50)
        limiter.reward(Self.route("customers.get", "B"))
        #expect(limiter.currentPartnerRate! > 50)
    }

    @Test("by default a documented route gets its own bucket per group and customer at the documented 500 per minute; other routes none")
    func documentedBuckets() {
        let limiter = RateLimiter(policy: RateLimitPolicy())
        #expect(limiter.policy.partnerRate == nil && limiter.policy.customerRate == nil, "no blanket cap by default")
        let orders = Self.route("orders.list", "A")
        #expect(orders.documentedRate == 500.0 / 60)
        // One second's worth (8 requests) at once, then one every 60/500 s.
        for _ in 0..<8 { #expect(limiter.reserve(orders, now: 0) == 0) }
        #expect(abs(limiter.reserve(orders, now: 0) - 0.12) < 1e-9)
        #expect(abs(limiter.reserve(orders, now: 0) - 0.24) < 1e-9)
        // orders.get draws on the same Order bucket; another customer and another resource do not.
        #expect(limiter.reserve(Self.route("orders.get", "a"), now: 0) > 0.3)
        #expect(limiter.reserve(Self.route("orders.list", "B"), now: 0) == 0)
        #expect(limiter.reserve(Self.route("customers.get", "A"), now: 0) == 0)
        // Line items, invoices, the catalog: no documented figure, never waited for.
        for _ in 0..<10_000 { #expect(limiter.reserve(Self.route("invoices.line_items"), now: 0) == 0) }
        #expect(limiter.currentRate(Self.route("invoices.line_items")) == nil)
        // Turned off (profile documented_limits = false), the documented route is not limited either.
        let off = RateLimiter(policy: RateLimitPolicy(documented: false))
        for _ in 0..<100 { #expect(off.reserve(orders, now: 0) == 0) }
    }

    @Test("an unthrottled route that gets a 429 drops to half the rate it was sending, honours Retry-After, recovers additively, then is unthrottled again")
    func adaptiveOn429() {
        let limiter = RateLimiter(policy: RateLimitPolicy(recoveryFraction: 0.1))
        let lines = Self.route("invoices.line_items")
        // 40 requests in the first second, then a 429 asking for 2 s.
        for i in 0..<40 { #expect(limiter.reserve(lines, now: Double(i) / 40) == 0) }
        for i in 0..<40 { #expect(limiter.reserve(lines, now: 1 + Double(i) / 40) == 0) }
        limiter.penalize(lines, retryAfter: 2, now: 2)
        let rate = try! #require(limiter.currentRate(lines))
        #expect(rate == 20, "half of the 40 per second it was sending")
        #expect(limiter.reserve(lines, now: 2) >= 2, "paused for Retry-After")
        // Additive recovery: 10% of 40 per success, so 5 successes bring it back, and it is unthrottled again.
        for _ in 0..<4 { limiter.reward(lines) }
        #expect(limiter.currentRate(lines) == 36)
        limiter.reward(lines)
        #expect(limiter.currentRate(lines) == nil)
        // Other routes were never touched.
        #expect(limiter.currentRate(Self.route("invoices.get")) == nil)
    }

    @Test("every operation's throttle is a row of the one cited table; the rows with a figure say 500 per minute and cite their source")
    func throttleTable() {
        let table = APIOperation.Throttle.table
        #expect(Set(table.map(\.group)).count == table.count, "one row per group")
        for operation in OperationCatalog.all {
            guard let throttle = operation.throttle else { continue }
            #expect(table.contains(throttle), "\(operation.name): its throttle is not in the table")
        }
        for row in table {
            #expect(row.source.contains("partner-center-api.md §1.10"))
            if let figure = row.perMinute { #expect(figure == 500) }
        }
        #expect(OperationCatalog.named("invoices.line_items")?.throttle == nil, "line items are not in the throttled list")
        #expect(OperationCatalog.named("customers.get")?.throttle?.group == "customer")
        #expect(OperationCatalog.named("carts.checkout")?.throttle?.perMinute == nil)
    }

    @Test("the concurrency cap admits N holders and queues the next until one releases")
    func concurrencyCap() async throws {
        let limiter = RateLimiter(policy: .unlimited(concurrency: 2))
        let first = try await limiter.acquire(Self.route("invoices.balance"))
        let second = try await limiter.acquire(Self.route("invoices.balance"))
        let third = Task { try await limiter.acquire(Self.route("invoices.balance")) }
        // The third waiter cannot complete while both permits are held; release one and it must.
        first.release()
        let permit = try await third.value
        permit.release()
        second.release()
        let waiter = Task { try await limiter.acquire(Self.route("invoices.balance")) }
        let held = try await waiter.value
        held.release()
    }

    @Test("a task waiting for a slot is released by cancellation")
    func cancelWhileWaiting() async throws {
        let limiter = RateLimiter(policy: .unlimited(concurrency: 1))
        let holder = try await limiter.acquire(Self.route("invoices.balance"))
        let waiter = Task { try await limiter.acquire(Self.route("invoices.balance")) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        holder.release()
    }

    @Test("backoff ceilings grow exponentially up to the cap and jitter stays under the ceiling")
    func backoff() {
        let policy = RetryPolicy(baseDelay: .milliseconds(500), multiplier: 2, maxDelay: .seconds(4))
        #expect(policy.backoffCeiling(forRetry: 0) == .milliseconds(500))
        #expect(policy.backoffCeiling(forRetry: 2) == .seconds(2))
        #expect(policy.backoffCeiling(forRetry: 10) == .seconds(4))
        #expect(policy.backoff(forRetry: 2, unit: 0.5) == .seconds(1))
        #expect(policy.backoff(forRetry: 2, unit: 7) == .seconds(2))
    }
}

@Suite("Secrets")
struct RedactionTests {
    @Test("registered secrets, bearer tokens and JWTs never survive redaction")
    func redaction() {
        let redactor = SecretRedactor()
        redactor.register("client-secret-123")
        let text = redactor.redact(
            "failed with client-secret-123; Authorization: Bearer abc.def-ghi; token eyJhbGciOi.eyJzdWIi.c2ln; refresh_token=0.AAAbbbCCC&x=1")
        #expect(!text.contains("client-secret-123"))
        #expect(!text.contains("abc.def-ghi"))
        #expect(!text.contains("eyJhbGciOi"))
        #expect(!text.contains("0.AAAbbbCCC"))
        #expect(text.contains("x=1"))
    }

    @Test("a Secret and a configuration holding secrets print no secret")
    func secretsDoNotPrint() {
        let config = ClientConfiguration(clientSecret: Secret("hunter2-secret"), refreshToken: Secret("rt-value-999"))
        let printed = "\(config.clientSecret!) \(String(describing: config)) \(String(reflecting: config.refreshToken!))"
        #expect(!printed.contains("hunter2-secret"))
        #expect(!printed.contains("rt-value-999"))
    }

    @Test("a rotated refresh token is written with file mode 0600")
    func secretFileMode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-rt-\(UUID().uuidString)/token").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try TokenProvider.writeSecretFile(path: path, contents: "rotated")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "rotated")
    }
}

@Suite("Requests")
struct RequestTests {
    @Test("declared operations produce the documented method, path and query; bad arguments are refused before sending")
    func builders() throws {
        let products = PartnerCenterRequest.listProducts(country: "US", targetView: "AzureReservationsVM", reservationScope: "AzurePlan")
        #expect(products.description == "GET /v1/products?country=US&targetView=AzureReservationsVM&reservationScope=AzurePlan")
        let checkout = PartnerCenterRequest.checkoutCart(customerId: "c1", cartId: "k1", requestId: "r1")
        #expect(checkout.method == "POST" && checkout.path == "/v1/customers/c1/carts/k1/checkout" && checkout.requestId == "r1")
        for bad in ["a/b", "", "a b", "x?y", "a#b", "50%", String(repeating: "x", count: 300)] {
            #expect(throws: PartnerCenterError.self, "\(bad)") {
                try PartnerCenterRequest(OperationCatalog["customers.get"], ["customer_id": .string(bad)])
            }
        }
        #expect(try PartnerCenterRequest(OperationCatalog["customers.get"], ["customer_id": "a:b@c"]).path == "/v1/customers/a:b@c")
        // unknown options get a did-you-mean; required ones are named; kinds are checked
        do {
            _ = try PartnerCenterRequest(OperationCatalog["products.list"], ["country": "US", "target_veiw": "x"])
            Issue.record("an unknown option was accepted")
        } catch let e as PartnerCenterError {
            #expect(e.message.contains("unknown option 'target_veiw' — did you mean 'target_view'?"), "\(e.message)")
            #expect(e.notSent)
        }
        #expect(throws: PartnerCenterError.self) { try PartnerCenterRequest(OperationCatalog["products.list"], ["country": "US"]) }
        #expect(throws: PartnerCenterError.self) { try PartnerCenterRequest(OperationCatalog["customers.list"], ["size": "ten"]) }
        #expect(throws: PartnerCenterError.self) { try PartnerCenterRequest(OperationCatalog["carts.create"], ["customer_id": "c"]) }
        // defaults are sent
        let defaults = try PartnerCenterRequest(OperationCatalog["invoices.line_items"], ["invoice_id": "G1"])
        #expect(defaults.description == "GET /v1/invoices/G1/lineitems?provider=onetime&invoicelineitemtype=billinglineitems")
        let lines = PartnerCenterRequest.invoiceLineItems(invoiceId: "G1", provider: "onetime", invoiceLineItemType: "billinglineitems", size: 2)
        #expect(lines.description == "GET /v1/invoices/G1/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=2")
    }

    @Test("links resolve with or without /v1 and carry their continuation token")
    func links() throws {
        let next = try PartnerCenterRequest.link(
            uri: "/invoices/G1/lineitems?provider=onetime&size=1&seekOperation=Next",
            headers: ["MS-ContinuationToken": "tok,en/=="])
        #expect(next.path == "/v1/invoices/G1/lineitems")
        #expect(next.query.contains(.init("seekOperation", "Next")))
        #expect(next.continuationToken == "tok,en/==")
        let versioned = try PartnerCenterRequest.link(uri: "/v1/customers?size=2")
        #expect(versioned.path == "/v1/customers")
        #expect(throws: PartnerCenterError.self) { try PartnerCenterRequest.link(uri: "customers") }
    }

    @Test("only declared operations change anything: raw or unpinned changes are refused, the market rule comes from the catalogue")
    func onlyDeclaredChanges() throws {
        let client = try PartnerCenterClient(configuration: ClientConfiguration(endpoint: "http://127.0.0.1:9"))
        defer { Task { try? await client.shutdown() } }
        // raw mutating requests, whatever their spelling, are not declared operations
        for (method, path) in [
            ("POST", "/v1/customers/C1/carts"), ("post", "/customers/C1/Carts/"), ("PUT", "/V1/customers/C1/carts/x"),
            ("POST", "/v1/customers/C1/carts/x/checkout"), ("POST", "/v1/%63ustomers/C1/%63arts"),
            ("POST", "/v1/customers/C1/orders"), ("PATCH", "/v1/customers/C1/orders/o1"), ("DELETE", "/v1/customers/C1/carts/x"),
        ] {
            #expect(throws: PartnerCenterError.self, "\(method) \(path)") {
                try client.prepare(PartnerCenterRequest(method: method, path: path, requestId: "pinned"))
            }
        }
        // a declared change without a pinned request id is refused; pinned, the market rule applies
        #expect(throws: PartnerCenterError.self) { try client.prepare(.make("carts.checkout", [("customer_id", "C1"), ("cart_id", "x")])) }
        for name in ["carts.create", "carts.update", "carts.checkout", "subscriptions.register"] {
            let op = OperationCatalog[name]
            var values: OperationArguments = [:]
            for p in op.pathParameters { values[p.lua] = "x" }
            if let body = op.body { values[body.lua] = .json(Data(#"{"lineItems": [{"id": 0}]}"#.utf8)) }
            var request = try PartnerCenterRequest(op, values)
            request.requestId = "pinned"
            let prepared = try client.prepare(request)
            #expect(prepared.marketRule, "\(name)")
            #expect(prepared.customerId == "x")
        }
        #expect(try !client.prepare(.getCart(customerId: "C1", cartId: "x")).marketRule)
        #expect(try !client.prepare(.listOrders(customerId: "C1")).marketRule)
        for path in ["https://evil.example/v1/x", "//evil/v1", "/v1/customers//carts", "/v1/customers/../carts", "/v1/x?y=1", "relative"] {
            #expect(throws: PartnerCenterError.self, "\(path)") { try client.prepare(PartnerCenterRequest(method: "GET", path: path)) }
        }
        #expect(throws: PartnerCenterError.self) { try client.prepare(PartnerCenterRequest(method: "TRACE", path: "/v1/x")) }
    }

    @Test("an error's description carries the category, context and hint")
    func errorDescription() {
        let error = PartnerCenterError(
            category: .invalidArgument, message: "cart line error", status: 400, pcCode: "10011", requestId: "r", method: "POST",
            path: "/v1/customers/c/carts")
        #expect(error.description.hasPrefix("invalid_argument: cart line error (POST /v1/customers/c/carts, request r, HTTP 400, code 10011)"))
        #expect(error.hint?.contains("register") == true)
        #expect(PartnerCenterError.category(forStatus: 429) == .throttled)
        #expect(PartnerCenterError.category(forStatus: 503) == .serverError)
        #expect(PartnerCenterError.Category.allCases.map(\.rawValue).sorted() == [
            "bought_above_cap", "cancelled", "conflict", "forbidden", "interrupted", "invalid_argument", "memory_limit", "network",
            "not_found", "policy_denied", "script_error", "server_error", "throttled", "timeout", "unauthenticated",
        ])
        // the exit status each maps to, one table for the CLI
        #expect(PartnerCenterError(category: .policyDenied, message: "").exitStatus == 3)
        #expect(PartnerCenterError(category: .boughtAboveCap, message: "").exitStatus == 4)
        #expect(PartnerCenterError(category: .interrupted, message: "").exitStatus == 130)
        #expect(PartnerCenterError(category: .serverError, message: "").exitStatus == 1)
    }
}

@Suite("Response parsing")
struct ResponseParsingTests {
    func response(_ json: String, request: PartnerCenterRequest = .listInvoices(size: 1)) -> RawResponse {
        RawResponse(status: 200, headers: [], body: Data(json.utf8), requestId: "r", correlationId: "c", request: request, attempts: 1)
    }

    @Test("the next page comes from links.next, with its continuation-token header; the last page has none")
    func nextPage() throws {
        let seek = response("""
        {"totalCount":1,"items":[{}],"continuationToken":"T1",
         "links":{"next":{"uri":"/invoices/G1/lineitems?provider=onetime&size=1&seekOperation=Next","method":"GET",
                          "headers":[{"key":"MS-ContinuationToken","value":"T1"}]}}}
        """)
        let next = try #require(seek.nextPageRequest)
        #expect(next.path == "/v1/invoices/G1/lineitems")
        #expect(next.continuationToken == "T1")
        #expect(seek.continuationToken == "T1")
        let offset = response(#"{"items":[],"links":{"self":{"uri":"/invoices?size=1&offset=0"},"next":{"uri":"/v1/invoices?size=1&offset=1"}}}"#)
        #expect(offset.nextPageRequest?.query == [.init("size", "1"), .init("offset", "1")])
        #expect(response(#"{"items":[],"links":{"self":{"uri":"/x"}}}"#).nextPageRequest == nil)
        #expect(response("[1,2]").nextPageRequest == nil)
        #expect(response("not json").nextPageRequest == nil)
    }

    @Test("the customer's country comes from the company profile, else the billing profile")
    func customerCountry() {
        #expect(PartnerCenterClient.country(fromCustomerJSON: Data(#"{"companyProfile":{"address":{"country":"br"}}}"#.utf8)) == "BR")
        #expect(PartnerCenterClient.country(fromCustomerJSON: Data(
            #"{"companyProfile":{},"billingProfile":{"defaultAddress":{"country":"KR"}}}"#.utf8)) == "KR")
        #expect(PartnerCenterClient.country(fromCustomerJSON: Data(#"{"id":"x"}"#.utf8)) == nil)
    }

    @Test("a body that does not decode is a server_error naming the operation, not a crash")
    func decodeFailure() {
        let bad = response(#"{"id": 5}"#, request: .getCustomer(customerId: "c"))
        #expect(throws: PartnerCenterError.self) { _ = try bad.decode([String].self) }
    }
}

@Suite("Tolerant typed decoding through the client")
struct TolerantDecodingTests {
    @Test("unknown enum values, numbers as strings and year-0001 dates decode instead of failing a typed call")
    func tolerance() throws {
        let body = """
        {"id":"o1","billingCycle":"quadrennial","status":"Pending Review Soon","creationDate":"0001-01-01T00:00:00",
         "totalPrice":"1234.56","lineItems":[{"lineItemNumber":"0","quantity":"2","offerId":"A:B:C"}],"extra":{"new":true}}
        """
        let response = RawResponse(
            status: 200, headers: [], body: Data(body.utf8), requestId: "r", correlationId: "c",
            request: .getOrder(customerId: "c", orderId: "o1"), attempts: 1)
        let order = try response.decode(PartnerCenterModels.Order.self)
        #expect(order.billingCycle == .unknown("quadrennial"))
        #expect(order.status?.isKnown == false)
        #expect(order.creationDate == nil)
        #expect(order.totalPrice == Decimal(string: "1234.56"))
        #expect(order.lineItems?.first?.quantity == 2)
        let cycle = try response.decode(PartnerCenterModels.Order.self).billingCycle
        #expect(cycle?.wireValue == "quadrennial")
    }
}

@Suite("Transport error messages")
struct TransportErrorTextTests {
    @Test("a socket error reads as the system names it, not in NIO's wrapping")
    func socketErrors() {
        #expect(socketErrorText("connection reset (error set): Connection refused) (errno: 111)") == "connection refused (errno 111)")
        #expect(socketErrorText("NIOConnectionError(host: \"127.0.0.1\", port: 1, errno: 113)") == "no route to host (errno 113)")
        #expect(socketErrorText("something else went wrong") == nil)
        struct Wrapped: Error, CustomStringConvertible { var description: String { "read(descriptor:pointer:size:): Connection reset by peer (errno: 104)" } }
        let (category, text) = classifyTransportError(Wrapped())
        #expect(category == .network)
        #expect(text == "connection reset by peer (errno 104)")
    }
}

@Suite("connection failures")
struct ConnectionFailureTests {
    @Test("a refused connection fails the attempt at once and pcx's retry policy retries it, seen; the HTTP pool does not retry it unseen until the connect timeout")
    func aRefusedConnectionIsRetriedByThePolicy() async throws {
        let events = Mutex<[ClientEvent]>([])
        var config = ClientConfiguration(endpoint: "http://127.0.0.1:9")
        config.accessToken = Secret("token")
        config.retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2))
        // with the pool retrying unseen, one attempt would last the whole connect timeout
        config.timeouts = Timeouts(connect: .seconds(120), request: .seconds(120), overall: .seconds(900))
        config.onEvent = { event in events.withLock { $0.append(event) } }
        let client = try PartnerCenterClient(configuration: config)
        defer { Task { try? await client.shutdown() } }
        let started = ContinuousClock.now
        do {
            _ = try await client.send(PartnerCenterRequest(method: "GET", path: "/v1/customers"))
            Issue.record("a refused connection succeeded")
        } catch let error as PartnerCenterError {
            #expect(error.category == .network, "\(error)")
            #expect(error.message.contains("connection refused"), "\(error.message)")
            #expect(error.message.contains("gave up after 3 attempts"), "\(error.message)")
        }
        let retries = events.withLock { $0 }.compactMap { event -> String? in
            if case .retrying(_, _, _, _, let reason) = event { return reason }
            return nil
        }
        #expect(retries == ["network", "network"])
        #expect(ContinuousClock.now - started < .seconds(120), "three refused attempts ended before one connect timeout")
    }
}
