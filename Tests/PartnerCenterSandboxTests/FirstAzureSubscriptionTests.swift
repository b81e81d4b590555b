import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

extension Harness {
    /// The customers with neither an Azure plan nor an active MS-AZR-0145P subscription.
    func customersWithoutAzure(_ token: String) async throws -> [String] {
        var holding: Set<String> = []
        for (customer, s) in try await subscriptions(token) where s.isAzurePlan || s.offerId == AzureOffers.legacyOfferId {
            holding.insert(customer)
        }
        return try await customers(token).map(\.id).filter { !holding.contains($0) }
    }

    /// A customer's subscriptions through the API.
    func subscriptions(of customer: String, _ token: String) async throws -> [Subscription] {
        try await send(.GET, "/v1/customers/\(customer)/subscriptions", token: token).decode(ResourceCollection<Subscription>.self).items
    }
}

@Suite("A first Azure subscription: offers, legacy orders, the Azure plan by cart (addendum §1.1)")
struct FirstAzureSubscriptionTests {
    @Test("GET /offers lists MS-AZR-0145P; GET /offers/{id} reads it; an unknown offer is 404")
    func offers() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let list = try await h.send(.GET, "/v1/offers?country=DE", token: token)
            #expect(list.status == 200, "\(list.text)")
            let offers = try list.decode(ResourceCollection<Offer>.self).items
            let azure = try #require(offers.first { $0.id == "MS-AZR-0145P" })
            #expect(azure.billing == "usage" && azure.country == "DE" && azure.isAvailableForPurchase == true)
            let one = try await h.send(.GET, "/v1/OFFERS/ms-azr-0145p?country=DE", token: token)
            #expect(one.status == 200, "\(one.text)")
            #expect(try one.decode(Offer.self).name == "Microsoft Azure")
            #expect(try await h.send(.GET, "/v1/offers/NOPE?country=DE", token: token).status == 404)
            #expect(try await h.send(.GET, "/v1/offers", token: token).status == 400, "country is required")
        }
    }

    @Test("an order for MS-AZR-0145P completes into an unregistered, active subscription named on its line; refused next to a plan or a second time")
    func legacyOrder() async throws {
        try await withSandbox({ $0.orderLag = 0; $0.orderCompletionDelay = 30 }) { h in
            let token = try await h.token()
            let customer = try #require(try await h.customersWithoutAzure(token).first)
            let body = #"{"referenceCustomerId":"\#(customer)","lineItems":[{"lineItemNumber":0,"offerId":"MS-AZR-0145P","friendlyName":"Microsoft Azure","quantity":1}]}"#
            let created = try await h.send(.POST, "/v1/customers/\(customer)/orders", body: body, token: token)
            #expect(created.status == 201, "\(created.text)")
            let order = try created.decode(Order.self)
            #expect(order.status == .pending && order.lineItems?.first?.subscriptionId == nil)
            h.sandbox.clock.advance(by: 31)
            let done = try await h.send(.GET, "/v1/customers/\(customer)/orders/\(order.id)", token: token).decode(Order.self)
            #expect(done.status == .completed)
            let subscriptionId = try #require(done.lineItems?.first?.subscriptionId)
            let sub = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(subscriptionId)", token: token).decode(Subscription.self)
            #expect(sub.offerId == "MS-AZR-0145P" && sub.status == .active && sub.orderId == order.id)
            let registration = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(subscriptionId)/registrationstatus", token: token)
            #expect(registration.text.contains("NotRegistered"), "\(registration.text)")
            // a second one is refused, and so is one next to an Azure plan
            let again = try await h.send(.POST, "/v1/customers/\(customer)/orders", body: body, token: token)
            #expect(again.status == 400 && again.text.contains("already has an active MS-AZR-0145P"), "\(again.text)")
            let planCustomer = try #require(try await h.subscriptions(token).first { $0.subscription.isAzurePlan }?.customer)
            let next = try await h.send(.POST, "/v1/customers/\(planCustomer)/orders", body: body, token: token)
            #expect(next.status == 400 && next.text.contains("has an Azure plan"), "\(next.text)")
        }
    }

    @Test("bad order bodies: another offer, quantity 2, two lines, no lines are 400s that change nothing")
    func badOrders() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let customer = try #require(try await h.customersWithoutAzure(token).first)
            for (body, text) in [
                (#"{"lineItems":[{"lineItemNumber":0,"offerId":"XYZ","quantity":1}]}"#, "not an offer the sandbox sells by order"),
                (#"{"lineItems":[{"lineItemNumber":0,"offerId":"MS-AZR-0145P","quantity":2}]}"#, "quantity must be 1"),
                (#"{"lineItems":[{"offerId":"MS-AZR-0145P","quantity":1},{"offerId":"MS-AZR-0145P","quantity":1}]}"#, "one line item"),
                (#"{"lineItems":[]}"#, "lineItems"),
                (#"{"lineItems":[{"offerId":7,"quantity":1}]}"#, "offerId"),
            ] {
                let r = try await h.send(.POST, "/v1/customers/\(customer)/orders", body: body, token: token)
                #expect(r.status == 400 && r.text.contains(text), "\(body): \(r.status) \(r.text)")
            }
            #expect(try await h.subscriptions(of: customer, token).allSatisfy { $0.offerId != AzureOffers.legacyOfferId })
        }
    }

    @Test("the Azure plan is in the MicrosoftAzure view; its cart makes a monthly order that creates the plan with one active Azure subscription")
    func azurePlanByCart() async throws {
        try await withSandbox({ $0.orderLag = 0; $0.orderCompletionDelay = 30 }) { h in
            let token = try await h.token()
            let customer = try #require(try await h.customersWithoutAzure(token).first)
            let products = try await h.send(.GET, "/v1/products?country=US&targetView=MicrosoftAzure", token: token)
                .decode(ResourceCollection<Product>.self).items
            #expect(products.map(\.id) == [AzureOffers.azurePlanProductId])
            let sku = try await h.send(.GET, "/v1/products/DZH318Z0BPS6/skus?country=US", token: token).decode(ResourceCollection<Sku>.self).items
            #expect(sku.first?.supportedBillingCycles == [.monthly])
            let availability = try await h.send(.GET, "/v1/products/DZH318Z0BPS6/skus/0001/availabilities?country=US", token: token)
                .decode(ResourceCollection<Availability>.self).items
            #expect(availability.first?.catalogItemId == AzureOffers.azurePlanCatalogItemId)

            let line = #"{"lineItems":[{"id":0,"catalogItemId":"\#(AzureOffers.azurePlanCatalogItemId)","quantity":1,"billingCycle":"monthly"}]}"#
            let cart = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: line, token: token).decode(Cart.self)
            #expect(cart.lineItems?.first?.error == nil, "\(String(describing: cart.lineItems?.first?.error))")
            let checkout = try await h.send(.POST, "/v1/customers/\(customer)/carts/\(cart.id!)/checkout", token: token)
            #expect(checkout.status == 201, "\(checkout.text)")
            let order = try #require(try checkout.decode(CartCheckoutResult.self).orders?.first)
            #expect(order.billingCycle == .monthly)
            h.sandbox.clock.advance(by: 31)
            let done = try await h.send(.GET, "/v1/customers/\(customer)/orders/\(order.id)", token: token).decode(Order.self)
            let planId = try #require(done.lineItems?.first?.subscriptionId)
            let entitlements = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(planId)/azureEntitlements", token: token)
                .decode(ResourceCollection<AzureEntitlement>.self).items
            #expect(entitlements.count == 1 && entitlements.first?.isActive == true && entitlements.first?.subscriptionId == planId)
            #expect(try await h.entitlementsOf(customer, token).isEmpty, "an Azure plan is not a reservation")

            // a second plan, or a plan beside MS-AZR-0145P, is refused on the line (10006)
            let second = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: line, token: token).decode(Cart.self)
            #expect(second.lineItems?.first?.error?.errorCode == CartErrorCode.unableToProcessCartLineItem)
            let (legacyCustomer, _) = try await h.customer(country: "US", registered: true, token: token)
            let beside = try await h.send(.POST, "/v1/customers/\(legacyCustomer.id)/carts", body: line, token: token).decode(Cart.self)
            #expect(beside.lineItems?.first?.error?.errorDescription?.contains("MS-AZR-0145P") == true)
            // one_time, quantity 2, another availability
            let oneTime = line.replacingOccurrences(of: "monthly", with: "one_time")
            #expect(try await h.send(.POST, "/v1/customers/\(legacyCustomer.id)/carts", body: oneTime, token: token).decode(Cart.self)
                .lineItems?.first?.error?.errorCode == CartErrorCode.billingPlanNotSupported)
            let other = line.replacingOccurrences(of: "DZH318Z0BML6", with: "DZH318Z0BXXX")
            #expect(try await h.send(.POST, "/v1/customers/\(legacyCustomer.id)/carts", body: other, token: token).decode(Cart.self)
                .lineItems?.first?.error?.errorCode == CartErrorCode.catalogItemIdIsNotValid)
        }
    }

    @Test("every reservation type has products in its own view and in AzureReservations, with its sub-type and an armSkuName per SKU")
    func reservationTypes() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let all = try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservations", token: token)
                .decode(ResourceCollection<Product>.self).items
            for type in ReservationType.all {
                let own = try await h.send(.GET, "/v1/products?country=US&targetView=\(type.targetView)", token: token)
                    .decode(ResourceCollection<Product>.self).items
                let ofType = own.filter { $0.productType?.subType?.id == type.subType }
                #expect(!ofType.isEmpty, "\(type.name): no product in \(type.targetView)")
                #expect(all.contains { $0.productType?.subType?.id == type.subType }, "\(type.name) missing from AzureReservations")
                var skus: [Sku] = []
                for product in ofType {
                    skus += try await h.send(.GET, "/v1/products/\(product.id)/skus?country=US", token: token)
                        .decode(ResourceCollection<Sku>.self).items
                }
                #expect(skus.contains { $0.dynamicAttributes?["armSkuName"] == .string(type.exampleSku) }, "\(type.name): \(type.exampleSku)")
                #expect(Set(skus.compactMap { $0.dynamicAttributes?["armRegionName"] }).count >= 20)
            }
            // a view of one type lists no other type
            let sql = try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservationsSQL", token: token)
                .decode(ResourceCollection<Product>.self).items
            #expect(sql.allSatisfy { $0.productType?.subType?.id == "SqlDatabases" })
        }
    }
}

extension Harness {
    /// A customer's entitlements through the API (App+User).
    func entitlementsOf(_ customer: String, _ token: String) async throws -> [Entitlement] {
        try await send(.GET, "/v1/customers/\(customer)/entitlements", token: token).decode(ResourceCollection<Entitlement>.self).items
    }
}
