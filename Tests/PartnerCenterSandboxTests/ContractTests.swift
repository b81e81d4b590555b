import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Contract: real responses match the documented examples (golden fixtures)")
struct ContractTests {
    func expectShape(_ result: HTTPResult, _ fixture: String, status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(result.status == status, "\(fixture): status \(result.status) body \(result.text.prefix(300))", sourceLocation: sourceLocation)
        let actual = try #require(result.json, "\(fixture): body is not JSON", sourceLocation: sourceLocation)
        let problems = shapeMismatches(actual, try golden(fixture))
        #expect(problems.isEmpty, "\(fixture): \(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
    }

    @Test("customer, subscription and registration status responses have the documented shape")
    func customers() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, subscription) = try await h.customer(country: "US", registered: false, token: token)
            try expectShape(try await h.send(.GET, "/v1/customers/\(customer.id)", token: token), "customer")
            try expectShape(try await h.send(.GET, "/v1/customers/\(customer.id)/subscriptions/\(subscription.id)", token: token), "subscription")
            try expectShape(try await h.send(.GET, "/v1/customers/\(customer.id)/subscriptions/\(subscription.id)/registrationstatus", token: token), "registration-status")
        }
    }

    @Test("catalog responses (products, SKUs, availabilities, inventory) have the documented shape")
    func catalog() async throws {
        try await withSandbox { h in
            let token = try await h.token(appUser: false)
            try expectShape(try await h.send(.GET, "/v1/products?country=US&targetView=AzureReservationsVM", token: token), "products")
            try expectShape(try await h.send(.GET, "/v1/products/DZH318Z0BQ5S/skus?country=US", token: token), "skus")
            let (sku, _) = try await h.catalogItem(token: token)
            try expectShape(try await h.send(.GET, "/v1/products/DZH318Z0BQ3Q/skus/\(sku.id)/availabilities?country=US", token: token), "availabilities")
            let body = #"{"TargetItems":[{"ProductId":"DZH318Z0BQ36"}],"InventoryContext":{"customerId":"x","azureSubscriptionId":"y","armRegionName":"japanwest"}}"#
            let inventory = try await h.send(.POST, "/v1/extensions/product/checkinventory?country=US", body: body, token: token)
            try expectShape(inventory, "inventory-check-response")
            guard case .array(let items)? = inventory.json else { Issue.record("inventory is not a bare array"); return }
            #expect(!items.isEmpty)
        }
    }

    @Test("cart, checkout, order, provisioning, entitlement and reservation responses have the documented shape")
    func purchase() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, subscription) = try await h.customer(country: "US", registered: true, token: token)
            let (_, item) = try await h.catalogItem(token: token)
            let created = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: Harness.cartBody(catalogItemId: item, subscriptionId: subscription.id), token: token)
            try expectShape(created, "cart-created", status: 201)
            let cart = try created.decode(Cart.self)
            let checkout = try await h.send(.POST, "/v1/customers/\(customer.id)/carts/\(cart.id!)/checkout", token: token, headers: [("MS-RequestId", UUID().uuidString)])
            try expectShape(checkout, "checkout-result", status: 201)
            let order = try #require(try checkout.decode(CartCheckoutResult.self).orders?.first)
            h.sandbox.clock.advance(by: 60)
            try expectShape(try await h.send(.GET, "/v1/customers/\(customer.id)/orders/\(order.id)", token: token), "order")
            try expectShape(try await h.send(.GET, "/v1/customers/\(customer.id)/orders/\(order.id)/provisioningstatus", token: token), "order-provisioning-status")
            let entitlements = try await h.send(.GET, "/v1/customers/\(customer.id)/entitlements?entitlementType=reservedInstance", token: token)
            try expectShape(entitlements, "entitlements")
            let link = try #require(try entitlements.decode(ResourceCollection<Entitlement>.self).items.first?.entitledArtifacts?.first?.link?.uri)
            try expectShape(try await h.send(.GET, link, token: token), "reservation-details")
        }
    }

    @Test("billing responses (balance, invoices, one-time line items) have the documented shape")
    func billing() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            try expectShape(try await h.send(.GET, "/v1/invoices/summary", token: token), "invoice-summary")
            try expectShape(try await h.send(.GET, "/v1/invoices?size=1&offset=0", token: token), "invoices")
            try expectShape(try await h.send(.GET, "/v1/invoices/G000024130/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&size=1", token: token), "onetime-line-items")
            try expectShape(try await h.send(.GET, "/v1/invoices?size=1", token: token), "collection-envelope")
        }
    }

    @Test("errors use the ApiFault shape, throttling its own body, tokens the v1 shape, device codes the identity platform's")
    func errorsAndTokens() async throws {
        try await withSandbox({ $0.rateLimits = try! RateLimits.parse("customer=1/1m,partner=off") }) { h in
            let token = try await h.token()
            try expectShape(try await h.send(.GET, "/v1/customers/00000000-0000-0000-0000-000000000000", token: token), "api-fault", status: 404)
            let customer = try #require(try await h.customers(token).first)
            _ = try await h.send(.GET, "/v1/customers/\(customer.id)", token: token)
            let throttled = try await h.send(.GET, "/v1/customers/\(customer.id)", token: token)
            try expectShape(throttled, "throttling", status: 429)
            #expect(Int(throttled.header("Retry-After") ?? "") ?? 0 >= 1)
            let form = "grant_type=client_credentials&client_id=\(h.first.clientId)&client_secret=\(h.first.clientSecret)&resource=https%3A%2F%2Fgraph.windows.net"
            try expectShape(try await h.send(.POST, "/\(h.first.tenantId)/oauth2/token", body: form, headers: [("Content-Type", "application/x-www-form-urlencoded")]), "token-v1")
            let refresh = "grant_type=refresh_token&client_id=\(h.first.clientId)&refresh_token=\(h.first.refreshToken)&scope=openid"
            try expectShape(try await h.send(.POST, "/\(h.first.tenantId)/oauth2/token", body: refresh, headers: [("Content-Type", "application/x-www-form-urlencoded")]), "token-v1-app-user")
            let device = "client_id=\(h.first.clientId)&scope=openid%20offline_access"
            try expectShape(try await h.send(.POST, "/\(h.first.tenantId)/oauth2/v2.0/devicecode", body: device, headers: [("Content-Type", "application/x-www-form-urlencoded")]), "device-code")
        }
    }

    @Test("registration answers 202 with a relative Location and every response echoes MS-RequestId")
    func headers() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let (customer, subscription) = try await h.customer(country: "US", registered: false, token: token)
            let requestId = UUID().uuidString.lowercased()
            let result = try await h.send(.POST, "/v1/customers/\(customer.id)/subscriptions/\(subscription.id)/registrations", token: token,
                                          headers: [("MS-RequestId", requestId), ("MS-CorrelationId", "c0ffee")])
            #expect(result.status == 202)
            #expect(result.body.isEmpty)
            #expect(result.header("Location") == "/customers/\(customer.id)/subscriptions/\(subscription.id)/registrationstatus")
            #expect(result.header("MS-RequestId") == requestId)
            #expect(result.header("MS-CorrelationId") == "c0ffee")
            #expect(result.header("MS-ServerId") == sandboxServerID)
            let generated = try await h.send(.GET, "/v1/customers?size=1", token: token)
            #expect(generated.header("MS-RequestId")?.isEmpty == false)
        }
    }
}
