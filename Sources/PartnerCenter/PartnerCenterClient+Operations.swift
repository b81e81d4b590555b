import Foundation
import PartnerCenterModels

/// Typed operations: each builds the matching ``PartnerCenterRequest``, sends it through
/// ``PartnerCenterClient/send(_:)`` (so policy, retries and limits apply identically) and
/// decodes the tolerant model from `PartnerCenterModels`.
extension PartnerCenterClient {
    // MARK: Customers and subscriptions

    /// The partner's customers, page by page (seek paging), next page prefetched.
    public func customers(pageSize: Int? = nil) -> ItemSequence<Customer> {
        items(of: .listCustomers(size: pageSize))
    }

    /// One customer. - Throws: ``PartnerCenterError`` (`not_found` for an unknown customer).
    public func customer(id: String) async throws -> Customer {
        try await send(.getCustomer(customerId: id)).decode()
    }

    /// A customer's subscriptions. - Throws: ``PartnerCenterError``.
    public func subscriptions(customerId: String) async throws -> [Subscription] {
        try await all(.listSubscriptions(customerId: customerId))
    }

    /// One subscription. - Throws: ``PartnerCenterError``.
    public func subscription(customerId: String, subscriptionId: String) async throws -> Subscription {
        try await send(.getSubscription(customerId: customerId, subscriptionId: subscriptionId)).decode()
    }

    /// Registers an Azure subscription for reservation purchases; returns the status URI
    /// (`Location`, or the documented path when the service omits it).
    /// - Throws: ``PartnerCenterError``.
    public func registerSubscription(customerId: String, subscriptionId: String, requestId: String? = nil) async throws -> String {
        var request = PartnerCenterRequest.registerSubscription(customerId: customerId, subscriptionId: subscriptionId)
        request.requestId = requestId
        let response = try await send(request)
        return response.header("Location") ?? "/customers/\(customerId)/subscriptions/\(subscriptionId)/registrationstatus"
    }

    /// A subscription's registration status. - Throws: ``PartnerCenterError``.
    public func registrationStatus(customerId: String, subscriptionId: String) async throws -> SubscriptionRegistrationStatus {
        try await send(.registrationStatus(customerId: customerId, subscriptionId: subscriptionId)).decode()
    }

    /// Polls the registration status until it is `Registered`, backing off between polls
    /// (`initialDelay`, doubling up to `maxDelay`) until `timeout` has passed.
    /// - Throws: ``PartnerCenterError`` (`timeout` naming the last status seen when the deadline passes).
    public func waitUntilRegistered(
        customerId: String, subscriptionId: String, timeout: Duration = .seconds(300),
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30)
    ) async throws -> SubscriptionRegistrationStatus {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var delay = initialDelay
        while true {
            let status = try await registrationStatus(customerId: customerId, subscriptionId: subscriptionId)
            if status.status == .registered { return status }
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                throw PartnerCenterError(
                    category: .timeout,
                    message: "subscription \(subscriptionId) of customer \(customerId) is still \(status.status?.wireValue ?? "unknown") after \(formatSeconds(timeout.seconds))",
                    method: "GET", path: PartnerCenterRequest.registrationStatus(customerId: customerId, subscriptionId: subscriptionId).path,
                    hint: "registration can take a while; wait longer, and make sure registerSubscription was called")
            }
            do {
                try await configuration.sleeper(min(delay, remaining))
            } catch {
                throw PartnerCenterError(category: .cancelled, message: "waiting for the registration was cancelled")
            }
            delay = min(maxDelay, delay * 2)
        }
    }

    // MARK: Catalog

    /// Products of a market and view. - Throws: ``PartnerCenterError``.
    public func products(
        country: String, targetView: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) async throws -> [Product] {
        try await all(.listProducts(country: country, targetView: targetView, targetSegment: targetSegment, reservationScope: reservationScope))
    }

    /// One product. - Throws: ``PartnerCenterError`` (`not_found`, code 400013).
    public func product(id: String, country: String, reservationScope: String? = nil) async throws -> Product {
        try await send(.getProduct(productId: id, country: country, reservationScope: reservationScope)).decode()
    }

    /// A product's SKUs. - Throws: ``PartnerCenterError``.
    public func skus(
        productId: String, country: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) async throws -> [Sku] {
        try await all(.listSkus(productId: productId, country: country, targetSegment: targetSegment, reservationScope: reservationScope))
    }

    /// One SKU. - Throws: ``PartnerCenterError`` (`not_found`, code 400018).
    public func sku(productId: String, skuId: String, country: String, reservationScope: String? = nil) async throws -> Sku {
        try await send(.getSku(productId: productId, skuId: skuId, country: country, reservationScope: reservationScope)).decode()
    }

    /// Checks inventory; returns the bare array Partner Center sends. - Throws: ``PartnerCenterError``.
    public func checkInventory(country: String, request: InventoryCheckRequest) async throws -> [InventoryItem] {
        let body = try encodeBody(request, operation: "inventory.check")
        return try await send(.checkInventory(country: country, body: body)).decode([InventoryItem].self)
    }

    /// A SKU's availabilities. - Throws: ``PartnerCenterError``.
    public func availabilities(
        productId: String, skuId: String, country: String, targetSegment: String? = nil, reservationScope: String? = nil
    ) async throws -> [Availability] {
        try await all(.listAvailabilities(
            productId: productId, skuId: skuId, country: country, targetSegment: targetSegment, reservationScope: reservationScope))
    }

    /// One availability. - Throws: ``PartnerCenterError`` (`not_found`, code 400019 when it went stale).
    public func availability(productId: String, skuId: String, availabilityId: String, country: String) async throws -> Availability {
        try await send(.getAvailability(productId: productId, skuId: skuId, availabilityId: availabilityId, country: country)).decode()
    }

    // MARK: Carts

    /// Creates a cart (market policy enforced first). - Throws: ``PartnerCenterError`` (`policy_denied`…).
    public func createCart(customerId: String, cart: Cart, requestId: String? = nil) async throws -> Cart {
        let body = try encodeBody(cart, operation: "carts.create")
        return try await send(.createCart(customerId: customerId, body: body, requestId: requestId)).decode()
    }

    /// Gets a cart. - Throws: ``PartnerCenterError``.
    public func cart(customerId: String, cartId: String) async throws -> Cart {
        try await send(.getCart(customerId: customerId, cartId: cartId)).decode()
    }

    /// Replaces a cart (its `id` names it; market policy enforced first). - Throws: ``PartnerCenterError``.
    public func updateCart(customerId: String, cart: Cart, requestId: String? = nil) async throws -> Cart {
        guard let cartId = cart.id, !cartId.isEmpty else {
            throw PartnerCenterError(
                category: .invalidArgument, message: "updateCart needs the cart's id", hint: "update the cart returned by createCart or cart(customerId:cartId:)")
        }
        let body = try encodeBody(cart, operation: "carts.update")
        return try await send(.updateCart(customerId: customerId, cartId: cartId, body: body, requestId: requestId)).decode()
    }

    /// Checks a cart out (market policy enforced first). Pin `requestId` to make the POST
    /// retryable after a dropped connection: the retry carries the same MS-RequestId.
    /// - Throws: ``PartnerCenterError``.
    public func checkout(customerId: String, cartId: String, requestId: String? = nil) async throws -> CartCheckoutResult {
        try await send(.checkoutCart(customerId: customerId, cartId: cartId, requestId: requestId)).decode()
    }

    // MARK: Orders and entitlements

    /// One order. - Throws: ``PartnerCenterError`` (`not_found`, code 20000).
    public func order(customerId: String, orderId: String, includePrice: Bool? = nil) async throws -> Order {
        try await send(.getOrder(customerId: customerId, orderId: orderId, includePrice: includePrice)).decode()
    }

    /// A customer's orders, optionally of one billing cycle type (`onetime` for RIs). - Throws: ``PartnerCenterError``.
    public func orders(customerId: String, billingType: String? = nil, includePrice: Bool? = nil) async throws -> [Order] {
        try await all(.listOrders(customerId: customerId, billingType: billingType, includePrice: includePrice))
    }

    /// An order's per-line provisioning status. - Throws: ``PartnerCenterError``.
    public func orderProvisioningStatus(customerId: String, orderId: String) async throws -> [OrderLineItemProvisioningStatus] {
        try await all(.orderProvisioningStatus(customerId: customerId, orderId: orderId))
    }

    /// A customer's entitlements (`entitlementType` e.g. `reservedInstance`). - Throws: ``PartnerCenterError``.
    public func entitlements(customerId: String, entitlementType: String? = nil, showExpiry: Bool? = nil) async throws -> [Entitlement] {
        try await all(.listEntitlements(customerId: customerId, entitlementType: entitlementType, showExpiry: showExpiry))
    }

    /// The reservation details behind an RI artifact (follows its `link`).
    /// - Throws: ``PartnerCenterError`` (`invalid_argument` when the artifact has no link).
    public func reservationDetails(for artifact: Artifact) async throws -> ReservedInstanceArtifactDetails {
        guard let uri = artifact.link?.uri, !uri.isEmpty else {
            throw PartnerCenterError(
                category: .invalidArgument, message: "the artifact has no link to its reservation details",
                hint: "only reservedinstance artifacts carry a link")
        }
        return try await send(try .link(uri: uri, operation: "entitlements.reservation_details")).decode()
    }

    // MARK: Billing

    /// The current account balance (`/invoices/summary`). - Throws: ``PartnerCenterError``.
    public func accountBalance() async throws -> InvoiceSummary {
        try await send(.accountBalance()).decode()
    }

    /// One invoice summary per currency. - Throws: ``PartnerCenterError``.
    public func invoiceSummaries() async throws -> [InvoiceSummary] {
        try await all(.invoiceSummaries())
    }

    /// Invoices, page by page (offset paging), next page prefetched.
    public func invoices(pageSize: Int? = nil) -> ItemSequence<Invoice> {
        items(of: .listInvoices(size: pageSize))
    }

    /// One invoice. - Throws: ``PartnerCenterError``.
    public func invoice(id: String) async throws -> Invoice {
        try await send(.getInvoice(invoiceId: id)).decode()
    }

    /// An invoice's line items, page by page: `onetime` pages by seek, `office`/`azure` by offset.
    public func invoiceLineItems(
        invoiceId: String, provider: String = "onetime", invoiceLineItemType: String = "billinglineitems",
        currencyCode: String? = nil, period: String? = nil, pageSize: Int? = nil
    ) -> ItemSequence<InvoiceLineItem> {
        items(of: .invoiceLineItems(
            invoiceId: invoiceId, provider: provider, invoiceLineItemType: invoiceLineItemType, currencyCode: currencyCode,
            period: period, size: pageSize))
    }

    /// Unbilled line items (`onetime` billing or usage lines of the current or previous period), seek-paged.
    public func unbilledLineItems(
        invoiceLineItemType: String = "billinglineitems", currencyCode: String, period: String = "current", pageSize: Int? = nil
    ) -> ItemSequence<InvoiceLineItem> {
        items(of: .unbilledLineItems(invoiceLineItemType: invoiceLineItemType, currencyCode: currencyCode, period: period, size: pageSize))
    }

    /// The estimate links for a currency (where unbilled charges can be read). - Throws: ``PartnerCenterError``.
    public func estimateLinks(currencyCode: String) async throws -> [EstimateLink] {
        try await all(.estimateLinks(currencyCode: currencyCode))
    }

    /// Streams an invoice's PDF statement to `path`. - Throws: ``PartnerCenterError``.
    public func downloadInvoiceStatement(invoiceId: String, to path: String) async throws -> DownloadResult {
        try await download(.invoiceStatement(invoiceId: invoiceId), to: path)
    }

    /// Encodes a request body with the models' encoder.
    func encodeBody<T: Encodable>(_ value: T, operation: String) throws -> Data {
        do {
            return try PartnerCenterJSON.encode(value)
        } catch {
            throw PartnerCenterError(category: .invalidArgument, message: "cannot encode the \(operation) body: \(error)")
        }
    }
}
