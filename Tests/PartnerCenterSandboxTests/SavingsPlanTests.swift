import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Azure savings plans: catalog, cart rules and errors, fulfilment (addendum §1.4–§1.8)")
struct SavingsPlanTests {
    /// A customer with an Azure plan in a market billed in USD, and its plan id.
    static func planCustomer(_ h: Harness, _ token: String) async throws -> (String, String) {
        for (customer, sub) in try await h.subscriptions(token) where sub.isAzurePlan {
            let full = try await h.send(.GET, "/v1/customers/\(customer)", token: token).decode(Customer.self)
            if SandboxCatalog.currency(for: full.country ?? "").code == "USD" { return (customer, sub.id) }
        }
        throw HarnessError(message: "no plan customer billed in USD")
    }

    static func line(_ item: String, plan: String, amount: String = "0.05", currency: String = "usd", grain: String = "hourly",
                     billing: String = "one_time", scope: String = "shared", extra: String = "") -> String {
        #"{"lineItems":[{"id":0,"catalogItemId":"\#(item)","quantity":1,"billingCycle":"\#(billing)","termDuration":"P1Y","#
            + #""provisioningContext":{"scope":"\#(scope)","subscriptionId":"\#(plan)"},"#
            + #""purchaseCommitment":{"amount":\#(amount),"grain":"\#(grain)","currency":"\#(currency)"}\#(extra)}]}"#
    }

    @Test("listed on a plan customer's routes only; two SKUs with minimumPurchaseCommitment 0.001; the country route reads it by id")
    func catalog() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, _) = try await Self.planCustomer(h, token)
            let products = try await h.send(.GET, "/v1/customers/\(customer)/products?targetView=AzureReservations", token: token)
                .decode(ResourceCollection<Product>.self).items
            let sp = try #require(products.first { $0.productType?.subType?.id == "SavingsPlan" })
            #expect(sp.id == AzureOffers.savingsPlanProductId)
            let skus = try await h.send(.GET, "/v1/customers/\(customer)/products/\(sp.id)/skus", token: token).decode(ResourceCollection<Sku>.self).items
            #expect(skus.map(\.id) == ["0001", "0002"])
            #expect(skus.allSatisfy { $0.minimumPurchaseCommitment?.amount == "0.001" && $0.supportedBillingCycles == [.oneTime, .monthly] && $0.maximumQuantity == 1 })
            // not on the country list, not for a customer without a plan; by id on the country route
            let country = try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservations", token: token).decode(ResourceCollection<Product>.self).items
            #expect(!country.contains { $0.id == sp.id })
            let (legacy, _) = try await h.customer(country: "US", registered: true, token: token)
            #expect(try await h.send(.GET, "/v1/customers/\(legacy.id)/products/\(sp.id)", token: token).status == 404)
            #expect(try await h.send(.GET, "/v1/products/\(sp.id)/skus/0002?country=US", token: token).status == 200)
            #expect(try await h.send(.GET, "/v1/products/\(sp.id)/skus/0009?country=US", token: token).status == 404)
        }
    }

    @Test("a valid line is priced commitment × 8760 hours (0.05 → 438.00 a year; monthly: a twelfth); checkout makes a benefit subscription and a charge")
    func buy() async throws {
        try await withSandbox({ $0.orderLag = 0; $0.orderCompletionDelay = 30 }) { h in
            let token = try await h.token()
            let (customer, plan) = try await Self.planCustomer(h, token)
            let item = "\(AzureOffers.savingsPlanProductId):0001:\(SandboxCatalog.savingsPlanAvailabilityId(years: 1))"
            let cart = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: Self.line(item, plan: plan), token: token).decode(Cart.self)
            let line = try #require(cart.lineItems?.first)
            #expect(line.error == nil, "\(String(describing: line.error))")
            #expect(line.pricing?.extendedPrice == Decimal(string: "438"), "\(String(describing: line.pricing))")
            #expect(line.purchaseCommitment?.amount == Decimal(string: "0.05"))
            let monthly = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: Self.line(item, plan: plan, billing: "monthly"), token: token).decode(Cart.self)
            #expect(monthly.lineItems?.first?.pricing?.price == Decimal(string: "36.5"))

            let checkout = try await h.send(.POST, "/v1/customers/\(customer)/carts/\(cart.id!)/checkout", token: token)
            #expect(checkout.status == 201, "\(checkout.text)")
            let order = try #require(try checkout.decode(CartCheckoutResult.self).orders?.first)
            h.sandbox.clock.advance(by: 31)
            let done = try await h.send(.GET, "/v1/customers/\(customer)/orders/\(order.id)", token: token).decode(Order.self)
            let benefitId = try #require(done.lineItems?.first?.subscriptionId)
            let benefit = try await h.send(.GET, "/v1/customers/\(customer)/subscriptions/\(benefitId)", token: token).decode(Subscription.self)
            #expect(benefit.unitType == "Benefit" && benefit.billingType == "benefit" && benefit.productOrderId != nil)
            #expect(benefit.lineItems?.first?.purchaseCommitment?.amount == Decimal(string: "0.05"))
            #expect(benefit.lineItems?.first?.scope?["subscriptionId"] == plan)
            #expect(try await h.entitlementsOf(customer, token).allSatisfy { $0.referenceOrder?.id != order.id }, "a savings plan is not a reserved instance")
        }
    }

    @Test("the documented errors: commitment missing, wrong grain, currency or precision; MS-AZR-0145P 900315; partner of record 900323 (403); App-only 900329")
    func errors() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, plan) = try await Self.planCustomer(h, token)
            let item = "\(AzureOffers.savingsPlanProductId):0001:\(SandboxCatalog.savingsPlanAvailabilityId(years: 1))"
            func code(_ body: String, customer c: String? = nil) async throws -> Int? {
                try await h.send(.POST, "/v1/customers/\(c ?? customer)/carts", body: body, token: token).decode(Cart.self).lineItems?.first?.error?.errorCode
            }
            let noCommitment = Self.line(item, plan: plan).replacingOccurrences(of: #","purchaseCommitment":{"amount":0.05,"grain":"hourly","currency":"usd"}"#, with: "")
            #expect(try await code(noCommitment) == CartErrorCode.invalidInput)
            #expect(try await code(Self.line(item, plan: plan, grain: "daily")) == CartErrorCode.invalidInput)
            #expect(try await code(Self.line(item, plan: plan, currency: "eur")) == CartErrorCode.currencyIsNotSupported)
            #expect(try await code(Self.line(item, plan: plan, amount: "0.0005")) == CartErrorCode.invalidInput)
            #expect(try await code(Self.line(item, plan: plan, scope: "resourcegroup")) == CartErrorCode.scopeNotSupported)
            let (legacy, legacySub) = try await h.customer(country: "US", registered: true, token: token)
            #expect(try await code(Self.line(item, plan: legacySub.id), customer: legacy.id) == CartErrorCode.notEligibleForSubscription)

            let withPartner = Self.line(item, plan: plan, extra: #","participants":[{"key":"transaction_reseller","value":"5123456"}]"#)
            let cart = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: withPartner, token: token).decode(Cart.self)
            #expect(cart.lineItems?.first?.error?.errorCode == CartErrorCode.partnerOfRecordMismatch)
            let refused = try await h.send(.POST, "/v1/customers/\(customer)/carts/\(cart.id!)/checkout", token: token)
            #expect(refused.status == 403 && refused.text.contains("900323"), "\(refused.text)")

            let appOnly = try await h.token(appUser: false)
            let app = try await h.send(.POST, "/v1/customers/\(customer)/carts", body: Self.line(item, plan: plan), token: appOnly)
            #expect(app.status == 403 && app.text.contains("900329"), "\(app.text)")
        }
    }
}
