import Foundation
import PartnerCenter
import PartnerCenterModels

// Test conveniences: typed calls of declared operations, written over the client's generic API
// (`send(_:_:)`, `decoded`, `all`, `PartnerCenterRequest(_:_:)`), so the integration tests read
// as before. Sources declare each operation once, in OperationCatalog; these only name them.

private func op(_ name: String) -> APIOperation { OperationCatalog[name] }

private func args(_ pairs: [(String, ArgumentValue?)]) -> OperationArguments {
    var out: OperationArguments = [:]
    for (k, v) in pairs { if let v { out[k] = v } }
    return out
}

private func s(_ v: String?) -> ArgumentValue? { v.map { .string($0) } }
private func i(_ v: Int?) -> ArgumentValue? { v.map { .integer(Int64($0)) } }
private func b(_ v: Bool?) -> ArgumentValue? { v.map { .boolean($0) } }

extension PartnerCenterRequest {
    // swiftlint:disable force_try
    static func make(_ name: String, _ pairs: [(String, ArgumentValue?)], requestId: String? = nil) -> PartnerCenterRequest {
        try! checked(name, pairs, requestId: requestId)
    }
    static func checked(_ name: String, _ pairs: [(String, ArgumentValue?)], requestId: String? = nil) throws -> PartnerCenterRequest {
        var request = try PartnerCenterRequest(op(name), args(pairs))
        request.requestId = requestId
        return request
    }
    static func listCustomers(size: Int? = nil) -> PartnerCenterRequest { make("customers.list", [("size", i(size))]) }
    static func getCustomer(customerId: String) -> PartnerCenterRequest { make("customers.get", [("customer_id", s(customerId))]) }
    static func listProducts(country: String, targetView: String, targetSegment: String? = nil, reservationScope: String? = nil) -> PartnerCenterRequest {
        make("products.list", [("country", s(country)), ("target_view", s(targetView)), ("target_segment", s(targetSegment)),
                               ("reservation_scope", s(reservationScope))])
    }
    static func createCart(customerId: String, body: Data, requestId: String? = nil) -> PartnerCenterRequest {
        make("carts.create", [("customer_id", s(customerId)), ("cart", .json(body))], requestId: requestId)
    }
    static func getCart(customerId: String, cartId: String) -> PartnerCenterRequest {
        make("carts.get", [("customer_id", s(customerId)), ("cart_id", s(cartId))])
    }
    static func updateCart(customerId: String, cartId: String, body: Data, requestId: String? = nil) -> PartnerCenterRequest {
        make("carts.update", [("customer_id", s(customerId)), ("cart_id", s(cartId)), ("cart", .json(body))], requestId: requestId)
    }
    static func checkoutCart(customerId: String, cartId: String, requestId: String? = nil) -> PartnerCenterRequest {
        make("carts.checkout", [("customer_id", s(customerId)), ("cart_id", s(cartId))], requestId: requestId)
    }
    static func registerSubscription(customerId: String, subscriptionId: String, requestId: String? = nil) -> PartnerCenterRequest {
        make("subscriptions.register", [("customer_id", s(customerId)), ("subscription_id", s(subscriptionId))], requestId: requestId)
    }
    static func listOrders(customerId: String, billingType: String? = nil, includePrice: Bool? = nil) -> PartnerCenterRequest {
        make("orders.list", [("customer_id", s(customerId)), ("billing_type", s(billingType)), ("include_price", b(includePrice))])
    }
    static func getOrder(customerId: String, orderId: String, includePrice: Bool? = nil) -> PartnerCenterRequest {
        make("orders.get", [("customer_id", s(customerId)), ("order_id", s(orderId)), ("include_price", b(includePrice))])
    }
    static func listInvoices(size: Int? = nil, offset: Int? = nil) -> PartnerCenterRequest {
        make("invoices.list", [("size", i(size)), ("offset", i(offset))])
    }
    static func invoiceLineItems(invoiceId: String, provider: String, invoiceLineItemType: String, currencyCode: String? = nil,
                                 period: String? = nil, size: Int? = nil, offset: Int? = nil) -> PartnerCenterRequest {
        make("invoices.line_items", [("invoice_id", s(invoiceId)), ("provider", s(provider)), ("invoice_line_item_type", s(invoiceLineItemType)),
                                     ("currency_code", s(currencyCode)), ("period", s(period)), ("size", i(size)), ("offset", i(offset))])
    }
    // swiftlint:enable force_try
}

extension PartnerCenterClient {
    func customers(pageSize: Int? = nil) -> ItemSequence<Customer> { items(of: .listCustomers(size: pageSize)) }
    func subscriptions(customerId: String) async throws -> [Subscription] {
        try await all(Subscription.self, op("subscriptions.list"), args([("customer_id", s(customerId))]))
    }
    func registrationStatus(customerId: String, subscriptionId: String) async throws -> SubscriptionRegistrationStatus {
        try await decoded(SubscriptionRegistrationStatus.self, op("subscriptions.registration_status"),
                          args([("customer_id", s(customerId)), ("subscription_id", s(subscriptionId))]))
    }
    func registerSubscription(customerId: String, subscriptionId: String, requestId: String? = nil) async throws -> String {
        let response = try await send(.registerSubscription(customerId: customerId, subscriptionId: subscriptionId,
                                                            requestId: requestId ?? UUID().uuidString.lowercased()))
        return response.header("Location") ?? "/customers/\(customerId)/subscriptions/\(subscriptionId)/registrationstatus"
    }
    func products(country: String, targetView: String, targetSegment: String? = nil, reservationScope: String? = nil) async throws -> [Product] {
        try await all(Product.self, op("products.list"), args([("country", s(country)), ("target_view", s(targetView)),
                                                               ("target_segment", s(targetSegment)), ("reservation_scope", s(reservationScope))]))
    }
    func product(id: String, country: String, reservationScope: String? = nil) async throws -> Product {
        try await decoded(Product.self, op("products.get"), args([("product_id", s(id)), ("country", s(country)), ("reservation_scope", s(reservationScope))]))
    }
    func skus(productId: String, country: String, targetSegment: String? = nil, reservationScope: String? = nil) async throws -> [Sku] {
        try await all(Sku.self, op("skus.list"), args([("product_id", s(productId)), ("country", s(country)), ("target_segment", s(targetSegment)),
                                                       ("reservation_scope", s(reservationScope))]))
    }
    func checkInventory(country: String, request: InventoryCheckRequest) async throws -> [InventoryItem] {
        try await decoded([InventoryItem].self, op("inventory.check"), args([("country", s(country)), ("request", .json(try PartnerCenterJSON.encode(request)))]))
    }
    func availabilities(productId: String, skuId: String, country: String, targetSegment: String? = nil, reservationScope: String? = nil) async throws -> [Availability] {
        try await all(Availability.self, op("availabilities.list"), args([("product_id", s(productId)), ("sku_id", s(skuId)), ("country", s(country)),
                                                                          ("target_segment", s(targetSegment)), ("reservation_scope", s(reservationScope))]))
    }
    /// Creates a cart; the request id is pinned (changes are sent only pinned).
    func createCart(customerId: String, cart: Cart, requestId: String? = nil) async throws -> Cart {
        try await send(try .checked("carts.create", [("customer_id", s(customerId)), ("cart", .json(try PartnerCenterJSON.encode(cart)))],
                                    requestId: requestId ?? UUID().uuidString.lowercased())).decode()
    }
    func checkout(customerId: String, cartId: String, requestId: String? = nil) async throws -> CartCheckoutResult {
        try await send(.checkoutCart(customerId: customerId, cartId: cartId, requestId: requestId ?? UUID().uuidString.lowercased())).decode()
    }
    func orders(customerId: String, billingType: String? = nil, includePrice: Bool? = nil) async throws -> [Order] {
        var result: [Order] = []
        for try await order in items(of: .listOrders(customerId: customerId, billingType: billingType, includePrice: includePrice), as: Order.self) {
            result.append(order)
        }
        return result
    }
    func customer(id: String) async throws -> Customer { try await send(.getCustomer(customerId: id)).decode() }
    func cart(customerId: String, cartId: String) async throws -> Cart { try await send(.getCart(customerId: customerId, cartId: cartId)).decode() }
    func updateCart(customerId: String, cart: Cart, requestId: String? = nil) async throws -> Cart {
        try await send(.updateCart(customerId: customerId, cartId: cart.id ?? "", body: try PartnerCenterJSON.encode(cart),
                                   requestId: requestId ?? UUID().uuidString.lowercased())).decode()
    }
    func order(customerId: String, orderId: String, includePrice: Bool? = nil) async throws -> Order {
        try await send(.getOrder(customerId: customerId, orderId: orderId, includePrice: includePrice)).decode()
    }
    func estimateLinks(currencyCode: String) async throws -> [EstimateLink] {
        try await all(EstimateLink.self, op("invoices.estimate_links"), args([("currency_code", s(currencyCode))]))
    }
    func invoices(pageSize: Int? = nil) -> ItemSequence<Invoice> { items(of: .listInvoices(size: pageSize)) }
    func sku(productId: String, skuId: String, country: String) async throws -> Sku {
        try await decoded(Sku.self, op("skus.get"), args([("product_id", s(productId)), ("sku_id", s(skuId)), ("country", s(country))]))
    }
    func entitlements(customerId: String, entitlementType: String? = nil, showExpiry: Bool? = nil) async throws -> [Entitlement] {
        try await all(Entitlement.self, op("entitlements.list"), args([("customer_id", s(customerId)), ("entitlement_type", s(entitlementType)),
                                                                       ("show_expiry", b(showExpiry))]))
    }
    func reservationDetails(for artifact: Artifact) async throws -> ReservedInstanceArtifactDetails {
        try await send(try .link(uri: artifact.link?.uri ?? "", operation: "entitlements.reservation_details")).decode()
    }
    func unbilledLineItems(currencyCode: String, pageSize: Int? = nil) -> ItemSequence<InvoiceLineItem> {
        items(of: .make("invoices.unbilled_line_items", [("currency_code", s(currencyCode)), ("size", i(pageSize))]))
    }
    func downloadInvoiceStatement(invoiceId: String, to path: String) async throws -> DownloadResult {
        try await download(.make("invoices.statement", [("invoice_id", s(invoiceId))]), to: path)
    }
    func availability(productId: String, skuId: String, availabilityId: String, country: String) async throws -> Availability {
        try await decoded(Availability.self, op("availabilities.get"), args([("product_id", s(productId)), ("sku_id", s(skuId)),
                                                                              ("availability_id", s(availabilityId)), ("country", s(country))]))
    }
    func invoiceSummaries() async throws -> [InvoiceSummary] { try await all(InvoiceSummary.self, op("invoices.summaries")) }
    func invoice(id: String) async throws -> Invoice { try await decoded(Invoice.self, op("invoices.get"), args([("invoice_id", s(id))])) }
    func accountBalance() async throws -> InvoiceSummary { try await decoded(InvoiceSummary.self, op("invoices.balance")) }
    func invoiceLineItems(invoiceId: String, provider: String = "onetime", invoiceLineItemType: String = "billinglineitems",
                          currencyCode: String? = nil, period: String? = nil, pageSize: Int? = nil) -> ItemSequence<InvoiceLineItem> {
        items(of: .invoiceLineItems(invoiceId: invoiceId, provider: provider, invoiceLineItemType: invoiceLineItemType,
                                    currencyCode: currencyCode, period: period, size: pageSize))
    }
}
