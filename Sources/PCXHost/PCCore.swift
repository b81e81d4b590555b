import Foundation
import LuaRuntime
import PartnerCenter

/// Parameters of a `pc.core` call, as passed from `stdlib/pc.lua` (snake_case keys).
struct Params {
    let op: String
    let table: LuaTable

    func string(_ key: String) throws -> String {
        guard let s = table[key].stringValue, !s.isEmpty else {
            throw HostError(code: .invalidArgument, message: "\(op): missing required '\(key)'")
        }
        return s
    }
    func optString(_ key: String) -> String? { table[key].stringValue.flatMap { $0.isEmpty ? nil : $0 } }
    func optInt(_ key: String) throws -> Int? {
        let v = table[key]
        if case .nil = v { return nil }
        guard let i = v.intValue else { throw HostError(code: .invalidArgument, message: "\(op): '\(key)' must be an integer") }
        return Int(i)
    }
    func optBool(_ key: String) -> Bool? { table[key].boolValue }
    func optDouble(_ key: String) -> Double? { table[key].doubleValue }
    func body(_ key: String = "body") throws -> Data {
        guard case .string(let bytes) = table[key] else {
            throw HostError(code: .invalidArgument, message: "\(op): missing the request body")
        }
        return Data(bytes)
    }
}

/// Maps `pc.core` operation names to Partner Center requests.
enum Operations {
    /// Operations that are collections (`list` follows every page).
    static let collections: Set<String> = [
        "customers.list", "subscriptions.list", "products.list", "skus.list", "availabilities.list",
        "orders.list", "orders.provisioning_status", "entitlements.list", "invoices.summaries", "invoices.list",
        "invoices.line_items",
    ]

    /// The request for a plain (non-journaled, non-special) operation.
    static func request(_ p: Params) throws -> PartnerCenterRequest {
        switch p.op {
        case "customers.list": return .listCustomers(size: try p.optInt("size"))
        case "customers.get": return .getCustomer(customerId: try p.string("customer_id"))
        case "subscriptions.list": return .listSubscriptions(customerId: try p.string("customer_id"))
        case "subscriptions.get":
            return .getSubscription(customerId: try p.string("customer_id"), subscriptionId: try p.string("subscription_id"))
        case "subscriptions.register":
            return .registerSubscription(customerId: try p.string("customer_id"), subscriptionId: try p.string("subscription_id"))
        case "subscriptions.registration_status":
            return .registrationStatus(customerId: try p.string("customer_id"), subscriptionId: try p.string("subscription_id"))
        case "products.list":
            return .listProducts(country: try p.string("country"), targetView: try p.string("target_view"),
                                 targetSegment: p.optString("target_segment"), reservationScope: p.optString("reservation_scope"))
        case "products.get":
            return .getProduct(productId: try p.string("product_id"), country: try p.string("country"),
                               reservationScope: p.optString("reservation_scope"))
        case "skus.list":
            return .listSkus(productId: try p.string("product_id"), country: try p.string("country"),
                             targetSegment: p.optString("target_segment"), reservationScope: p.optString("reservation_scope"))
        case "skus.get":
            return .getSku(productId: try p.string("product_id"), skuId: try p.string("sku_id"), country: try p.string("country"),
                           reservationScope: p.optString("reservation_scope"))
        case "inventory.check": return .checkInventory(country: try p.string("country"), body: try p.body())
        case "availabilities.list":
            return .listAvailabilities(productId: try p.string("product_id"), skuId: try p.string("sku_id"),
                                       country: try p.string("country"), targetSegment: p.optString("target_segment"),
                                       reservationScope: p.optString("reservation_scope"))
        case "availabilities.get":
            return .getAvailability(productId: try p.string("product_id"), skuId: try p.string("sku_id"),
                                    availabilityId: try p.string("availability_id"), country: try p.string("country"))
        case "carts.create": return .createCart(customerId: try p.string("customer_id"), body: try p.body())
        case "carts.get": return .getCart(customerId: try p.string("customer_id"), cartId: try p.string("cart_id"))
        case "carts.update":
            return .updateCart(customerId: try p.string("customer_id"), cartId: try p.string("cart_id"), body: try p.body())
        case "orders.get":
            return .getOrder(customerId: try p.string("customer_id"), orderId: try p.string("order_id"),
                             includePrice: p.optBool("include_price"))
        case "orders.list":
            return .listOrders(customerId: try p.string("customer_id"), billingType: p.optString("billing_type"),
                               includePrice: p.optBool("include_price"))
        case "orders.provisioning_status":
            return .orderProvisioningStatus(customerId: try p.string("customer_id"), orderId: try p.string("order_id"))
        case "entitlements.list":
            return .listEntitlements(customerId: try p.string("customer_id"), entitlementType: p.optString("entitlement_type"),
                                     showExpiry: p.optBool("show_expiry"))
        case "entitlements.reservation_details":
            return try .link(uri: try p.string("uri"), operation: "entitlements.reservation_details")
        case "invoices.balance": return .accountBalance()
        case "invoices.summaries": return .invoiceSummaries()
        case "invoices.list": return .listInvoices(size: try p.optInt("size"))
        case "invoices.get": return .getInvoice(invoiceId: try p.string("invoice_id"))
        case "invoices.line_items":
            return .invoiceLineItems(invoiceId: try p.string("invoice_id"), provider: p.optString("provider") ?? "onetime",
                                     invoiceLineItemType: p.optString("invoice_line_item_type") ?? "billinglineitems",
                                     currencyCode: p.optString("currency_code"), period: p.optString("period"),
                                     size: try p.optInt("size"))
        case "invoices.statement": return .invoiceStatement(invoiceId: try p.string("invoice_id"))
        default:
            throw HostError(code: .invalidArgument, message: "unknown Partner Center operation '\(p.op)'")
        }
    }
}

/// Open page cursors of one run, keyed by handle (Lua holds the integer).
final class Cursors: Sendable {
    private let state = Mutex<(next: Int64, open: [Int64: Cursor])>((1, [:]))

    func open(_ cursor: Cursor) -> Int64 {
        state.withLock { s in
            let id = s.next
            s.next += 1
            s.open[id] = cursor
            return id
        }
    }

    func cursor(_ id: Int64) -> Cursor? { state.withLock { $0.open[id] } }
    func close(_ id: Int64) { _ = state.withLock { $0.open.removeValue(forKey: id) } }
    func closeAll() { state.withLock { $0.open.removeAll() } }
}

/// One page iterator: pages already in hand (from the catalog cache), then a live page sequence
/// (the client prefetches its next page). Used by one Lua iterator at a time: `next()` calls are
/// sequential (the Lua side awaits each before asking again), which is why it needs no lock.
final class Cursor: @unchecked Sendable {
    private var buffered: [Data]
    private let iterator: PageSequence.Iterator?
    private var finished = false

    init(buffered: [Data] = [], sequence: PageSequence? = nil) {
        self.buffered = buffered
        self.iterator = sequence?.makeAsyncIterator()
    }

    /// The next page: a cached body (no response), or a live response.
    func next() async throws -> (body: Data, response: RawResponse?)? {
        if !buffered.isEmpty { return (buffered.removeFirst(), nil) }
        if finished { return nil }
        guard let page = try await iterator?.next() else {
            finished = true
            return nil
        }
        return (page.body, page)
    }
}

/// Hands a Partner Center response body to Lua, after cheap checks that turn an unreadable answer
/// into a `server_error` naming the request, instead of a JSON parse error from deep inside pc.lua:
/// an empty 200 where a document was expected, a non-JSON content type, a body that does not
/// start and end like a JSON document (truncated, or an HTML error page).
func checkedJSON(_ response: RawResponse) throws -> LuaHostResult {
    try checkJSONBody(response.body, response: response)
    return .jsonData(response.body)
}

/// Throws `server_error` when `body` cannot be a JSON document (see ``checkedJSON(_:)``).
func checkJSONBody(_ body: Data, response: RawResponse?) throws {
    func fail(_ what: String) -> PartnerCenterError {
        PartnerCenterError(
            category: .serverError, message: "Partner Center's answer could not be read: \(what)",
            status: response?.status, requestId: response?.requestId, correlationId: response?.correlationId,
            method: response?.request.method, path: response?.request.path,
            hint: response?.request.isMutating == true
                ? "the change may have been made; re-run the same command: pcx re-sends it with the same request id"
                : "retry later; if it persists, report the request id to Microsoft")
    }
    let type = response?.header("Content-Type")?.lowercased().split(separator: ";").first.map(String.init)
    let ws: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
    guard let first = body.firstIndex(where: { !ws.contains($0) }),
          let last = body.lastIndex(where: { !ws.contains($0) }) else {
        throw fail("the body is empty")
    }
    let open = body[first], close = body[last]
    let shaped = (open == UInt8(ascii: "{") && close == UInt8(ascii: "}")) || (open == UInt8(ascii: "[") && close == UInt8(ascii: "]"))
    if !shaped {
        if open == UInt8(ascii: "<") || type == "text/html" { throw fail("it is an HTML page (\(type ?? "no content type")), not JSON") }
        throw fail("the JSON document is truncated or malformed (\(body.count) bytes, \(type ?? "no content type"))")
    }
}

/// The `pc.core` native module for one run.
struct PCCore: Sendable {
    let session: Session
    let cursors = Cursors()
    let gate: PurchaseGate
    let cache: CatalogCache?

    init(session: Session) {
        self.session = session
        self.gate = PurchaseGate(session: session)
        self.cache = CatalogCache.open(paths: session.options.paths, environment: session.options.environment)
    }

    /// A catalog read through the cache: the cached body, or a fetched single-page one (stored).
    func cachedRead(_ p: Params, _ request: PartnerCenterRequest, _ target: Session.Target) async throws -> Data? {
        guard let cache, CatalogCache.cacheable.contains(p.op) else { return nil }
        let key = CatalogCache.key(target: target.name, request: request)
        if let body = cache.get(key) { return body }
        let response = try await target.client.send(request)
        try checkJSONBody(response.body, response: response)
        if response.status == 200, response.nextPageRequest == nil { cache.put(key, response.body) }
        return response.body
    }

    /// The module's functions.
    func functions() -> [String: LuaFunction] {
        [
            "call": .async { args in try await guarded { try await call(args) } },
            "pages": .async { args in try await guarded { try await pages(args) } },
            "next_page": .async { args in try await guarded { try await nextPage(args) } },
            "error_prototype": .sync { _, _ in .value(.table(LuaTable(fields: [:], metatableName: pcErrorMetatable))) },
        ]
    }

    /// The module's values (`options`).
    func values() -> [String: LuaValue] {
        let o = session.options
        return [
            "options": .table(LuaTable(fields: [
                "json": .boolean(o.json), "dry_run": .boolean(o.purchase.dryRun),
                "allow_purchase": .boolean(o.purchase.allowPurchase),
            ])),
        ]
    }

    private func guarded(_ body: () async throws -> LuaHostResult) async throws -> LuaHostResult {
        do { return try await body() } catch { throw raisable(error) }
    }

    private func params(_ args: [LuaValue]) throws -> Params {
        guard let op = args.first?.stringValue else {
            throw HostError(code: .invalidArgument, message: "pc.core: expected an operation name")
        }
        return Params(op: op, table: args.count > 1 ? (args[1].tableValue ?? LuaTable()) : LuaTable())
    }

    func call(_ args: [LuaValue]) async throws -> LuaHostResult {
        let p = try params(args)
        switch p.op {
        case "subscriptions.register": return try await gate.register(p)
        case "subscriptions.wait_registered": return try await waitRegistered(p)
        case "orders.wait_completed": return try await waitCompleted(p)
        case "carts.create", "carts.update": return try await gate.journaledCart(p)
        case "carts.checkout": return try await gate.checkout(p)
        case "carts.preflight": return try await gate.preflight(p)
        case "invoices.statement": return try await statement(p)
        case "policy.check_market": return try await checkMarket(p)
        case "policy.excluded_markets":
            let target = try await session.target()
            let list = target.client.configuration.marketPolicy.excludedMarkets.sorted().map { LuaValue($0) }
            return .value(.table(LuaTable(array: list)))
        default:
            let target = try await session.target()
            let request = try Operations.request(p)
            if let body = try await cachedRead(p, request, target) { return .jsonData(body) }
            let response = try await target.client.send(request)
            if response.body.isEmpty && request.isMutating {
                return .value(.table(LuaTable(fields: ["status": .integer(Int64(response.status))])))
            }
            return try checkedJSON(response)
        }
    }

    func pages(_ args: [LuaValue]) async throws -> LuaHostResult {
        let p = try params(args)
        let request = try Operations.request(p)
        let target = try await session.target()
        if let body = try await cachedRead(p, request, target) {
            return .value(.integer(cursors.open(Cursor(buffered: [body]))))
        }
        return .value(.integer(cursors.open(Cursor(sequence: target.client.pages(of: request)))))
    }

    func nextPage(_ args: [LuaValue]) async throws -> LuaHostResult {
        guard let id = args.first?.intValue, let cursor = cursors.cursor(id) else {
            throw HostError(code: .invalidArgument, message: "pc.core.next_page: unknown or closed page cursor")
        }
        guard let page = try await cursor.next() else {
            cursors.close(id)
            return .value(.nil)
        }
        try checkJSONBody(page.body, response: page.response)
        return .jsonData(page.body)
    }

    func waitRegistered(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id"), subscription = try p.string("subscription_id")
        let target = try await session.target()
        if session.options.purchase.dryRun {
            // In a dry run the registration was recorded, not sent: report the current status.
            let status = try await target.client.send(.registrationStatus(customerId: customer, subscriptionId: subscription))
            return try checkedJSON(status)
        }
        let timeout = p.optDouble("timeout") ?? 600
        _ = try await target.client.waitUntilRegistered(
            customerId: customer, subscriptionId: subscription, timeout: .milliseconds(Int64(timeout * 1000)),
            initialDelay: .seconds(1), maxDelay: .seconds(15))
        let status = try await target.client.send(.registrationStatus(customerId: customer, subscriptionId: subscription))
        return try checkedJSON(status)
    }

    /// Polls an order with backoff until `completed` (or a terminal failure), or times out.
    func waitCompleted(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id"), orderId = try p.string("order_id")
        let timeout = p.optDouble("timeout") ?? 600
        let target = try await session.target()
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(timeout * 1000))
        var delay = Duration.seconds(1)
        while true {
            let response = try await target.client.send(.getOrder(customerId: customer, orderId: orderId))
            let status = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["status"] as? String
            let s = status?.lowercased() ?? ""
            if ["completed", "failed", "cancelled", "canceled"].contains(s) { return try checkedJSON(response) }
            if clock.now >= deadline {
                throw PartnerCenterError(
                    category: .timeout,
                    message: "order \(orderId) of customer \(customer) is still \(status ?? "pending") after \(Int(timeout)) s",
                    method: "GET", path: "/v1/customers/\(customer)/orders/\(orderId)",
                    hint: "the order was placed; check it later with pc.orders.get or `pcx journal list`")
            }
            try await Task.sleep(for: min(delay, deadline - clock.now))
            delay = min(delay * 2, .seconds(10))
        }
    }

    func statement(_ p: Params) async throws -> LuaHostResult {
        let path = try p.string("path")
        let url = URL(fileURLWithPath: path).standardizedFileURL
        try WritePolicy(allowed: session.options.limits.allowWrite,
                        denied: ScriptPolicy.denyPaths(paths: session.options.paths, environment: session.options.environment))
            .check(url)
        var isDirectory: ObjCBool = false
        let parent = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HostError(code: .invalidArgument, message: "cannot write \(url.path): the directory \(parent) does not exist",
                            hint: "create the directory before the run, or write the file into an existing one")
        }
        let target = try await session.target()
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).part-\(UUID().uuidString.prefix(8))")
        do {
            let result = try await target.client.download(.invoiceStatement(invoiceId: try p.string("invoice_id")), to: tmp.path)
            guard rename(tmp.path, url.path) == 0 else {
                throw HostError(code: .invalidArgument, message: "cannot move the statement into \(url.path): \(String(cString: strerror(errno)))")
            }
            return .value(.integer(Int64(result.bytes)))
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
    }

    func checkMarket(_ p: Params) async throws -> LuaHostResult {
        let customer = try p.string("customer_id"), country = try p.string("country")
        let target = try await session.target()
        let policy = target.client.configuration.marketPolicy
        if policy.excludes(country) {
            throw HostError(
                code: .policyDenied,
                message: "customer \(customer) is in \(country.uppercased()), where Reserved VM Instances are not sold (rule \(policy.ruleName): \(policy.excludedMarkets.sorted().joined(separator: ", ")))",
                hint: "nothing was sent; the excluded markets are configuration (excluded_markets in the profile, or PCX_EXCLUDED_MARKETS)")
        }
        return .value(.boolean(true))
    }
}

/// Where scripts may write, as the user allowed with `--allow-write`.
struct WritePolicy {
    let allowed: [String]
    /// pcx's own files and directories, never written by a script (see ``ScriptPolicy``).
    var denied: [URL] = []

    /// Throws unless `url` is inside an allowed directory (after resolving symlinks of its parent)
    /// and not a denied path.
    func check(_ url: URL) throws {
        let parent = url.deletingLastPathComponent().resolvingSymlinksInPath().path
        let target = parent + "/" + url.lastPathComponent
        for d in denied {
            let base = d.standardizedFileURL.resolvingSymlinksInPath().path
            if target == base || target.hasPrefix(base + "/") || parent == base || parent.hasPrefix(base + "/") {
                throw HostError(code: .invalidArgument,
                                message: "writing \(url.path) is not allowed: pcx's own files (\(d.path)) are never written by scripts",
                                hint: "write the file somewhere else under an --allow-write directory")
            }
        }
        for dir in allowed {
            let base = URL(fileURLWithPath: dir).standardizedFileURL.resolvingSymlinksInPath().path
            if parent == base || parent.hasPrefix(base.hasSuffix("/") ? base : base + "/") { return }
        }
        throw HostError(
            code: .invalidArgument,
            message: "writing \(url.path) is not allowed",
            hint: allowed.isEmpty ? "pass --allow-write \(url.deletingLastPathComponent().path) to let the script write there"
                : "allowed directories: \(allowed.joined(separator: ", ")); add --allow-write \(url.deletingLastPathComponent().path)")
    }
}
