import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Configurable contract choices")
struct OptionsTests {
    @Test("registration status casing is configurable (table's lower case instead of the sample's PascalCase)")
    func lowercaseRegistration() async throws {
        try await withSandbox({ $0.registrationStatusLowercase = true }) { h in
            let token = try await h.token()
            let (customer, sub) = try await h.customer(country: "US", registered: false, token: token)
            let result = try await h.send(.GET, "/v1/customers/\(customer.id)/subscriptions/\(sub.id)/registrationstatus", token: token)
            #expect(result.text.contains(#""status":"notregistered""#))
        }
    }

    @Test("the legacy switch makes a repeated checkout fail with 400/800065")
    func legacyAlreadySubmitted() async throws {
        try await withSandbox({ $0.legacyAlreadySubmittedError = true }) { h in
            let token = try await h.token()
            let (customer, sub) = try await h.customer(country: "US", registered: true, token: token)
            let (_, item) = try await h.catalogItem(token: token)
            let cart = try await h.send(.POST, "/v1/customers/\(customer.id)/carts", body: Harness.cartBody(catalogItemId: item, subscriptionId: sub.id), token: token).decode(Cart.self)
            let path = "/v1/customers/\(customer.id)/carts/\(cart.id!)/checkout"
            #expect(try await h.send(.POST, path, token: token).status == 201)
            let again = try await h.send(.POST, path, token: token)
            #expect(again.status == 400 && again.fault?.numericCode == 800065)
        }
    }

    @Test("the partner-wide bucket throttles across customers; X-Locale is echoed")
    func partnerBucket() async throws {
        // 3 per hour: a loaded machine that takes over a minute for these calls must not see a refill
        try await withSandbox({ $0.rateLimits = try! RateLimits.parse("partner=3/1h,customer=off") }) { h in
            let token = try await h.token()
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await h.send(.GET, "/v1/invoices/summary", token: token, headers: [("X-Locale", "de-DE")]).status) }
            #expect(statuses == [200, 200, 200, 429])
            #expect(try await h.send(.GET, "/v1/invoices/summary", token: try await h.token(partner: 1)).status == 200)
            h.sandbox.setRateLimits(.unlimited)
            let ok = try await h.send(.GET, "/v1/invoices/summary", token: token, headers: [("X-Locale", "de-DE")])
            #expect(ok.status == 200)
            #expect(ok.header("X-Locale") == "de-DE")
        }
    }
}
