import Foundation

/// A description of one Partner Center call, independent of how it is sent (Codable, so a
/// journal can store a pinned request and replay it later).
///
/// This is the raw API the Lua bridge uses: build a request with one of the named builders
/// (``listProducts(country:targetView:targetSegment:reservationScope:)``, ``createCart(customerId:body:)``, …),
/// optionally pin its ``requestId`` (the idempotency key) and send it with
/// ``PartnerCenterClient/send(_:)``. The response's bytes are Partner Center's JSON, untouched.
///
/// ```swift
/// let request = PartnerCenterRequest.listProducts(country: "US", targetView: "AzureReservationsVM")
/// let response = try await client.send(request)          // RawResponse, body = JSON bytes
/// for try await page in client.pages(of: .listInvoices(size: 100)) { … }
/// ```
public struct PartnerCenterRequest: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One query parameter (kept in order; values are percent-encoded when sent).
    public struct QueryItem: Sendable, Hashable, Codable {
        /// The parameter name.
        public var name: String
        /// The value.
        public var value: String
        /// Creates a query item.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A stable dotted name of the operation (`products.list`, `carts.create`, `raw`), for logs and errors.
    public var operation: String
    /// The HTTP method, upper case.
    public var method: String
    /// The path under the endpoint as sent on the wire (percent-encoded segments), starting with
    /// `/v1/` (a path without `/v1` gets it added when sent).
    public var path: String
    /// Query parameters.
    public var query: [QueryItem]
    /// A JSON request body (sent with `Content-Type: application/json`).
    public var body: Data?
    /// A pinned `MS-RequestId`. When nil the client makes one per logical call. Pin it to make a
    /// POST retryable after a dropped connection and to replay a call across runs (the journal).
    public var requestId: String?
    /// A seek-paging continuation token, sent as `MS-ContinuationToken`.
    public var continuationToken: String?
    /// Extra headers (e.g. copied from a `links.next.headers` list). Reserved headers
    /// (Authorization, MS-RequestId, MS-CorrelationId, Host, Content-Length) are ignored here.
    public var headers: [String: String]
    /// The `Accept` header; `application/json` except for the PDF statement.
    public var accept: String

    /// Creates a request for any path (the raw escape hatch).
    public init(
        operation: String = "raw", method: String, path: String, query: [QueryItem] = [], body: Data? = nil,
        requestId: String? = nil, continuationToken: String? = nil, headers: [String: String] = [:],
        accept: String = "application/json"
    ) {
        self.operation = operation
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.body = body
        self.requestId = requestId
        self.continuationToken = continuationToken
        self.headers = headers
        self.accept = accept
    }

    /// `GET /v1/products?country=US` — the method, path and query.
    public var description: String {
        method + " " + path + (query.isEmpty ? "" : "?" + PartnerCenterRequest.encodeQuery(query))
    }

    /// True for methods that may change state (POST, PUT, PATCH, DELETE).
    public var isMutating: Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }

    /// A copy with `requestId` pinned.
    public func pinned(requestId: String) -> PartnerCenterRequest {
        var copy = self
        copy.requestId = requestId
        return copy
    }

    // MARK: Builders: customers and subscriptions

    /// `GET /v1/customers?size=` — the partner's customers (seek paging via `links.next`).
    public static func listCustomers(size: Int? = nil) -> PartnerCenterRequest {
        get("customers.list", "customers", query: [("size", size.map(String.init))])
    }

    /// `GET /v1/customers/{id}` — one customer.
    public static func getCustomer(customerId: String) -> PartnerCenterRequest {
        get("customers.get", "customers", customerId)
    }

    /// `GET /v1/customers/{id}/profiles/company` — the company profile (App+User only).
    public static func getCompanyProfile(customerId: String) -> PartnerCenterRequest {
        get("customers.company_profile", "customers", customerId, "profiles", "company")
    }

    /// `GET /v1/customers/{id}/subscriptions` — a customer's subscriptions.
    public static func listSubscriptions(customerId: String) -> PartnerCenterRequest {
        get("subscriptions.list", "customers", customerId, "subscriptions")
    }

    /// `GET /v1/customers/{id}/subscriptions/{sid}` — one subscription.
    public static func getSubscription(customerId: String, subscriptionId: String) -> PartnerCenterRequest {
        get("subscriptions.get", "customers", customerId, "subscriptions", subscriptionId)
    }

    /// `POST /v1/customers/{id}/subscriptions/{sid}/registrations` — register for RI purchases (202, no body).
    public static func registerSubscription(customerId: String, subscriptionId: String) -> PartnerCenterRequest {
        make("subscriptions.register", "POST", ["customers", customerId, "subscriptions", subscriptionId, "registrations"])
    }

    /// `GET /v1/customers/{id}/subscriptions/{sid}/registrationstatus`.
    public static func registrationStatus(customerId: String, subscriptionId: String) -> PartnerCenterRequest {
        get("subscriptions.registration_status", "customers", customerId, "subscriptions", subscriptionId, "registrationstatus")
    }

    // MARK: Catalog

    /// `GET /v1/products?country&targetView[&targetSegment][&reservationScope]`.
    public static func listProducts(
        country: String, targetView: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) -> PartnerCenterRequest {
        get("products.list", "products", query: [
            ("country", country), ("targetView", targetView), ("targetSegment", targetSegment),
            ("reservationScope", reservationScope),
        ])
    }

    /// `GET /v1/products/{pid}?country[&reservationScope]`.
    public static func getProduct(productId: String, country: String, reservationScope: String? = nil) -> PartnerCenterRequest {
        get("products.get", "products", productId, query: [("country", country), ("reservationScope", reservationScope)])
    }

    /// `GET /v1/products/{pid}/skus?country[&targetSegment][&reservationScope]`.
    public static func listSkus(
        productId: String, country: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) -> PartnerCenterRequest {
        get("skus.list", "products", productId, "skus", query: [
            ("country", country), ("targetSegment", targetSegment), ("reservationScope", reservationScope),
        ])
    }

    /// `GET /v1/products/{pid}/skus/{sku}?country[&reservationScope]`.
    public static func getSku(productId: String, skuId: String, country: String, reservationScope: String? = nil) -> PartnerCenterRequest {
        get("skus.get", "products", productId, "skus", skuId, query: [("country", country), ("reservationScope", reservationScope)])
    }

    /// `POST /v1/extensions/product/checkInventory?country` with an InventoryCheckRequest body; returns a bare array.
    public static func checkInventory(country: String, body: Data) -> PartnerCenterRequest {
        make("inventory.check", "POST", ["extensions", "product", "checkInventory"], query: [("country", country)], body: body)
    }

    /// `GET /v1/products/{pid}/skus/{sku}/availabilities?country[&targetSegment][&reservationScope]`.
    public static func listAvailabilities(
        productId: String, skuId: String, country: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) -> PartnerCenterRequest {
        get("availabilities.list", "products", productId, "skus", skuId, "availabilities", query: [
            ("country", country), ("targetSegment", targetSegment), ("reservationScope", reservationScope),
        ])
    }

    /// `GET /v1/products/{pid}/skus/{sku}/availabilities/{aid}?country`.
    public static func getAvailability(productId: String, skuId: String, availabilityId: String, country: String) -> PartnerCenterRequest {
        get("availabilities.get", "products", productId, "skus", skuId, "availabilities", availabilityId, query: [("country", country)])
    }

    /// `GET /v1/customers/{id}/products?targetView[&targetSegment][&reservationScope]` — the customer's market's catalog.
    public static func listCustomerProducts(
        customerId: String, targetView: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) -> PartnerCenterRequest {
        get("customer_products.list", "customers", customerId, "products", query: [
            ("targetView", targetView), ("targetSegment", targetSegment), ("reservationScope", reservationScope),
        ])
    }

    /// `GET /v1/customers/{id}/products/{pid}/skus[?targetSegment][&reservationScope]`.
    public static func listCustomerSkus(
        customerId: String, productId: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) -> PartnerCenterRequest {
        get("customer_skus.list", "customers", customerId, "products", productId, "skus", query: [
            ("targetSegment", targetSegment), ("reservationScope", reservationScope),
        ])
    }

    /// `GET /v1/customers/{id}/products/{pid}/skus/{sku}/availabilities[?targetSegment][&reservationScope]`.
    public static func listCustomerAvailabilities(
        customerId: String, productId: String, skuId: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) -> PartnerCenterRequest {
        get("customer_availabilities.list", "customers", customerId, "products", productId, "skus", skuId, "availabilities", query: [
            ("targetSegment", targetSegment), ("reservationScope", reservationScope),
        ])
    }

    // MARK: Carts

    /// `POST /v1/customers/{id}/carts` with a Cart body (201 Cart). Subject to the market policy.
    public static func createCart(customerId: String, body: Data, requestId: String? = nil) -> PartnerCenterRequest {
        var request = make("carts.create", "POST", ["customers", customerId, "carts"], body: body)
        request.requestId = requestId
        return request
    }

    /// `GET /v1/customers/{id}/carts/{cartId}`.
    public static func getCart(customerId: String, cartId: String) -> PartnerCenterRequest {
        get("carts.get", "customers", customerId, "carts", cartId)
    }

    /// `PUT /v1/customers/{id}/carts/{cartId}` with the whole Cart (201/200 Cart). Subject to the market policy.
    public static func updateCart(customerId: String, cartId: String, body: Data, requestId: String? = nil) -> PartnerCenterRequest {
        var request = make("carts.update", "PUT", ["customers", customerId, "carts", cartId], body: body)
        request.requestId = requestId
        return request
    }

    /// `POST /v1/customers/{id}/carts/{cartId}/checkout` (201 CartCheckoutResult). Subject to the market policy.
    /// Pin `requestId` to make it retryable after a dropped connection.
    public static func checkoutCart(customerId: String, cartId: String, requestId: String? = nil) -> PartnerCenterRequest {
        var request = make("carts.checkout", "POST", ["customers", customerId, "carts", cartId, "checkout"])
        request.requestId = requestId
        return request
    }

    // MARK: Orders and entitlements

    /// `GET /v1/customers/{id}/orders/{orderId}[?include_price]`.
    public static func getOrder(customerId: String, orderId: String, includePrice: Bool? = nil) -> PartnerCenterRequest {
        get("orders.get", "customers", customerId, "orders", orderId, query: [("include_price", includePrice.map { $0 ? "true" : "false" })])
    }

    /// `GET /v1/customers/{id}/orders[?billingType][&include_price]` — all orders, or those of one billing cycle type (`onetime`).
    public static func listOrders(customerId: String, billingType: String? = nil, includePrice: Bool? = nil) -> PartnerCenterRequest {
        get("orders.list", "customers", customerId, "orders", query: [
            ("billingType", billingType), ("include_price", includePrice.map { $0 ? "true" : "false" }),
        ])
    }

    /// `GET /v1/customers/{id}/orders/{orderId}/provisioningstatus`.
    public static func orderProvisioningStatus(customerId: String, orderId: String) -> PartnerCenterRequest {
        get("orders.provisioning_status", "customers", customerId, "orders", orderId, "provisioningstatus")
    }

    /// `GET /v1/customers/{id}/entitlements[?entitlementType][&showExpiry]`.
    public static func listEntitlements(customerId: String, entitlementType: String? = nil, showExpiry: Bool? = nil) -> PartnerCenterRequest {
        get("entitlements.list", "customers", customerId, "entitlements", query: [
            ("entitlementType", entitlementType), ("showExpiry", showExpiry.map { $0 ? "true" : "false" }),
        ])
    }

    /// `GET /v1/customers/{id}/artifacts/reservedinstance/groups/{g}/lineitems/{l}/resource/{r}` — reservation details.
    public static func reservationDetails(
        customerId: String, groupId: String, lineItemId: String, resourceId: String, artifactType: String = "reservedinstance"
    ) -> PartnerCenterRequest {
        get("entitlements.reservation_details", "customers", customerId, "artifacts", artifactType, "groups", groupId,
            "lineitems", lineItemId, "resource", resourceId)
    }

    // MARK: Billing

    /// `GET /v1/invoices/summary` — the current account balance.
    public static func accountBalance() -> PartnerCenterRequest {
        get("invoices.balance", "invoices", "summary")
    }

    /// `GET /v1/invoices/summaries` — one summary per currency.
    public static func invoiceSummaries() -> PartnerCenterRequest {
        get("invoices.summaries", "invoices", "summaries")
    }

    /// `GET /v1/invoices[?size][&offset]` — invoices, offset paging via `links.next`.
    public static func listInvoices(size: Int? = nil, offset: Int? = nil) -> PartnerCenterRequest {
        get("invoices.list", "invoices", query: [("size", size.map(String.init)), ("offset", offset.map(String.init))])
    }

    /// `GET /v1/invoices/{invoiceId}`.
    public static func getInvoice(invoiceId: String) -> PartnerCenterRequest {
        get("invoices.get", "invoices", invoiceId)
    }

    /// `GET /v1/invoices/{invoiceId}/documents/statement` — the PDF (use ``PartnerCenterClient/download(_:to:)``).
    public static func invoiceStatement(invoiceId: String) -> PartnerCenterRequest {
        var request = get("invoices.statement", "invoices", invoiceId, "documents", "statement")
        request.accept = "application/pdf, application/json"
        return request
    }

    /// `GET /v1/invoices/{invoiceId}/lineitems?provider&invoicelineitemtype[&currencycode][&period][&size][&offset]`.
    ///
    /// `provider` `onetime` pages by seek (continuation token); `office`/`azure` by offset. Either
    /// way ``PartnerCenterClient/pages(of:)`` follows `links.next`.
    public static func invoiceLineItems(
        invoiceId: String, provider: String, invoiceLineItemType: String, currencyCode: String? = nil,
        period: String? = nil, size: Int? = nil, offset: Int? = nil
    ) -> PartnerCenterRequest {
        get("invoices.line_items", "invoices", invoiceId, "lineitems", query: [
            ("provider", provider), ("invoicelineitemtype", invoiceLineItemType), ("currencycode", currencyCode),
            ("period", period), ("size", size.map(String.init)), ("offset", offset.map(String.init)),
        ])
    }

    /// `GET /v1/invoices/unbilled/lineitems?provider&invoicelineitemtype&currencycode&period[&size]` (seek paging).
    public static func unbilledLineItems(
        provider: String = "onetime", invoiceLineItemType: String, currencyCode: String, period: String, size: Int? = nil
    ) -> PartnerCenterRequest {
        get("invoices.unbilled_line_items", "invoices", "unbilled", "lineitems", query: [
            ("provider", provider), ("invoicelineitemtype", invoiceLineItemType), ("currencycode", currencyCode),
            ("period", period), ("size", size.map(String.init)),
        ])
    }

    /// `GET /v1/invoices/estimates/links?currencycode` — where to read unbilled charges.
    public static func estimateLinks(currencyCode: String) -> PartnerCenterRequest {
        get("invoices.estimate_links", "invoices", "estimates", "links", query: [("currencycode", currencyCode)])
    }

    // MARK: Links

    /// A request for a link Partner Center returned (`links.next`, an artifact `link`, a `Location`):
    /// `uri` is relative (with or without `/v1`, possibly with a query), `headers` are copied
    /// (`MS-ContinuationToken` becomes ``continuationToken``).
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) for an absolute URL to another host.
    public static func link(uri: String, method: String = "GET", headers: [String: String] = [:], operation: String = "link") throws -> PartnerCenterRequest {
        var text = uri.trimmingCharacters(in: .whitespaces)
        if let url = URL(string: text), url.scheme != nil {
            // Absolute links are reduced to their path and query; the client only talks to its endpoint.
            text = url.path + (url.query.map { "?" + $0 } ?? "")
        }
        guard text.hasPrefix("/") else {
            throw PartnerCenterError(category: .invalidArgument, message: "link '\(uri)' is not a relative URI")
        }
        var path = text
        var query: [QueryItem] = []
        if let mark = text.firstIndex(of: "?") {
            path = String(text[..<mark])
            let rawQuery = text[text.index(after: mark)...]
            for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                query.append(QueryItem(name, value))
            }
        }
        var request = PartnerCenterRequest(operation: operation, method: method, path: versioned(path), query: query)
        for (key, value) in headers {
            if key.caseInsensitiveCompare("MS-ContinuationToken") == .orderedSame {
                request.continuationToken = value
            } else {
                request.headers[key] = value
            }
        }
        return request
    }

    // MARK: Helpers

    /// Adds the `/v1` prefix unless the path already has it.
    static func versioned(_ path: String) -> String {
        let lower = path.lowercased()
        if lower == "/v1" || lower.hasPrefix("/v1/") { return path }
        return "/v1" + (path.hasPrefix("/") ? path : "/" + path)
    }

    static let segmentAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~:@!$'()*,;=")
        return set
    }()

    static let queryAllowed: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~:@!$'()*,;/?")
        return set
    }()

    /// Percent-encodes one path segment (a `/` inside an ID cannot change the path).
    static func encodeSegment(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? segment
    }

    /// `a=1&b=x%2By` — percent-encoded in order.
    static func encodeQuery(_ items: [QueryItem]) -> String {
        items.map { item in
            let name = item.name.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? item.name
            let value = item.value.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? item.value
            return name + "=" + value
        }.joined(separator: "&")
    }

    private static func make(
        _ operation: String, _ method: String, _ segments: [String], query: [(String, String?)] = [], body: Data? = nil
    ) -> PartnerCenterRequest {
        let path = "/v1/" + segments.map(encodeSegment).joined(separator: "/")
        let items = query.compactMap { name, value in value.map { QueryItem(name, $0) } }
        return PartnerCenterRequest(operation: operation, method: method, path: path, query: items, body: body)
    }

    private static func get(_ operation: String, _ segments: String..., query: [(String, String?)] = []) -> PartnerCenterRequest {
        make(operation, "GET", segments, query: query)
    }
}
