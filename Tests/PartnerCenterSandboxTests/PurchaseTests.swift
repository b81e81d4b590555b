import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Carts, checkout, orders, entitlements and charges")
struct PurchaseTests {
    struct Setup {
        let token: String
        let customer: Customer
        let subscription: Subscription
        let catalogItemId: String
        let sku: Sku
    }

    func setup(_ h: Harness, country: String = "US", registered: Bool = true) async throws -> Setup {
        let token = try await h.token()
        let (customer, subscription) = try await h.customer(country: country, registered: registered, token: token)
        let (sku, item) = try await h.catalogItem(country: country, token: token)
        return Setup(token: token, customer: customer, subscription: subscription, catalogItemId: item, sku: sku)
    }

    @Test("cart lines carry Partner Center pricing in the availability's currency and are bound leniently")
    func cartPricing() async throws {
        try await withSandbox { h in
            let s = try await setup(h, country: "GB")
            let body = """
            {"LineItems":[{"Id":0,"CatalogItemId":"\(s.catalogItemId)","Quantity":3,"BillingCycle":"OneTime","TermDuration":"P1Y",
              "ProvisioningContext":{"SubscriptionId":"\(s.subscription.id)","Scope":"Shared","Duration":"1Year"}}]}
            """
            let result = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: body, token: s.token)
            #expect(result.status == 201)
            let cart = try result.decode(Cart.self)
            let line = try #require(cart.lineItems?.first)
            #expect(line.error == nil)
            #expect(line.currencyCode == "GBP")
            #expect(line.orderGroup == "0")
            #expect(line.billingCycle == .oneTime)
            #expect(line.provisioningContext?["subscriptionId"] == s.subscription.id)
            #expect(line.provisioningContext?["scope"] == "Shared")
            let pricing = try #require(line.pricing)
            #expect(pricing.extendedPrice == pricing.price! * 3)
            #expect(pricing.listPrice == pricing.price)
            #expect(cart.status == .active)
            let expires = try #require(cart.expirationTimestamp), created = try #require(cart.creationTimestamp)
            #expect(abs(expires.timeIntervalSince(created) - 7 * 86400) < 1)
            #expect(result.text.contains(#""billingCycle":"one_time""#))
        }
    }

    @Test("line-item errors use the documented integer codes")
    func lineErrors() async throws {
        try await withSandbox { h in
            let registered = try await setup(h)
            let unregistered = try await setup(h, registered: false)
            func firstError(_ s: Setup, _ body: String) async throws -> Int? {
                let result = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: body, token: s.token)
                #expect(result.status == 201, "\(result.text)")
                return try result.decode(Cart.self).lineItems?.first?.error?.errorCode
            }
            #expect(try await firstError(unregistered, Harness.cartBody(catalogItemId: unregistered.catalogItemId, subscriptionId: unregistered.subscription.id)) == 10011)
            #expect(try await firstError(registered, Harness.cartBody(catalogItemId: "DZH318Z0BQ3Q:ZZZZ:NOPE", subscriptionId: registered.subscription.id)) == 10001)
            #expect(try await firstError(registered, Harness.cartBody(catalogItemId: registered.catalogItemId, subscriptionId: registered.subscription.id, term: "P3Y")) == 10010)
            #expect(try await firstError(registered, Harness.cartBody(catalogItemId: registered.catalogItemId, subscriptionId: UUID().uuidString)) == 10007)
            let (_, gpu) = try await h.catalogItem(productId: "DZH318Z0BQ36", region: "japanwest", token: registered.token)
            #expect(try await firstError(registered, Harness.cartBody(catalogItemId: gpu, subscriptionId: registered.subscription.id)) == 10003)
            let (_, plan) = try await h.catalogItem(azurePlan: true, token: registered.token)
            #expect(try await firstError(registered, Harness.cartBody(catalogItemId: plan, subscriptionId: registered.subscription.id)) == 900315)
            #expect(try await firstError(registered, Harness.cartBody(catalogItemId: registered.catalogItemId,
                                                                      subscriptionId: registered.subscription.id, scope: "everywhere")) == 900312)
        }
    }

    @Test("a customer in a market where RIs are not sold gets 10001 on the cart line")
    func restrictedMarket() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, subscription) = try await h.customer(country: "BR", registered: true, token: token)
            let (_, item) = try await h.catalogItem(token: token)
            let cart = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: Harness.cartBody(catalogItemId: item, subscriptionId: subscription.id), token: token)
            #expect(try cart.decode(Cart.self).lineItems?.first?.error?.errorCode == 10001)
        }
    }

    @Test("checkout is idempotent per cart: a repeat returns the original result and places nothing")
    func checkoutIdempotent() async throws {
        try await withSandbox { h in
            let s = try await setup(h)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id), token: s.token).decode(Cart.self)
            let path = "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout"
            let first = try await h.send(.POST, path, token: s.token)
            let second = try await h.send(.POST, path, token: s.token)
            #expect(first.status == 201 && second.status == 201)
            #expect(first.body == second.body)
            let result = try first.decode(CartCheckoutResult.self)
            #expect(result.orders?.count == 1)
            #expect(result.orders?.first?.status == .pending)
            #expect(try await h.send(.GET, "/v1/customers/\(s.customer.id)/carts/\(cart.id!)", token: s.token).decode(Cart.self).status == .ordered)
            h.sandbox.clock.advance(by: 60)
            let orders = try await h.send(.GET, "/v1/customers/\(s.customer.id)/orders", token: s.token).decode(ResourceCollection<Order>.self)
            #expect(orders.items.count == 1)
            #expect(h.sandbox.requestLog.entries(route: "carts.checkout").map(\.mutated) == [true, false])
        }
    }

    @Test("checkout retried after a dropped connection places exactly one order")
    func dropAfterCommit() async throws {
        try await withSandbox({ $0.faults = try! FaultPlan.parse("carts.checkout=drop-after") }) { h in
            let s = try await setup(h)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id), token: s.token).decode(Cart.self)
            let path = "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout"
            let requestId = UUID().uuidString
            await #expect(throws: (any Error).self) {
                _ = try await h.send(.POST, path, token: s.token, headers: [("MS-RequestId", requestId)])
            }
            let replay = try await h.send(.POST, path, token: s.token, headers: [("MS-RequestId", requestId)])
            #expect(replay.status == 201)
            #expect(replay.header("MS-RequestId") == requestId)
            let orders = try replay.decode(CartCheckoutResult.self).orders ?? []
            #expect(orders.count == 1)
            h.sandbox.clock.advance(by: 60)
            let listed = try await h.send(.GET, "/v1/customers/\(s.customer.id)/orders", token: s.token).decode(ResourceCollection<Order>.self)
            #expect(listed.items.map(\.id) == orders.map(\.id))
            let log = h.sandbox.requestLog.entries(route: "carts.checkout")
            #expect(log.map(\.status) == [0, 201])
            #expect(log.map(\.replayed) == [false, true])
            #expect(log.map(\.fault) == ["drop-after", nil])
        }
    }

    @Test("a connection dropped before the change commits leaves no order behind")
    func dropBefore() async throws {
        try await withSandbox({ $0.faults = try! FaultPlan.parse("carts.checkout=drop-before") }) { h in
            let s = try await setup(h)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id), token: s.token).decode(Cart.self)
            let path = "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout"
            await #expect(throws: (any Error).self) { _ = try await h.send(.POST, path, token: s.token) }
            #expect(try await h.send(.GET, "/v1/customers/\(s.customer.id)/carts/\(cart.id!)", token: s.token).decode(Cart.self).status == .active)
            #expect(try await h.send(.POST, path, token: s.token).status == 201)
        }
    }

    @Test("a busy checkout answers 409/800064 and commits nothing; the same checkout then succeeds")
    func busyCheckout() async throws {
        try await withSandbox({ $0.faults = try! FaultPlan.parse("carts.checkout=busy") }) { h in
            let s = try await setup(h)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id), token: s.token).decode(Cart.self)
            let path = "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout"
            let busy = try await h.send(.POST, path, token: s.token)
            #expect(busy.status == 409)
            #expect(busy.text.contains("800064"))
            #expect(try await h.send(.GET, "/v1/customers/\(s.customer.id)/carts/\(cart.id!)", token: s.token).decode(Cart.self).status == .active)
            #expect(try await h.send(.POST, path, token: s.token).status == 201)
        }
    }

    @Test("a replayed MS-RequestId on a POST returns the stored response instead of acting twice")
    func requestIdReplay() async throws {
        try await withSandbox { h in
            let s = try await setup(h)
            let body = Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id)
            let requestId = UUID().uuidString
            let first = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: body, token: s.token, headers: [("MS-RequestId", requestId)])
            let second = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: body, token: s.token, headers: [("MS-RequestId", requestId)])
            #expect(first.status == 201 && second.status == 201)
            #expect(try first.decode(Cart.self).id == second.decode(Cart.self).id)
            let third = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: body, token: s.token, headers: [("MS-RequestId", UUID().uuidString)])
            #expect(try third.decode(Cart.self).id != first.decode(Cart.self).id)
            #expect(h.sandbox.requestLog.entries(route: "carts.create", mutatedOnly: true).count == 2)
        }
    }

    @Test("carts expire after 7 days; ordered carts cannot be updated; unknown carts are 404/800008")
    func cartLifecycle() async throws {
        try await withSandbox({ $0.tokenLifetime = 30 * 86400 }) { h in
            let s = try await setup(h)
            let body = Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id)
            let base = "/v1/customers/\(s.customer.id)/carts"
            let ordered = try await h.send(.POST, base, body: body, token: s.token).decode(Cart.self)
            #expect(try await h.send(.POST, "\(base)/\(ordered.id!)/checkout", token: s.token).status == 201)
            let update = try await h.send(.PUT, "\(base)/\(ordered.id!)", body: body, token: s.token)
            #expect(update.status == 400)
            #expect(update.fault?.numericCode == 800065)
            let active = try await h.send(.POST, base, body: body, token: s.token).decode(Cart.self)
            let updated = try await h.send(.PUT, "\(base)/\(active.id!)", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id, quantity: 2), token: s.token)
            #expect(updated.status == 201)
            #expect(try updated.decode(Cart.self).lineItems?.first?.quantity == 2)
            h.sandbox.clock.advance(by: 7 * 86400 + 1)
            for (method, path) in [("GET", "\(base)/\(active.id!)"), ("POST", "\(base)/\(active.id!)/checkout"), ("PUT", "\(base)/\(active.id!)")] {
                let result = try await h.send(.init(rawValue: method), path, body: method == "PUT" ? body : nil, token: s.token)
                #expect(result.status == 404, "\(method)")
                #expect(result.fault?.numericCode == 800008, "\(method)")
                #expect(result.fault?.description?.contains("expired") == true)
            }
            #expect(try await h.send(.GET, "\(base)/\(UUID().uuidString)", token: s.token).fault?.numericCode == 800008)
        }
    }

    @Test("checkout of a cart with line errors fails with 400/800009")
    func checkoutWithErrors() async throws {
        try await withSandbox { h in
            let s = try await setup(h, registered: false)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id), token: s.token).decode(Cart.self)
            let result = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout", token: s.token)
            #expect(result.status == 400)
            #expect(result.fault?.numericCode == 800009)
        }
    }

    @Test("orders go pending → completed, appear in lists only after the lag, and honour include_price and billingType")
    func orders() async throws {
        try await withSandbox({ $0.orderLag = 900; $0.orderCompletionDelay = 120 }) { h in
            let s = try await setup(h)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id, quantity: 2), token: s.token).decode(Cart.self)
            let linePrice = try #require(cart.lineItems?.first?.pricing)
            let order = try #require(try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout", token: s.token).decode(CartCheckoutResult.self).orders?.first)
            let orders = "/v1/customers/\(s.customer.id)/orders"
            #expect(try await h.send(.GET, orders, token: s.token).decode(ResourceCollection<Order>.self).items.isEmpty)
            #expect(try await h.send(.GET, "\(orders)/\(order.id)", token: s.token).decode(Order.self).status == .pending)
            let pending = try await h.send(.GET, "\(orders)/\(order.id)/provisioningstatus", token: s.token).decode(ResourceCollection<OrderLineItemProvisioningStatus>.self)
            #expect(pending.items.first?.status == .prefulfillmentPending)
            h.sandbox.clock.advance(by: 121)
            #expect(try await h.send(.GET, "\(orders)/\(order.id)", token: s.token).decode(Order.self).status == .completed)
            #expect(try await h.send(.GET, orders, token: s.token).decode(ResourceCollection<Order>.self).items.isEmpty)
            h.sandbox.clock.advance(by: 800)
            for filter in ["", "?billingType=onetime", "?billingType=OneTime", "?billingtype=one_time", "?billingType=4"] {
                #expect(try await h.send(.GET, orders + filter, token: s.token).decode(ResourceCollection<Order>.self).items.map(\.id) == [order.id], "\(filter)")
            }
            #expect(try await h.send(.GET, orders + "?billingType=monthly", token: s.token).decode(ResourceCollection<Order>.self).items.isEmpty)
            let bad = try await h.send(.GET, orders + "?billingType=weekly", token: s.token)
            #expect(bad.status == 400 && bad.fault?.numericCode == 900126)
            let priced = try await h.send(.GET, "\(orders)/\(order.id)?include_price=true", token: s.token).decode(Order.self)
            #expect(priced.lineItems?.first?.pricing == linePrice)
            #expect(priced.totalPrice == linePrice.extendedPrice)
            #expect(try await h.send(.GET, "\(orders)/\(order.id)", token: s.token).decode(Order.self).totalPrice == nil)
            #expect(try await h.send(.GET, "\(orders)/nope", token: s.token).fault?.numericCode == 20000)
        }
    }

    @Test("completed RI orders create entitlements, reservation details and one-time charges at the cart's prices")
    func fulfilment() async throws {
        try await withSandbox { h in
            let s = try await setup(h)
            let cart = try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts", body: Harness.cartBody(catalogItemId: s.catalogItemId, subscriptionId: s.subscription.id, quantity: 2, scope: "single"), token: s.token).decode(Cart.self)
            let pricing = try #require(cart.lineItems?.first?.pricing)
            let order = try #require(try await h.send(.POST, "/v1/customers/\(s.customer.id)/carts/\(cart.id!)/checkout", token: s.token).decode(CartCheckoutResult.self).orders?.first)
            #expect(try await h.send(.GET, "/v1/customers/\(s.customer.id)/entitlements", token: s.token).decode(ResourceCollection<Entitlement>.self).items.isEmpty)
            h.sandbox.clock.advance(by: 60)
            let entitlements = try await h.send(.GET, "/v1/customers/\(s.customer.id)/entitlements?entitlementType=reservedinstance&showExpiry=true", token: s.token).decode(ResourceCollection<Entitlement>.self)
            let entitlement = try #require(entitlements.items.first)
            #expect(entitlement.referenceOrder?.id == order.id)
            #expect(entitlement.quantity == 2)
            #expect(entitlement.expiryDate != nil)
            let artifact = try #require(entitlement.entitledArtifacts?.first)
            let details = try await h.send(.GET, try #require(artifact.link?.uri), token: s.token).decode(ReservedInstanceArtifactDetails.self)
            #expect(details.allReservations.first?.scopeType == "Single")
            #expect(details.allReservations.first?.appliedScopes == ["/subscriptions/\(s.subscription.id)"])
            #expect(details.reservations == details.virtualMachineReservations)
            let invoices = try await h.send(.GET, "/v1/invoices", token: s.token).decode(ResourceCollection<Invoice>.self)
            var found: OneTimeInvoiceLineItem?
            for invoice in invoices.items where invoice.invoiceType == .oneTime {
                let page = try await h.send(.GET, "/v1/invoices/\(invoice.id)/lineitems?provider=onetime&invoicelineitemtype=billinglineitems", token: s.token)
                    .decode(ResourceCollection<InvoiceLineItem>.self)
                for case .oneTime(let line) in page.items where line.orderId == order.id { found = line }
            }
            let line = try #require(found)
            #expect(line.reservationOrderId == artifact.resourceId)
            #expect(line.unitPrice == pricing.price)
            #expect(line.subtotal == pricing.extendedPrice)
            #expect(line.alternateId == order.alternateId)
            #expect(line.chargeType == "New")
            // The same charge is listed as unbilled for the current period, reached through the estimate links.
            let estimates = try await h.send(.GET, "/v1/invoices/estimates/links?currencycode=USD", token: s.token).decode(ResourceCollection<EstimateLink>.self)
            let link = try #require(estimates.items.first { $0.type == "non_consumption" && $0.period == "current" }?.link?.uri)
            let unbilled = try await h.send(.GET, "/v1" + link, token: s.token).decode(SeekBasedResourceCollection<OneTimeInvoiceLineItem>.self)
            #expect(unbilled.items.contains { $0.orderId == order.id && $0.subtotal == pricing.extendedPrice })
            let previous = try await h.send(.GET, "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD&period=previous", token: s.token)
            #expect(try previous.decode(SeekBasedResourceCollection<OneTimeInvoiceLineItem>.self).items.allSatisfy { $0.orderId != order.id })
            let bad = try await h.send(.GET, "/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD&period=someday", token: s.token)
            #expect(bad.status == 400)
        }
    }
}
